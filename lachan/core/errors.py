"""Domain errors: a stable code per domain (Saleor style), a message in the user's language, a field."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class DomainError(Exception):
    """Raised by services and selectors; views show it on a form, the API answers 400 with it."""

    status = 400

    def __init__(self, code: StrEnum | str, message: Any, *, field: str | None = None, **params: Any):
        self.code = str(code)
        self.message = message
        self.field = field
        self.params = params
        super().__init__(str(message))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.params:
            data["params"] = {k: v for k, v in self.params.items() if isinstance(v, (str, int, float, bool))}
        return data


class ValidationFailed(DomainError):
    """Several field errors at once (a form, an import row)."""

    def __init__(self, errors: list[DomainError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.code, first.message, field=first.field)

    def as_dict(self) -> dict[str, Any]:
        return {"code": "invalid", "message": str(self.errors[0].message), "errors": [e.as_dict() for e in self.errors]}


class NotFound(DomainError):
    """Also what a user gets for a record outside their jurisdiction: its existence is not revealed."""

    status = 404


class PermissionDenied(DomainError):
    status = 403


class CommonErrorCode(StrEnum):
    """The codes any operation may answer, sent by the API root's handlers and core.ratelimit."""

    INVALID = "invalid"  # a request that fails its schema (422), or several field errors at once
    BAD_REQUEST = "bad_request"  # a body that cannot be read
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    PERMISSION_DENIED = "permission_denied"


class PolicyErrorCode(StrEnum):
    """Policies (core.policies and the policy pages and API of workflows.policies)."""

    PERMISSION = "policy_permission"
    UNKNOWN_KIND = "policy_unknown_kind"
    NOT_FOUND = "policy_not_found"
    MISSING = "policy_missing"  # no version in force on a day
    RULES = "policy_rules"
    VERSION = "policy_version"
    DATES = "policy_dates"
    OVERLAP = "policy_overlap"
    SOURCE = "policy_source"
    NO_TRIAL = "policy_no_trial"
