from django.contrib import admin

from .models import Case, CaseStatusChange, Cluster


class StatusInline(admin.TabularInline):
    model = CaseStatusChange
    extra = 0
    readonly_fields = ["status", "since", "note", "changed_at", "changed_by"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["code", "person", "confirmed_at", "status", "origin", "cluster"]
    list_filter = ["status", "origin"]
    search_fields = ["code"]
    raw_id_fields = ["person", "cluster"]
    inlines = [StatusInline]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "opened_on", "closed_on", "commune"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["commune"]
