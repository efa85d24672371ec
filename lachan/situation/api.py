"""The operations-centre API (mounted under /api/operations): the dashboard's indicators and curve, and its live
feed, within the caller's jurisdiction (lachan.situation.dashboard, feed). A block the caller's role may not read is
null."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from lachan.core.dates import Instant
from lachan.core.errors import DomainError, PermissionDenied
from lachan.geo.api import UNIT_LABEL

from . import dashboard as ops
from .feed import FEED_DEFAULT, FEED_MAX, FeedError, feed_item_dict, feed_since, operations_feed

router = Router(tags=["operations centre"])


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


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
        raise PermissionDenied("operations_permission", _("You do not have permission to do this."))


@router.get("/summary", response={200: SummaryOut, 403: ErrorOut}, summary="The dashboard's indicators and curve",
            url_name="operations_summary")
def summary(request):
    _staff(request)
    return ops.operations_summary(user=request.user)


@router.get("/feed", response={200: FeedOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
            summary="The live feed of alerts from every module, newest first", url_name="operations_feed")
def feed(request, filters: Query[FeedIn]):
    _staff(request)
    now = timezone.now()
    since, limit = filters.since, filters.limit
    try:
        items = operations_feed(user=request.user, since=since, limit=limit, now=now)
    except FeedError as exc:
        raise DomainError("invalid", str(exc), field="limit") from None
    return {"generated_at": now, "since": feed_since(since, now=now),
            "items": [feed_item_dict(item) for item in items]}
