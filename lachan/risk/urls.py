"""Risk-level pages (lachan.risk.levels.views) under /risk/. Computing a day and trying rules on past data read cases:
they are in lachan.workflows.risk_levels.urls ("risk_work"), mounted at /risk/ too."""

from django.urls import path

from .levels import views

app_name = "risk"
urlpatterns = [
    path("", views.levels, name="levels"),
    path("export.xlsx", views.levels_export, name="export"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
    path("units/<str:code>/override/", views.unit_override, name="override"),
    path("units/<str:code>/override/clear/", views.unit_override_clear, name="override_clear"),
    path("units/<str:code>/inputs/", views.unit_input, name="input"),
    path("policies/", views.policies, name="policies"),
    path("policies/adopt/", views.policy_adopt, name="adopt"),
]
