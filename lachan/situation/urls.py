from django.urls import path

from . import views as map_views

app_name = "map"
urlpatterns = [
    path("", map_views.map_page, name="map"),
    path("lockdowns/", map_views.lockdown_list, name="lockdowns"),
    path("lockdowns/new/", map_views.lockdown_new, name="lockdown_new"),
    path("lockdowns/import/", map_views.lockdown_import, name="lockdown_import"),
    path("lockdowns/<uuid:area_id>/", map_views.lockdown_detail, name="lockdown"),
]
