from enum import StrEnum


class RiskErrorCode(StrEnum):
    PERMISSION = "risk_permission"
    POLICY_MISSING = "risk_policy_missing"
    POLICY_INVALID = "risk_policy_invalid"
    ASSESSMENT_NOT_FOUND = "risk_assessment_not_found"
    UNIT_NOT_FOUND = "risk_unit_not_found"
    TREE_INVALID = "risk_tree_invalid"
    DATE_INVALID = "risk_date_invalid"
    LEVEL_INVALID = "risk_level_invalid"
    REASON_REQUIRED = "risk_reason_required"
    NOT_OVERRIDDEN = "risk_not_overridden"
    INPUT_INVALID = "risk_input_invalid"


class LockdownErrorCode(StrEnum):
    PERMISSION = "lockdown_permission"
    NOT_FOUND = "lockdown_not_found"
    GEOMETRY_INVALID = "lockdown_geometry_invalid"
    OUTSIDE_PROVINCE = "lockdown_outside_province"
    OUTSIDE_JURISDICTION = "lockdown_outside_jurisdiction"
    FILE_INVALID = "lockdown_file_invalid"
    NAME_REQUIRED = "lockdown_name_required"
    DATES_INVALID = "lockdown_dates_invalid"
    RESIDENTS_INVALID = "lockdown_residents_invalid"
    ALREADY_LIFTED = "lockdown_already_lifted"
