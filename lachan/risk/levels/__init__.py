"""Risk levels of administrative units: the rules in memory (rules.py), their reasons in words (explain.py), the
computation and overrides (services.py), the reads (selectors.py), and the pages and API over them."""

from .explain import input_label, reason_text, reasons_text
from .rules import Node, Outcome, UnitInputs, assess
from .selectors import (
    assessment_get,
    assessments_in_scope,
    inputs_of_unit,
    latest_day,
    level_counts,
    levels_of_day,
    may_adopt,
    policy_get,
    policy_on,
    policy_versions,
    recent_history,
    unit_get,
    unit_history,
    unit_scope_q,
    within_choices,
)
from .services import (
    TRIAL_MAX_DAYS,
    LevelsSummary,
    day_check,
    level_override,
    level_override_clear,
    levels_compute,
    period_check,
    policy_window_days,
    province_wide,
    require_perm,
    risk_input_record,
    risk_policy,
    risk_policy_adopt,
    rules_check,
    rules_from_text,
)

__all__ = [
    "TRIAL_MAX_DAYS", "LevelsSummary", "Node", "Outcome", "UnitInputs", "assess", "assessment_get",
    "assessments_in_scope", "day_check", "input_label", "inputs_of_unit", "latest_day", "level_counts",
    "level_override", "level_override_clear", "levels_compute", "levels_of_day", "may_adopt", "period_check",
    "policy_get", "policy_on", "policy_versions", "policy_window_days", "province_wide", "reason_text",
    "reasons_text", "recent_history", "require_perm", "risk_input_record", "risk_policy", "risk_policy_adopt",
    "rules_check", "rules_from_text", "unit_get", "unit_history", "unit_scope_q", "within_choices",
]
