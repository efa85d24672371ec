from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<uuid:message_id>/", views.message_detail, name="message"),
    path("<uuid:message_id>/retry/", views.message_retry, name="retry"),
]
