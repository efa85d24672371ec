from django.urls import path

from . import views

app_name = "workflows"
urlpatterns = [
    path("new/", views.case_confirm, name="case_confirm"),
    path("<uuid:case_id>/retrace/", views.case_retrace_view, name="case_retrace"),
]
