"""Admin of the quarantine module: read-mostly views for the province administrator. Orders are made and
changed through the services (pages and API), which keep their history and audit trail; here they are read."""

from django.contrib import admin

from .models import Facility, FacilityRoom, Order, OrderEvent, RequiredTest


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


class TestInline(admin.TabularInline):
    model = RequiredTest
    extra = 0
    fields = ("day", "due_on", "status", "result")
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("at", "kind", "by", "note", "detail")
    readonly_fields = fields
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("code", "person", "kind", "setting", "commune", "starts_on", "ends_on", "status")
    list_filter = ("kind", "setting", "status")
    search_fields = ("code",)
    date_hierarchy = "starts_on"
    raw_id_fields = ("person", "commune", "facility", "room", "case", "policy")
    readonly_fields = [f.name for f in Order._meta.concrete_fields]
    inlines = [TestInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
