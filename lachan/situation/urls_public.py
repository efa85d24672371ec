from django.urls import path

from . import views as map_views

app_name = "public_map"
urlpatterns = [
    path("", map_views.public_map, name="map"),  # /ban-do/: the citizens' map
]
