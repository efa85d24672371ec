"""Monitoring of the people in quarantine and isolation: daily check-ins, telling a person their order, location
pings and the geofence, the alerts of the commune stations, their pages and API."""

from .alerts import (
    alert_acknowledge,
    alert_actions,
    alert_close,
    alert_handle,
    alert_notify,
    alert_raise,
    alert_transition,
    alerts_digest_queue,
    station_addresses,
)
from .geofence import (
    PingsResult,
    haversine_m,
    location_consent_give,
    location_consent_revoke,
    pings_cleanup_job,
    pings_delete_before,
    pings_delete_ended,
    pings_record,
    pings_validate,
    silent_job,
    silent_raise,
)
from .notify import order_notify, orders_notify, orders_notify_new, orders_notify_task, orders_tell_task
from .selectors import (
    MonitoringState,
    Overview,
    OverviewRow,
    alert_get,
    alert_list,
    alert_reachable,
    alerts_audited,
    alerts_fingerprint,
    citizen_order,
    communes_of,
    districts_of,
    order_for_monitoring,
    order_monitoring,
    order_monitoring_rules,
    order_reachable,
    overview,
    report_list,
    require_perm_or_citizen,
    require_staff,
    silent_since,
)
from .services import (
    missed_reports_job,
    reports_missed_raise,
    symptom_report_record,
    tests_due_job,
    tests_due_raise,
)

__all__ = [
    "MonitoringState", "Overview", "OverviewRow", "PingsResult", "alert_acknowledge", "alert_actions", "alert_close",
    "alert_get", "alert_handle", "alert_list", "alert_notify", "alert_raise", "alert_reachable", "alert_transition",
    "alerts_audited", "alerts_digest_queue", "alerts_fingerprint", "citizen_order", "communes_of", "districts_of",
    "haversine_m", "location_consent_give", "location_consent_revoke", "missed_reports_job", "order_for_monitoring",
    "order_monitoring", "order_monitoring_rules", "order_notify", "order_reachable", "orders_notify",
    "orders_notify_new", "orders_notify_task", "orders_tell_task", "overview", "pings_cleanup_job",
    "pings_delete_before", "pings_delete_ended", "pings_record", "pings_validate", "report_list",
    "reports_missed_raise", "require_perm_or_citizen", "require_staff", "silent_job", "silent_raise", "silent_since",
    "station_addresses", "symptom_report_record", "tests_due_job", "tests_due_raise",
]
