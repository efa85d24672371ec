"""The citizen's check-in page, at the short URL printed in the QR code: /c/<code>.<signature>."""

from django.urls import path

from . import views

app_name = "checkin"
urlpatterns = [
    path("<str:token>", views.checkin_page, name="page"),
]
