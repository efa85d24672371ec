from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("ioc/", views.ioc, name="ioc"),
    path("ioc/curve/", views.dashboard_curve, name="dashboard_curve"),
    path("capabilities/<slug:slug>/", views.capability_page, name="capability"),
]
