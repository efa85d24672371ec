from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("export/", views.person_export, name="export"),
    path("me/", views.person_mine, name="mine"),
    path("duplicates/", views.duplicate_queue, name="duplicates"),
    path("duplicates/<int:candidate_id>/merge/", views.duplicate_merge, name="duplicate_merge"),
    path("duplicates/<int:candidate_id>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<uuid:person_id>/", views.person_detail, name="detail"),
    path("<uuid:person_id>/edit/", views.person_edit, name="edit"),
]
