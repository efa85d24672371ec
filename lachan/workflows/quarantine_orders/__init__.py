"""Quarantine orders from cases and tracing: contacts quarantined, cases isolated, tests due."""

from .services import (
    FINAL_OUTCOMES,
    ContactsPlan,
    ContactsQuarantined,
    case_contacts_plan,
    case_contacts_quarantine,
    case_isolate,
    quarantine_tests_results,
    quarantine_tests_sampled,
    tests_audited,
    tests_due,
)

__all__ = [
    "ContactsPlan",
    "ContactsQuarantined",
    "FINAL_OUTCOMES",
    "case_contacts_plan",
    "case_contacts_quarantine",
    "case_isolate",
    "quarantine_tests_results",
    "quarantine_tests_sampled",
    "tests_audited",
    "tests_due",
]
