from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<uuid:case_id>/", views.case_detail, name="detail"),
    path("<uuid:case_id>/status/", views.case_status, name="status"),
    path("<uuid:case_id>/cluster/", views.case_cluster, name="cluster"),
]
