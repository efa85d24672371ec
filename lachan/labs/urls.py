from django.urls import path

from .dashboard import views as dashboard_views
from .lookup import views as lookup_views
from .sampling import views

app_name = "labs"
urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:campaign_id>/next-round/", views.campaign_next_round, name="campaign_next_round"),
    path("campaigns/<uuid:campaign_id>/sites/new/", views.site_create, name="site_create"),
    path("campaigns/<uuid:campaign_id>/blank-labels.pdf", views.blank_labels, name="blank_labels"),
    path("sites/<uuid:site_id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<uuid:site_id>/desk/", views.desk, name="desk"),
    path("samples/", views.sample_find, name="sample_find"),
    path("samples/<uuid:sample_id>/", views.sample_detail, name="sample_detail"),
    path("samples/<uuid:sample_id>/label.pdf", views.sample_label, name="sample_label"),
    path("samples/<uuid:sample_id>/reject/", views.sample_reject, name="sample_reject"),
    path("samples/<uuid:sample_id>/slip/<uuid:swab_id>.pdf", lookup_views.staff_slip, name="slip"),
    path("labels.pdf", views.labels_sheet, name="labels"),
    path("receive/", views.receive, name="receive"),
    path("queue/", views.queue, name="queue"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("advice/", dashboard_views.advice_page, name="advice"),
]
