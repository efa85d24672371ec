from enum import StrEnum


class CaseErrorCode(StrEnum):
    PERMISSION = "cases_permission_denied"
    NOT_FOUND = "cases_not_found"
    PERSON_NOT_FOUND = "cases_person_not_found"
    SAMPLE_DATE_REQUIRED = "cases_sample_date_required"
    ONSET_AFTER_SAMPLE = "cases_onset_after_sample"
    DATE_IN_FUTURE = "cases_date_in_future"
    SAMPLE_AFTER_CONFIRMATION = "cases_sample_after_confirmation"
    DATE_TOO_OLD = "cases_date_too_old"
    ALREADY_CASE = "cases_already_confirmed"
    ORIGIN_INVALID = "cases_origin_invalid"
    STATUS_INVALID = "cases_status_invalid"
    STATUS_FINAL = "cases_status_final"
    STATUS_DATE = "cases_status_date"
    CLUSTER_NAME_REQUIRED = "cases_cluster_name_required"
    CLUSTER_KIND_INVALID = "cases_cluster_kind_invalid"
    CLUSTER_NOT_FOUND = "cases_cluster_not_found"
