from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lachan.core.errors import DomainError


class RiskErrorCode(StrEnum):
    PERMISSION = "risk_permission"
    POLICY_MISSING = "risk_policy_missing"
    POLICY_INVALID = "risk_policy_invalid"
    POLICY_VERSION = "risk_policy_version"
    POLICY_DATES = "risk_policy_dates"
    POLICY_OVERLAP = "risk_policy_overlap"
    JSON_INVALID = "risk_json_invalid"
    ASSESSMENT_NOT_FOUND = "risk_assessment_not_found"
    UNIT_NOT_FOUND = "risk_unit_not_found"
    TREE_INVALID = "risk_tree_invalid"
    DATE_INVALID = "risk_date_invalid"
    PERIOD_INVALID = "risk_period_invalid"
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


class RulesInvalid(DomainError):
    """Every problem of a policy version's rules at once (lachan.risk.policy.validate_rules): the API answers
    {code, message, field, errors: [{code, message, field}, …]}, a page lists them all."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        message = ngettext("The rules have %(n)d problem: %(first)s", "The rules have %(n)d problems; the first: "
                           "%(first)s", len(self.problems)) % {"n": len(self.problems), "first": self.problems[0]}
        super().__init__(RiskErrorCode.POLICY_INVALID, message, field="rules")

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["errors"] = [{"code": str(RiskErrorCode.POLICY_INVALID), "message": p, "field": "rules"}
                          for p in self.problems]
        return data


def json_error(exc) -> DomainError:
    """A lachan.core.jsontext.JsonError as a clear message (with the line and column of a syntax error)."""
    return DomainError(RiskErrorCode.JSON_INVALID, _("The rules are not valid JSON: %(error)s.") % {"error": exc.message},
                       field="rules")
