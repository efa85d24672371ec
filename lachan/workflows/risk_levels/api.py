"""Risk-level API that reads cases (mounted under /api/risk): computing a day's levels now, and trying a
province's own rules on a past period (nothing saved)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema

from lachan.geo.api import UNIT_LABEL
from lachan.risk.levels import input_label
from lachan.risk.levels.api import _body_schema, body_date, json_body

from .services import risk_levels_compute, risk_policy_trial

router = Router(tags=["risk"])
LEVEL_KEYS = ("1", "2", "3", "4", "none")


class ComputeIn(Schema):
    on: date | None = Field(None, description="the day to assess (default: yesterday); not in the future")


class ComputeOut(Schema):
    on: date
    policy_version: str
    method: str
    units: int
    levels: dict[str, int] = Field(..., description="units at each level that applies (1–4), 'none': not assessed")
    overrides_kept: int
    missing: dict[str, int] = Field(..., description="units lacking each input")
    missing_labels: dict[str, str]
    totals: dict[str, int]
    seconds: float


class TrialIn(Schema):
    rules: dict[str, Any] | str = Field(..., description="the rules to try (an object, or its JSON text)")
    start: date = Field(..., description="first day of the period")
    end: date = Field(..., description="last day (not in the future; at most 62 days from the start)")


class TrialDayOut(Schema):
    on: date
    trial: dict[str, int] = Field(..., description="units at each level under the rules tried")
    saved: dict[str, int] = Field(..., description="units at each level saved that day")
    not_computed: int
    changed: int


class TrialChangeOut(Schema):
    on: date
    unit_code: str
    unit_name: str
    unit_label: str = Field(..., description=UNIT_LABEL)
    saved: int | None
    trial: int | None
    reasons: list[str]


class TrialOut(Schema):
    start: date
    end: date
    method: str
    units: int
    days: list[TrialDayOut]
    changes: list[TrialChangeOut] = Field(..., description="the first 200 unit-days that would change")
    changes_total: int
    overrides_kept: int
    seconds: float


def _keyed(levels: dict[int, int]) -> dict[str, int]:
    return {("none" if lv == 0 else str(lv)): n for lv, n in levels.items()}


@router.post("/compute", response=ComputeOut, openapi_extra=_body_schema(ComputeIn))
def compute(request):
    """Compute every unit's level of a day in the caller's jurisdiction now (overrides are kept)."""
    data = json_body(request)
    on = body_date(data, "on", required=False) or timezone.localdate() - timedelta(days=1)
    summary = risk_levels_compute(on=on, by=request.auth)
    levels = {str(lv): summary.levels.get(lv, 0) for lv in (1, 2, 3, 4)} | {"none": summary.not_assessed}
    return {"on": summary.on, "policy_version": summary.policy, "method": summary.method, "units": summary.units,
            "levels": levels, "overrides_kept": summary.overridden, "missing": summary.missing,
            "missing_labels": {k: input_label(k) for k in summary.missing}, "totals": summary.totals,
            "seconds": round(summary.seconds, 3)}


@router.post("/policies/trial", response=TrialOut, openapi_extra=_body_schema(TrialIn),
             url_name="risk_trial")
def trial(request):
    """Try rules on a past period: per day the units at each level under them and as saved, and the units that
    would change (first 200) with the reasons. Invalid rules: 400 `risk_policy_invalid` with every problem."""
    data = json_body(request)
    result = risk_policy_trial(rules=data.get("rules"), start=body_date(data, "start"), end=body_date(data, "end"),
                               by=request.auth)
    return {"start": result.start, "end": result.end, "method": result.method, "units": result.units,
            "days": [{"on": d.on, "trial": _keyed(d.trial), "saved": _keyed(d.saved), "not_computed": d.not_computed,
                      "changed": d.changed} for d in result.days],
            "changes": [{"on": c.on, "unit_code": c.unit_code, "unit_name": c.unit_name,
                         "unit_label": c.unit_label, "saved": c.saved,
                         "trial": c.trial, "reasons": c.reasons} for c in result.changes],
            "changes_total": result.changes_total, "overrides_kept": result.overrides_kept,
            "seconds": round(result.seconds, 3)}
