"""Case confirmation: a confirmed case is traced and its contacts notified."""

from .services import (
    Confirmed,
    case_confirm_and_trace,
    case_retrace,
    cases_trace_and_notify,
)

__all__ = [
    "Confirmed",
    "case_confirm_and_trace",
    "case_retrace",
    "cases_trace_and_notify",
]
