"""Result pages under /labs/: the laboratory's own (lachan.labs.results.views) and those that set off cases
(lachan.workflows.lab_results.views), in one namespace."""

from django.urls import path

from lachan.labs.results import views as results_views

from . import views as lab_results_views

app_name = "labresults"
urlpatterns = [
    path("results/", lab_results_views.results_import, name="import"),
    path("results/find/", lab_results_views.result_find, name="find"),
    path("samples/<uuid:sample_id>/result/", lab_results_views.sample_result, name="sample_result"),
    path("results/imports/", results_views.import_list, name="imports"),
    path("results/imports/<uuid:import_id>/", results_views.import_detail, name="import_detail"),
    path("results/imports/<uuid:import_id>/errors.csv", results_views.import_errors_csv, name="import_errors"),
    path("results/imports/<uuid:import_id>/release/", lab_results_views.import_release, name="import_release"),
    path("results/layouts/", results_views.mapping_list, name="mapping_list"),
    path("results/layouts/new/", results_views.mapping_edit, name="mapping_new"),
    path("results/layouts/<uuid:mapping_id>/", results_views.mapping_edit, name="mapping_edit"),
    path("retests/", results_views.retest_list, name="retests"),
    path("retests/export.xlsx", results_views.retest_export, name="retests_export"),
    path("retests/<uuid:swab_id>/register/", results_views.retest_register, name="retest_register"),
]
