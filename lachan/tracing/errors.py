from enum import StrEnum


class TracingErrorCode(StrEnum):
    PERMISSION = "tracing_permission_denied"
    NOT_FOUND = "tracing_not_found"
    CONTACT_NOT_FOUND = "tracing_contact_not_found"
    CALL_STATUS_INVALID = "tracing_call_status_invalid"
    NO_POLICY = "tracing_no_policy"
    INTERVIEW_TIME = "tracing_interview_time"
    INTERVIEW_SELF = "tracing_interview_self"
    INTERVIEW_PERSON = "tracing_interview_person"
    INTERVIEW_MINUTES = "tracing_interview_minutes"
    PROXIMITY_CONSENT = "tracing_proximity_consent"
    PROXIMITY_DEVICE = "tracing_proximity_device"
    PROXIMITY_ENCOUNTER = "tracing_proximity_encounter"
    PROXIMITY_TOO_MANY = "tracing_proximity_too_many"
