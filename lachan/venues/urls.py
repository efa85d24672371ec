from django.urls import path

from . import views

app_name = "venues"
urlpatterns = [
    path("", views.venue_list, name="list"),
    path("new/", views.venue_create, name="create"),
    path("logbooks/", views.logbooks_review, name="logbooks"),
    path("logbooks/<uuid:logbook_id>/", views.logbook_review_page, name="logbook_review"),
    path("<uuid:venue_id>/", views.venue_detail, name="detail"),
    path("<uuid:venue_id>/size/", views.venue_size_confirm, name="size_confirm"),
    path("<uuid:venue_id>/poster.png", views.venue_poster_png, name="poster_png"),
    path("<uuid:venue_id>/poster.pdf", views.venue_poster_pdf, name="poster_pdf"),
    path("<uuid:venue_id>/logbook/errors.csv", views.logbook_errors_csv, name="logbook_errors"),
]
