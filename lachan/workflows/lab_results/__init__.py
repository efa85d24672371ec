"""Lab results that set off cases and tracing: entered, corrected, imported, released."""

from .services import (
    QUARANTINE_DAYS,
    FollowUp,
    ImportOutcome,
    ResultOutcome,
    cases_from_positives,
    lab_import_release,
    lab_result_correct,
    lab_result_enter,
    lab_result_release,
    lab_results_import,
)

__all__ = [
    "FollowUp",
    "ImportOutcome",
    "QUARANTINE_DAYS",
    "ResultOutcome",
    "cases_from_positives",
    "lab_import_release",
    "lab_result_correct",
    "lab_result_enter",
    "lab_result_release",
    "lab_results_import",
]
