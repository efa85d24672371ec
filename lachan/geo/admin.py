from django.contrib import admin

from .models import AdminUnit, Place


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "level", "tree", "population")
    list_filter = ("tree", "level")
    search_fields = ("code", "name", "short_name")
    readonly_fields = ("tree", "level", "code", "parent", "path", "boundary")
    fields = ("tree", "level", "code", "name", "short_name", "kind", "parent", "path", "latitude", "longitude",
              "area_km2", "population", "population_year", "population_source")


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "commune", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "address")
    raw_id_fields = ("commune",)
