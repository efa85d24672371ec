from enum import StrEnum


class QuarantineErrorCode(StrEnum):
    PERMISSION = "quarantine_permission"
    ORDER_NOT_FOUND = "quarantine_order_not_found"
    ORDER_OVERLAPS = "quarantine_order_overlaps"
    ORDER_NOT_ACTIVE = "quarantine_order_not_active"
    DATES_INVALID = "quarantine_dates_invalid"
    PERSON_NOT_FOUND = "quarantine_person_not_found"
    POLICY_MISSING = "quarantine_policy_missing"
    FACILITY_NOT_FOUND = "quarantine_facility_not_found"
    FACILITY_FULL = "quarantine_facility_full"
    ROOM_NOT_FOUND = "quarantine_room_not_found"
    ROOM_FULL = "quarantine_room_full"
    SETTING_INVALID = "quarantine_setting_invalid"
    REASON_REQUIRED = "quarantine_reason_required"
    NOT_IN_QUARANTINE = "quarantine_not_in_quarantine"
    REPORT_INVALID = "quarantine_report_invalid"
    PING_INVALID = "quarantine_ping_invalid"
    PING_FUTURE = "quarantine_ping_in_future"
    NO_CONSENT = "quarantine_no_location_consent"
    ALERT_NOT_FOUND = "quarantine_alert_not_found"
    ALERT_TRANSITION = "quarantine_alert_transition"
    # Monitoring (daily check-ins, pings, alerts)
    LINK_INVALID = "quarantine_link_invalid"
    NO_PHONE = "quarantine_no_phone"
    # Orders and facilities
    ORDER_INVALID = "quarantine_order_invalid"
    FACILITY_INVALID = "quarantine_facility_invalid"
    ROOM_INVALID = "quarantine_room_invalid"
    RELEASE_TOO_EARLY = "quarantine_release_too_early"
    BATCH_INVALID = "quarantine_batch_invalid"
