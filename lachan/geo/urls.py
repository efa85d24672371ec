from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.unit_list, name="units"),
    path("export/", views.unit_export, name="export"),
    path("population/import/", views.unit_population_import, name="population_import"),
    path("<str:code>/population/", views.unit_population, name="population"),
]
