from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("capabilities/<slug:slug>/", views.capability_page, name="capability"),
]
