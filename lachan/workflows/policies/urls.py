"""The policy pages of every kind (lachan.workflows.policies.views), under /policies/."""

from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.kinds, name="kinds"),
    path("<slug:kind>/", views.versions, name="versions"),
    path("<slug:kind>/draft/", views.draft, name="draft"),
    path("<slug:kind>/<int:pk>/", views.version, name="version"),
]
