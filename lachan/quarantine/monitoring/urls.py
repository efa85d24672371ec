from django.urls import path

from . import views

urlpatterns = [
    path("alerts/", views.alert_queue, name="alerts"),
    path("alerts/rows/", views.alert_rows, name="alert_rows"),
    path("alerts/export.xlsx", views.alert_export, name="alerts_export"),
    path("alerts/<int:alert_id>/act/", views.alert_act, name="alert_act"),
    path("overview/", views.overview_page, name="overview"),
    path("overview/export.xlsx", views.overview_export, name="overview_export"),
    path("orders/<uuid:order_id>/monitoring/", views.order_monitoring, name="order_monitoring"),
    path("orders/<uuid:order_id>/monitoring/report/", views.order_report, name="order_report"),
    path("orders/<uuid:order_id>/monitoring/tell/", views.order_notify, name="order_tell"),
    path("orders/<uuid:order_id>/monitoring/consent/", views.order_consent, name="order_consent"),
    # The person's phone page, from the SMS: no log-in, the signed token is the key.
    path("p/<str:token>/", views.phone_page, name="phone"),
]
