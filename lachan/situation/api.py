"""The situation API: the map (mounted under /api/map: each layer as GeoJSON within the caller's jurisdiction, the
citizens' public layers with no log-in, and the lockdown areas — list, draw, import, change, lift) and the
operations centre (under /api/operations: the dashboard's indicators and curve, and its live feed, within the
caller's jurisdiction; lachan.situation.dashboard, feed). A block of the dashboard the caller's role may not read is
null."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from lachan.accounts.actors import PUBLIC
from lachan.core.dates import Day, Instant
from lachan.core.errors import CommonErrorCode, DomainError, PermissionDenied
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL
from lachan.risk.errors import RiskErrorCode
from lachan.risk.lockdowns import selectors as lockdown_selectors
from lachan.risk.lockdowns import services as lockdown_services

from . import dashboard as ops
from .errors import SituationErrorCode as Code
from .feed import FEED_DEFAULT, FEED_MAX, FeedError, feed_item_dict, feed_since, operations_feed
from .map_layers import map_layer_json

# ---- the map --------------------------------------------------------------------------------------------------------

map_router = Router(tags=["map"])
MAX_UPLOAD = 10 * 1024 * 1024


def _geojson(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/geo+json")


@map_router.get("/layers/{layer}", summary="A map layer as GeoJSON (risk, cases, test_sites, health_stations, "
                "quarantine_facilities, lockdowns, essential_shops, declaration_points)")
def layer(request, layer: str, on: Day | None = None, admin_level: int = 3):
    return _geojson(map_layer_json(user=request.auth, layer=layer, on=on, admin_level=admin_level))


@map_router.get("/public/{layer}", auth=None, summary="A public layer of the citizens' map (no log-in)")
def public_layer(request, layer: str, on: Day | None = None, admin_level: int = 3):
    response = _geojson(map_layer_json(user=PUBLIC, layer=layer, on=on, admin_level=admin_level))
    response["Cache-Control"] = "public, max-age=300"
    return response


class LockdownOut(Schema):
    id: UUID
    name: str
    unit_code: str = Field(..., alias="unit.code")
    unit_name: str = Field(..., alias="unit.name")
    unit_label: str = Field(..., alias="unit.label", description=UNIT_LABEL)
    starts_on: date
    ends_on: date | None
    lifted_on: date | None
    lifted_reason: str
    residents: int | None
    residents_estimate: int | None
    area_km2: float
    reason: str
    source: str
    geometry: dict[str, Any]


class LockdownIn(Schema):
    name: str
    geometry: dict[str, Any]
    starts_on: Day
    ends_on: Day | None = None
    residents: int | None = None
    reason: str = ""


class LockdownPatch(Schema):
    name: str | None = None
    geometry: dict[str, Any] | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    residents: int | None = None
    reason: str | None = None


class LiftIn(Schema):
    on: Day | None = None
    reason: str


@map_router.get("/lockdowns", response=list[LockdownOut], summary="Lockdown areas (in force on a day, or all)")
def lockdowns(request, on: Day | None = None):
    rows = lockdown_selectors.lockdown_areas_in_scope(request.auth)
    if on is not None:
        rows = rows.filter(lockdown_selectors.in_force_q(on))
    return list(rows[:2000])


@map_router.post("/lockdowns", response={201: LockdownOut}, summary="A lockdown area drawn on the map")
def lockdown_create(request, payload: LockdownIn):
    area = lockdown_services.lockdown_area_create(by=request.auth, **payload.dict())
    return Status(201, area)


@map_router.post("/lockdowns/import", response={201: list[LockdownOut]},
                 summary="Lockdown areas from a GeoJSON file (all or nothing)")
def lockdown_import(request, file: File[UploadedFile], starts_on: Form[Day | None] = None,
                    ends_on: Form[Day | None] = None, reason: Form[str] = ""):
    if file.size > MAX_UPLOAD:
        raise DomainError(RiskErrorCode.FILE_INVALID, _("The file is larger than 10 MB."), field="file")
    areas = lockdown_services.lockdown_areas_import(data=file.read(), by=request.auth, starts_on=starts_on,
                                                   ends_on=ends_on, reason=reason)
    return Status(201, areas)


@map_router.get("/lockdowns/{area_id}", response=LockdownOut)
def lockdown_get(request, area_id: str):
    return lockdown_selectors.lockdown_area_get(user=request.auth, pk=area_id)


@map_router.patch("/lockdowns/{area_id}", response=LockdownOut,
                  summary="Change a lockdown area's dates, residents or shape")
def lockdown_update(request, area_id: str, payload: LockdownPatch):
    area = lockdown_selectors.lockdown_area_get(user=request.auth, pk=area_id)
    return lockdown_services.lockdown_area_update(area=area, by=request.auth, **payload.dict(exclude_unset=True))


@map_router.post("/lockdowns/{area_id}/lift", response=LockdownOut, summary="Lift a lockdown, with the reason")
def lockdown_lift(request, area_id: str, payload: LiftIn):
    area = lockdown_selectors.lockdown_area_get(user=request.auth, pk=area_id)
    return lockdown_services.lockdown_area_lift(area=area, on=payload.on, reason=payload.reason, by=request.auth)


# ---- the operations centre ------------------------------------------------------------------------------------------

operations_router = Router(tags=["operations centre"])


class CaseCounts(Schema):
    total: int
    community: int
    in_quarantine: int = Field(..., description="detected in people already under a quarantine order")


class CasesOut(Schema):
    today: CaseCounts
    week: CaseCounts = Field(..., description="the last 7 days, today included")
    previous_week: CaseCounts = Field(..., description="the 7 days before those")
    change: int = Field(..., description="week.total − previous_week.total")
    change_percent: float | None = Field(None, description="null when the previous week had no case")


class QuarantineOut(Schema):
    quarantine: int = Field(..., description="contacts under a quarantine order in force")
    quarantine_f1: int
    quarantine_home: int
    quarantine_facility: int
    isolation: int = Field(..., description="cases under an isolation order in force")
    isolation_home: int
    isolation_facility: int


class AlertsOut(Schema):
    total: int = Field(..., description="quarantine alerts open or acknowledged (not yet handled)")
    unacknowledged: int
    urgent: int = Field(..., description="left the place of quarantine, alarming symptoms")
    by_kind: dict[str, int]


class ResultCounts(Schema):
    results: int = Field(..., description="individual-equivalent results released")
    positives: int
    positivity: float | None = Field(None, description="% positive; null without results")


class TubeCounts(Schema):
    today: int
    today_positive: int
    week: int
    week_positive: int


class TubesOut(Schema):
    individual: TubeCounts
    pooled: TubeCounts


class TestsOut(Schema):
    today: ResultCounts
    week: ResultCounts
    tubes: TubesOut


class CoverageOut(Schema):
    kind: str
    label: str
    value: float = Field(..., description="% of the group")
    as_of: date
    unit: str = Field(..., description="the unit the value was entered for (yours, or the nearest above)")


class VaccinationOut(Schema):
    kinds: list[CoverageOut] = Field(..., description="empty: no coverage entered yet")
    as_of: date | None


class RiskOut(Schema):
    on: date | None = Field(None, description="the latest day assessed; null: never")
    levels: dict[str, int] = Field(..., description="communes at each level, '1' … '4'")
    not_assessed: int
    own_level: int | None


class CurveDay(Schema):
    day: date
    community: int
    in_quarantine: int
    total: int
    average: float = Field(..., description="mean of the 7 days ending on this day")


class CurveOut(Schema):
    days: list[CurveDay]
    first: date
    last: date
    peak: int


class JurisdictionOut(Schema):
    kind: str
    name: str
    label: str = Field(..., description=UNIT_LABEL)


class SummaryOut(Schema):
    generated_at: datetime
    today: date
    jurisdiction: JurisdictionOut
    cases: CasesOut | None = None
    quarantine: QuarantineOut | None = None
    alerts: AlertsOut | None = None
    tests: TestsOut | None = None
    vaccination: VaccinationOut | None = None
    risk: RiskOut | None = None
    curve: CurveOut | None = None


class FeedItemOut(Schema):
    id: str
    at: datetime
    module: str = Field(..., description="quarantine, labs, cases, tracing or security")
    module_label: str
    kind: str
    unit: str
    text: str
    url: str | None = Field(None, description="the record's page")
    urgent: bool
    extra: dict | None = None


class FeedIn(Schema):
    since: Instant | None = Field(None, description="items after this time (ISO 8601; without a zone: local time); "
                                                    "at most 7 days back")
    limit: int = Field(FEED_DEFAULT, ge=1, le=FEED_MAX, description="at most this many items")


class FeedOut(Schema):
    generated_at: datetime
    since: datetime
    items: list[FeedItemOut]


def _staff(request) -> None:
    if getattr(request.user, "is_citizen", False):
        raise PermissionDenied(Code.OPERATIONS_PERMISSION, _("You do not have permission to do this."))


@operations_router.get("/summary", response={200: SummaryOut, **error_responses(Code, 403)},
                       summary="The dashboard's indicators and curve", url_name="operations_summary")
def summary(request):
    _staff(request)
    return ops.operations_summary(user=request.user)


@operations_router.get("/feed", response={200: FeedOut, **error_responses(Code, 400, 403, 422)},
                       summary="The live feed of alerts from every module, newest first", url_name="operations_feed")
def feed(request, filters: Query[FeedIn]):
    _staff(request)
    now = timezone.now()
    since, limit = filters.since, filters.limit
    try:
        items = operations_feed(user=request.user, since=since, limit=limit, now=now)
    except FeedError as exc:
        raise DomainError(CommonErrorCode.INVALID, str(exc), field="limit") from None
    return {"generated_at": now, "since": feed_since(since, now=now),
            "items": [feed_item_dict(item) for item in items]}
