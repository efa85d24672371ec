"""Risk levels API: the levels of a day and a unit's history within the caller's jurisdiction, overrides with
their reason, the vaccination / capacity figures a province enters, and the policy versions (a province adopting its
own). Computing a day and trying rules on past data read cases: lachan.workflows.risk_levels.api."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lachan.core.dates import Day
from lachan.core.errors import DomainError, NotFound
from lachan.core.jsontext import JsonError, json_read
from lachan.geo.api import UNIT_LABEL
from lachan.geo.models import AdminUnit

from ..errors import RiskErrorCode as Code
from ..models import RiskAssessment
from . import selectors, services
from .explain import reasons_text

router = Router(tags=["risk"])
MAX_ROWS = 20_000  # a whole country's communes


class AssessmentOut(Schema):
    id: int
    unit_code: str = Field(..., alias="unit.code")
    unit_name: str = Field(..., alias="unit.name")
    unit_label: str = Field(..., alias="unit.label", description=UNIT_LABEL)
    unit_level: int = Field(..., alias="unit.level")
    on: date
    level: int | None
    computed_level: int | None
    overridden: bool
    override_reason: str
    policy_version: str = Field(..., alias="policy.version")
    inputs: dict[str, Any]
    missing: list[str]
    reasons: list[str]


    @staticmethod
    def resolve_reasons(obj: RiskAssessment) -> list[str]:
        return reasons_text(obj.reasons or [])


class OverrideIn(Schema):
    level: int
    reason: str


class ClearIn(Schema):
    reason: str


class InputIn(Schema):
    unit: str  # official code
    kind: str
    value: float
    as_of: Day
    note: str = ""


class InputOut(Schema):
    id: int
    unit_code: str = Field(..., alias="unit.code")
    kind: str
    value: float
    as_of: date
    note: str


def _unit(code: str, field: str = "unit") -> AdminUnit:
    tree = getattr(settings, "LACHAN_ADMIN_TREE", None)
    units = AdminUnit.objects.filter(code=(code or "").strip()[:10])
    if tree:
        units = units.filter(tree=tree)
    unit = units.order_by("-tree").first()
    if unit is None:
        raise NotFound(Code.UNIT_NOT_FOUND, _("No such unit in your jurisdiction."), field=field)
    return unit


@router.get("/levels", response=list[AssessmentOut])
def levels(request, on: Day | None = None, admin_level: int | None = None, within: str = "", level: int | None = None):
    """The levels of a day (the last day assessed unless given) in the caller's jurisdiction; `admin_level` 1–3
    (province, district, commune), `within` a unit's code, `level` 1–4 or 0 (could not be assessed)."""
    day = on or selectors.latest_day(user=request.auth)
    if day is None:
        return []
    rows = selectors.levels_of_day(user=request.auth, on=day, admin_level=admin_level,
                                   within=_unit(within, "within") if within else None, level=level)
    return list(rows[:MAX_ROWS])


@router.get("/units/{code}/history", response=list[AssessmentOut])
def history(request, code: str, start: Day | None = None, end: Day | None = None):
    rows = selectors.unit_history(user=request.auth, unit=_unit(code), start=start, end=end)
    return list(rows.select_related("unit__parent")[:400])


@router.post("/assessments/{assessment_id}/override", response=AssessmentOut)
def override(request, assessment_id: int, payload: OverrideIn):
    """Set the level that applies, with the reason (audited); a recomputation of the day keeps it."""
    assessment = selectors.assessment_get(user=request.auth, pk=assessment_id)
    return services.level_override(assessment=assessment, level=payload.level, reason=payload.reason, by=request.auth)


@router.post("/assessments/{assessment_id}/override/clear", response=AssessmentOut)
def override_clear(request, assessment_id: int, payload: ClearIn):
    assessment = selectors.assessment_get(user=request.auth, pk=assessment_id)
    return services.level_override_clear(assessment=assessment, reason=payload.reason, by=request.auth)


@router.get("/units/{code}/inputs", response=list[InputOut])
def inputs(request, code: str):
    return list(selectors.inputs_of_unit(user=request.auth, unit=_unit(code)).select_related("unit")[:400])


@router.post("/inputs", response={201: InputOut})
def input_record(request, payload: InputIn):
    """A vaccination coverage (%) or capacity (1 met, 0 not) figure for a unit as of a day."""
    recorded = services.risk_input_record(unit=_unit(payload.unit), kind=payload.kind, value=payload.value,
                                          as_of=payload.as_of, note=payload.note, by=request.auth)
    return Status(201, recorded)


# ---- policies ----------------------------------------------------------------------------------------------------

class PolicyOut(Schema):
    id: int
    version: str
    valid_from: date
    valid_to: date | None
    source: str
    method: str
    in_force: bool
    rules: dict[str, Any]

    @staticmethod
    def resolve_method(obj) -> str:
        return (obj.rules or {}).get("method", "")

    @staticmethod
    def resolve_in_force(obj) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return obj.valid_from <= today and (obj.valid_to is None or today <= obj.valid_to)


class AdoptIn(Schema):
    version: str = Field(..., description="the name of the new version, e.g. 'Tiền Giang 06/2022'")
    valid_from: date = Field(..., description="its first day; the version in force then ends the day before")
    source: str = Field(..., description="the legal source (the province's decision)")
    rules: dict[str, Any] | str = Field(..., description="the rules (an object, or its JSON text); see "
                                                         "GET /api/risk/policies for examples")


def json_body(request) -> dict[str, Any]:
    """The request's JSON object, or a clear error (a malformed body is the caller's mistake, not a 500)."""
    try:
        data = json_read(request.body or b"{}")
    except JsonError as exc:
        raise DomainError(Code.JSON_INVALID, _("The request body is not valid JSON: %(error)s.")
                          % {"error": exc.message}, field="body") from None
    if not isinstance(data, dict):
        raise DomainError(Code.JSON_INVALID, _("The request body must be a JSON object."), field="body")
    return data


def body_date(data: dict[str, Any], name: str, *, required: bool = True) -> date | None:
    value = data.get(name)
    if value in (None, "") and not required:
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise DomainError(Code.DATE_INVALID, _("%(name)s must be a date (YYYY-MM-DD).") % {"name": name}, field=name)
    return parsed


def body_text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise DomainError(Code.POLICY_INVALID, _("%(name)s must be text.") % {"name": name}, field=name)
    return value


def _body_schema(schema) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema.model_json_schema()}}}}


@router.get("/policies", response=list[PolicyOut])
def policies(request):
    """Every version of the risk-level policy, newest first, with its dates, legal source and rules."""
    return selectors.policy_versions(user=request.auth)


@router.post("/policies", response={201: PolicyOut}, openapi_extra=_body_schema(AdoptIn))
def policy_adopt(request):
    """A province adopts its own rules from a day (only those who may change levels, for the whole province;
    audited). Invalid rules: 400 `risk_policy_invalid` with every problem in `errors`; nothing is saved."""
    data = json_body(request)
    policy = services.risk_policy_adopt(version=body_text(data, "version"), valid_from=body_date(data, "valid_from"),
                                        rules=data.get("rules"), source=body_text(data, "source"), by=request.auth)
    return Status(201, policy)
