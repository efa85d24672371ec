"""Admin of the quarantine module: the facilities and their rooms."""

from django.contrib import admin

from .models import Facility, FacilityRoom


class RoomInline(admin.TabularInline):
    model = FacilityRoom
    extra = 0
    fields = ("name", "beds")


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("__str__", "for_isolation", "is_active")
    list_filter = ("for_isolation", "is_active")
    search_fields = ("place__name",)
    raw_id_fields = ("place",)
    inlines = [RoomInline]

# Orders (who is quarantined, their tests and events) are not in the admin: the pages and the API read them
# within the reader's jurisdiction and keep the audit trail.
