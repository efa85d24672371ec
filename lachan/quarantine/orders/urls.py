"""Order and facility pages (lachan.quarantine.orders.views), in the "quarantine" namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.order_list, name="orders"),
    path("orders/export.xlsx", views.order_export, name="order_export"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/release/", views.orders_release, name="orders_release"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/extend/", views.order_extend, name="order_extend"),
    path("orders/<uuid:order_id>/move/", views.order_move, name="order_move"),
    path("orders/<uuid:order_id>/end/", views.order_end, name="order_end"),
    path("orders/<uuid:order_id>/release/", views.order_release, name="order_release"),
    path("orders/<uuid:order_id>/order.pdf", views.order_pdf, name="order_pdf"),
    path("orders/<uuid:order_id>/certificate.pdf", views.order_certificate, name="order_certificate"),
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/new/", views.facility_create, name="facility_create"),
    path("facilities/<uuid:facility_id>/", views.facility_detail, name="facility_detail"),
    path("facilities/<uuid:facility_id>/edit/", views.facility_edit, name="facility_edit"),
    path("facilities/<uuid:facility_id>/rooms/", views.room_create, name="room_create"),
    path("rooms/<uuid:room_id>/", views.room_edit, name="room_edit"),
]
