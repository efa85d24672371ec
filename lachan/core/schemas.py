"""The one error shape of the API, `{code, message, field?, params?, errors?}` (DomainError.as_dict and
ValidationFailed.as_dict), and per-domain schemas of it whose `code` is the domain's enum, so that the OpenAPI
document lists the codes each operation may answer.

The API root's exception handlers write error bodies with as_dict() without validating them against these
schemas: a response never changes because of them. (A view returning `(status, body)` would be validated: raise
the DomainError instead.)"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

from ninja import Schema
from pydantic import create_model

from .errors import CommonErrorCode


class FieldErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] | None = None


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] | None = None
    errors: list[FieldErrorOut] | None = None


@cache
def error_schema(*codes: type[StrEnum]) -> type[ErrorOut]:
    """ErrorOut whose code is one of the domains' codes or the common ones: LabErrorCode → LabErrorOut; an operation
    that may answer the codes of several domains (a workflow calling two apps' services) lists them all, in the
    order given: (QuarantineErrorCode, CaseErrorCode) → QuarantineCaseErrorOut."""
    if not codes:
        raise TypeError("error_schema needs at least one enum of codes")
    name = "".join(c.__name__.removesuffix("Code").removesuffix("Error") for c in codes) + "ErrorOut"
    union = codes[0]
    for enum in (*codes[1:], CommonErrorCode):
        union = union | enum
    return create_model(name, __base__=ErrorOut, code=(union, ...))


def error_responses(*codes_and_statuses: type[StrEnum] | int) -> dict[int, type[ErrorOut]]:
    """The error part of an operation's `response=`: {400: LabErrorOut, 404: LabErrorOut} (400, 403 and 404 when
    no status is given). Merge with the success: `response={200: SampleOut, **error_responses(LabErrorCode)}`;
    several domains: `error_responses(QuarantineErrorCode, CaseErrorCode, 400, 404)`."""
    codes = tuple(c for c in codes_and_statuses if not isinstance(c, int))
    statuses = tuple(c for c in codes_and_statuses if isinstance(c, int))
    schema = error_schema(*codes)
    return dict.fromkeys(statuses or (400, 403, 404), schema)
