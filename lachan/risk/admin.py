"""Read-only views of the risk module for the province administrator: levels are computed, overridden and
entered through the services, which keep the audit trail."""

from django.contrib import admin

from .models import RiskAssessment, RiskInput


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(admin.ModelAdmin):
    list_display = ("unit", "on", "level", "computed_level", "overridden", "policy")
    list_filter = ("on", "level", "overridden")
    search_fields = ("unit__name", "unit__code")
    raw_id_fields = ("unit",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RiskInput)
class RiskInputAdmin(admin.ModelAdmin):
    list_display = ("unit", "kind", "value", "as_of", "by")
    list_filter = ("kind",)
    search_fields = ("unit__name", "unit__code")
    raw_id_fields = ("unit",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
