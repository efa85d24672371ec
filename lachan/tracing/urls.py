from django.urls import path

from . import views

app_name = "tracing"
urlpatterns = [
    path("cases/<uuid:case_id>/", views.report, name="report"),
    path("cases/<uuid:case_id>/export/", views.report_export, name="report_export"),
    path("cases/<uuid:case_id>/interview/", views.interview, name="interview"),
    path("calls/", views.calls, name="calls"),
    path("calls/<int:contact_id>/", views.call_mark, name="call_mark"),
    path("chain/", views.chain, name="chain"),
]
