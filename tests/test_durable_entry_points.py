"""Entry points (called by views, the API, tasks and jobs, never by another service) open their own transaction
with `transaction.atomic(durable=True)`: called inside someone else's transaction they refuse at once, instead of
committing nothing until an outer block they do not know of commits (issue 13, DESIGN "side effects after
commit"). Each app adds its entry points here as it marks them."""

import pytest
from django.db import transaction
from django.utils.module_loading import import_string

ENTRY_POINTS = [
    "lachan.accounts.services.api_token_create",
    "lachan.accounts.services.api_token_revoke",
    "lachan.accounts.services.citizen_registration_resend",
    "lachan.accounts.services.citizen_registration_start",
    "lachan.accounts.services.staff_user_create",
    "lachan.accounts.services.totp_device_confirm",
    "lachan.accounts.services.totp_device_remove",
    "lachan.accounts.services.totp_device_start",
    "lachan.accounts.services.user_activate",
    "lachan.accounts.services.user_deactivate",
    "lachan.accounts.services.user_set_jurisdiction",
    "lachan.cases.services.case_add_to_cluster",
    "lachan.cases.services.cluster_add_cases",
    "lachan.cases.services.cluster_close",
    "lachan.cases.services.cluster_create",
    "lachan.cases.services.cluster_reopen",
    "lachan.cases.services.cluster_update",
    "lachan.geo.services.admin_unit_set_population",
    "lachan.labs.results.files.mapping_save",
    "lachan.labs.results.services.retest_register",
    "lachan.labs.sampling.services.campaign_create",
    "lachan.labs.sampling.services.campaign_next_round",
    "lachan.labs.sampling.services.campaign_update",
    "lachan.labs.sampling.registering.codes_reserve",
    "lachan.labs.sampling.services.sample_reject",
    "lachan.labs.sampling.services.site_create",
    "lachan.labs.sampling.services.site_update",
    "lachan.notifications.services.message_retry",
    "lachan.people.duplicates.duplicate_dismiss",
    "lachan.people.duplicates.duplicate_merge",
    "lachan.people.services.person_update",
    "lachan.risk.levels.services.level_override",
    "lachan.risk.levels.services.level_override_clear",
    "lachan.risk.levels.services.risk_input_record",
    "lachan.risk.levels.services.risk_policy_adopt",
    "lachan.risk.lockdowns.services.lockdown_area_create",
    "lachan.risk.lockdowns.services.lockdown_area_delete",
    "lachan.risk.lockdowns.services.lockdown_area_lift",
    "lachan.risk.lockdowns.services.lockdown_area_update",
    "lachan.tracing.services.contact_mark_call",
    "lachan.tracing.services.interview_contact_add",
    "lachan.tracing.services.proximity_upload",
    "lachan.venues.logbooks.review.logbook_accept",
    "lachan.venues.logbooks.review.logbook_reject",
    "lachan.venues.logbooks.review.visitor_accept",
    "lachan.venues.logbooks.review.visitor_match",
    "lachan.venues.logbooks.review.visitor_reject",
    "lachan.venues.services.checkin_checkout",
    "lachan.venues.services.venue_register",
    "lachan.venues.services.venue_size_confirm",
    "lachan.workflows.case_confirmation.services.case_retrace",
    "lachan.workflows.lab_results.services.lab_import_release",
    "lachan.workflows.lab_results.services.lab_result_correct",
    "lachan.workflows.lab_results.services.lab_result_enter",
    "lachan.workflows.lab_results.services.lab_result_release",
]


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_an_entry_point_refuses_to_nest(db, path):
    entry_point = import_string(path)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        entry_point()  # refused on entering its block, before its arguments are looked at
