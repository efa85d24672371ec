"""The policy API of every kind (lachan.workflows.policies), mounted under /api/policies: the kinds with their
schema, the versions, checking and trying a draft (nothing saved), adopting it from a day (audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status

from lachan.core.dates import Day
from lachan.core.errors import PolicyErrorCode
from lachan.core.schemas import error_responses

from . import services as service

router = Router(tags=["policies"])


ERRORS = error_responses(PolicyErrorCode, 400, 403, 404, 422)
DOC = service.ERROR_CODES_DOC


class VersionOut(Schema):
    id: int
    kind: str
    version: str
    valid_from: date
    valid_to: date | None
    source: str = Field(..., description="the legal source (decision, dispatch)")
    in_force: bool = Field(..., description="whether it applies today")
    rules: dict[str, Any]
    adopted_by: str = Field("", description="who adopted it on the platform (empty: entered with the platform)")
    created_at: datetime


class KindOut(Schema):
    kind: str
    label: str
    description: str
    in_force: str | None = Field(None, description="the version in force today")
    versions: int
    has_trial: bool = Field(..., description="whether a draft can be tried on past data")
    pages: str = Field("", description="the address of the kind's own, richer pages, if any")


class KindDetailOut(KindOut):
    fields: list[dict[str, Any]] = Field(..., description="the schema of the rules: key, type (integer, decimal, "
                                         "boolean, choice, time, days, mapping, group, list), label, help, unit, "
                                         "low, high, choices, fields (nested), nullable, optional")
    version_list: list[VersionOut]


class DraftIn(Schema):
    rules: dict[str, Any] = Field(..., description="the draft's rules, e.g. the version in force's with changes")


class CheckOut(Schema):
    valid: bool
    problems: list[str]


class TrialTableOut(Schema):
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str


class TrialOut(Schema):
    summary: list[str]
    tables: list[TrialTableOut]


class AdoptIn(DraftIn):
    version: str = Field(..., description="the new version's name, unique within the kind (at most 80 characters)")
    valid_from: Day = Field(..., description="its first day: today or later (the version in force ends the day "
                                             "before)")
    source: str = Field(..., description="the legal source (at most 300 characters)")


def _version(policy) -> dict[str, Any]:
    today = timezone.localdate()
    by = policy.created_by
    return {"id": policy.pk, "kind": policy.kind, "version": policy.version, "valid_from": policy.valid_from,
            "valid_to": policy.valid_to, "source": policy.source, "rules": policy.rules or {},
            "in_force": policy.valid_from <= today and (policy.valid_to is None or today <= policy.valid_to),
            "adopted_by": (by.get_full_name() or by.get_username()) if by else "", "created_at": policy.created_at}


def _kind(overview) -> dict[str, Any]:
    entry = overview.entry
    return {"kind": entry.kind, "label": str(entry.label), "description": str(entry.description),
            "in_force": overview.in_force.version if overview.in_force else None, "versions": overview.versions,
            "has_trial": entry.trial is not None, "pages": _pages(entry)}


def _pages(entry) -> str:
    from django.urls import reverse

    return reverse(entry.pages) if entry.pages else ""


@router.get("", response={200: list[KindOut], **ERRORS}, summary="The kinds of policy",
            description="Every kind of policy with the version in force today. " + DOC)
def kinds(request):
    return [_kind(o) for o in service.policy_kinds_overview(user=request.auth)]


@router.get("/{kind}", response={200: KindDetailOut, **ERRORS}, summary="A kind: its schema and versions",
            description="The schema of the kind's rules (labels in the caller's language) and every version, newest "
                        "first. " + DOC)
def kind_detail(request, kind: str):
    entry = service.policy_kind_get(user=request.auth, kind=kind)
    versions = service.policy_versions(user=request.auth, kind=kind)
    in_force = service.policy_version_in_force(kind)
    return {"kind": entry.kind, "label": str(entry.label), "description": str(entry.description),
            "in_force": in_force.version if in_force else None, "versions": len(versions),
            "has_trial": entry.trial is not None, "pages": _pages(entry),
            "fields": [f.as_dict() for f in entry.fields], "version_list": [_version(p) for p in versions]}


@router.get("/{kind}/versions/{version_id}", response={200: VersionOut, **ERRORS}, summary="A version",
            description=DOC)
def version_detail(request, kind: str, version_id: int):
    return _version(service.policy_version_get(user=request.auth, kind=kind, pk=version_id))


@router.post("/{kind}/check", response={200: CheckOut, **ERRORS}, summary="Check a draft (nothing saved)",
             description="Every problem of a draft under the kind's validator. Province-wide policy managers only; "
                         "audited. " + DOC)
def check(request, kind: str, payload: DraftIn):
    problems = service.policy_draft_check(user=request.auth, kind=kind, rules=payload.rules)
    return {"valid": not problems, "problems": problems}


@router.post("/{kind}/trial", response={200: TrialOut, **ERRORS}, summary="Try a draft on past data (nothing saved)",
             description="What the draft would have done (tracing: recent cases traced again, F1/F2 per case and the "
                         "people added or removed). Province-wide policy managers only; audited. " + DOC)
def trial(request, kind: str, payload: DraftIn):
    result = service.policy_draft_try(user=request.auth, kind=kind, rules=payload.rules)
    return {"summary": [str(s) for s in result.summary],
            "tables": [{"title": str(t.title), "columns": [str(c) for c in t.columns],
                        "rows": [[c if isinstance(c, (int, float)) else str(c) for c in row] for row in t.rows],
                        "note": str(t.note or "")} for t in result.tables]}


@router.post("/{kind}/versions", response={201: VersionOut, **ERRORS}, summary="Adopt a draft from a day",
             description="The draft becomes the version in force from `valid_from` (today or later); the version in "
                         "force then ends the day before. Province-wide policy managers only; audited. " + DOC)
def adopt(request, kind: str, payload: AdoptIn):
    policy = service.policy_adopt(user=request.auth, kind=kind, version=payload.version,
                                  valid_from=payload.valid_from, rules=payload.rules, source=payload.source)
    return Status(201, _version(policy))
