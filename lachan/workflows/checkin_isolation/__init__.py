"""A confirmed case who checks in somewhere: sent home, the station alerted."""

from .services import (
    CLOSED_STATUSES,
    POLICY_KIND,
    cases_to_isolate,
    checkins_of_cases,
)

__all__ = [
    "CLOSED_STATUSES",
    "POLICY_KIND",
    "cases_to_isolate",
    "checkins_of_cases",
]
