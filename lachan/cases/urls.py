from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<uuid:case_id>/", views.case_detail, name="detail"),
    path("<uuid:case_id>/status/", views.case_status, name="status"),
    path("<uuid:case_id>/cluster/", views.case_cluster, name="cluster"),
    path("clusters/", views.cluster_list, name="cluster_list"),
    path("clusters/new/", views.cluster_create, name="cluster_create"),
    path("clusters/<uuid:cluster_id>/", views.cluster_detail, name="cluster_detail"),
    path("clusters/<uuid:cluster_id>/edit/", views.cluster_edit, name="cluster_edit"),
    path("clusters/<uuid:cluster_id>/close/", views.cluster_close, name="cluster_close"),
    path("clusters/<uuid:cluster_id>/reopen/", views.cluster_reopen, name="cluster_reopen"),
    path("clusters/<uuid:cluster_id>/cases/", views.cluster_add_cases, name="cluster_add_cases"),
]
