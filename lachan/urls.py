from django.contrib import admin
from django.urls import include, path

from lachan.api.root import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("lachan.accounts.urls")),
    path("people/", include("lachan.people.urls")),
    path("cases/", include("lachan.workflows.case_confirmation.urls")),
    path("cases/", include("lachan.cases.urls")),
    path("tracing/", include("lachan.tracing.urls")),
    path("notifications/", include("lachan.notifications.urls")),
    path("units/", include("lachan.geo.urls")),
    path("venues/", include("lachan.venues.urls")),
    path("labs/", include("lachan.workflows.lab_results.urls")),  # results (they set off cases and tracing)
    path("labs/", include("lachan.labs.urls")),
    path("quarantine/", include("lachan.workflows.quarantine_orders.urls")),  # from cases and tracing; tests due
    path("quarantine/", include("lachan.quarantine.urls")),
    path("risk/", include("lachan.workflows.risk_levels.urls")),  # computing levels and trying a policy on past data
    path("risk/", include("lachan.risk.urls")),
    path("policies/", include("lachan.workflows.policies.urls")),  # every kind of policy: versions, drafts, trials
    path("map/", include("lachan.situation.urls")),  # the map gathers layers from every domain
    path("ban-do/", include("lachan.situation.urls_public")),  # the citizens' read-only map
    path("c/", include("lachan.venues.urls_public")),
    path("ket-qua/", include("lachan.labs.lookup.urls")),  # citizens' results (the address in the SMS)
    path("", include("lachan.web.urls")),
]

# The platform's own error pages (JSON under /api/): lachan.web.errors.
handler400 = "lachan.web.errors.bad_request"
handler403 = "lachan.web.errors.permission_denied"
handler404 = "lachan.web.errors.page_not_found"
handler500 = "lachan.web.errors.server_error"
