"""Risk levels API: the levels of a day and a unit's history within the caller's jurisdiction, overrides with
their reason, and the vaccination / capacity figures a province enters."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from lachan.core.errors import NotFound
from lachan.geo.models import AdminUnit

from . import selectors, services
from .errors import RiskErrorCode as Code
from .explain import reasons_text
from .models import RiskAssessment

router = Router(tags=["risk"])
MAX_ROWS = 20_000  # a whole country's communes


class AssessmentOut(Schema):
    id: int
    unit_code: str
    unit_name: str
    unit_level: int
    on: date
    level: int | None
    computed_level: int | None
    overridden: bool
    override_reason: str
    policy_version: str
    inputs: dict[str, Any]
    missing: list[str]
    reasons: list[str]

    @staticmethod
    def resolve_unit_code(obj: RiskAssessment) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: RiskAssessment) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_unit_level(obj: RiskAssessment) -> int:
        return obj.unit.level

    @staticmethod
    def resolve_policy_version(obj: RiskAssessment) -> str:
        return obj.policy.version

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
    as_of: date
    note: str = ""


class InputOut(Schema):
    id: int
    unit_code: str
    kind: str
    value: float
    as_of: date
    note: str

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code


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
def levels(request, on: date | None = None, admin_level: int | None = None, within: str = "", level: int | None = None):
    """The levels of a day (the last day assessed unless given) in the caller's jurisdiction; `admin_level` 1–3
    (province, district, commune), `within` a unit's code, `level` 1–4 or 0 (could not be assessed)."""
    day = on or selectors.latest_day(user=request.auth)
    if day is None:
        return []
    rows = selectors.levels_of_day(user=request.auth, on=day, admin_level=admin_level,
                                   within=_unit(within, "within") if within else None, level=level)
    return list(rows[:MAX_ROWS])


@router.get("/units/{code}/history", response=list[AssessmentOut])
def history(request, code: str, start: date | None = None, end: date | None = None):
    rows = selectors.unit_history(user=request.auth, unit=_unit(code), start=start, end=end)
    return list(rows.select_related("unit")[:400])


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
