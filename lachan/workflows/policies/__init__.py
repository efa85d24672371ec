"""The policy pages and API of every kind: versions, drafts checked and tried, adoption."""

from .services import (
    ERROR_CODES_DOC,
    KindOverview,
    RulesInvalid,
    in_force_q,
    may_manage,
    policy_adopt,
    policy_draft_check,
    policy_draft_try,
    policy_kind_get,
    policy_kinds_overview,
    policy_version_get,
    policy_version_in_force,
    policy_versions,
)

__all__ = [
    "ERROR_CODES_DOC",
    "KindOverview",
    "RulesInvalid",
    "in_force_q",
    "may_manage",
    "policy_adopt",
    "policy_draft_check",
    "policy_draft_try",
    "policy_kind_get",
    "policy_kinds_overview",
    "policy_version_get",
    "policy_version_in_force",
    "policy_versions",
]
