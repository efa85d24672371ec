"""Risk levels computed from cases, tests and vaccination: daily, on demand, and tried on past data."""

from .services import (
    GENERIC_TRIAL_DAYS,
    TRIAL_CHANGES_SHOWN,
    Trial,
    TrialChange,
    TrialDay,
    risk_inputs_gather,
    risk_levels_compute,
    risk_levels_daily,
    risk_policy_trial,
    risk_policy_trial_recent,
)

__all__ = [
    "GENERIC_TRIAL_DAYS",
    "TRIAL_CHANGES_SHOWN",
    "Trial",
    "TrialChange",
    "TrialDay",
    "risk_inputs_gather",
    "risk_levels_compute",
    "risk_levels_daily",
    "risk_policy_trial",
    "risk_policy_trial_recent",
]
