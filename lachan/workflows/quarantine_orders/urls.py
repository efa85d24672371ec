"""Quarantine pages that span domains (lachan.workflows.quarantine_orders.views), under /quarantine/."""

from django.urls import path

from . import views

app_name = "quarantineflows"
urlpatterns = [
    path("cases/<uuid:case_id>/contacts/", views.case_contacts, name="case_contacts"),
    path("cases/<uuid:case_id>/isolate/", views.case_isolation, name="case_isolate"),
    path("tests-due/", views.tests_due_page, name="tests_due"),
    path("tests-due/export.xlsx", views.tests_due_export, name="tests_due_export"),
]
