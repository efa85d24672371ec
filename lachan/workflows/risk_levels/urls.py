"""Risk-level pages that read cases (lachan.workflows.risk_levels.views), under /risk/: computing a day on demand and
trying a province's own rules on past data."""

from django.urls import path

from . import views

app_name = "risk_work"
urlpatterns = [
    path("compute/", views.compute, name="compute"),
    path("policies/trial/", views.trial, name="trial"),
]
