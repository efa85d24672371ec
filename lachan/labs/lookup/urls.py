"""The citizens' result pages at /ket-qua/ (the address the result SMS gives): public, no log-in."""

from django.urls import path

from . import views as lookup_views

app_name = "results"
urlpatterns = [
    path("", lookup_views.lookup_page, name="lookup"),
    path("phieu/<str:token>/", lookup_views.slip_download, name="slip"),
    path("xac-minh/<str:token>", lookup_views.verify_page, name="verify"),
    path("cua-toi/", lookup_views.my_results, name="mine"),
]
