"""Monitoring API, mounted under /api/quarantine.

The citizen app: a logged-in citizen (bearer token of their account, linked to their person) uses /my/...;
the same calls work with no log-in through the signed link of the order's SMS: /link/<token>/... (order,
daily check-in, location consent, batches of location fixes).

Staff: check-ins of an order (read, and recorded after a call), telling the person, consent on paper, the
alert queue with its transitions, and the overview per commune."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lachan.accounts.actors import signed_link
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.dates import Day, Instant
from lachan.core.errors import PermissionDenied
from lachan.core.pagination import page_of
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.notifications.errors import NotificationError

from .. import links
from ..errors import QuarantineErrorCode
from ..models import Alert, AlertKind, Order, ReportSource, SymptomReport
from . import alerts as alert_services
from . import geofence, notify, selectors
from . import services as monitoring

router = Router(tags=["quarantine: monitoring"])


ERRORS = error_responses(QuarantineErrorCode, NotificationError, 400, 401, 403, 404)  # telling: the message's codes


# ---- schemas ----------------------------------------------------------------------------------------------------

class TestOut(Schema):
    day: int
    due_on: date
    status: str


class MyOrderOut(Schema):
    code: str
    kind: str = Field(description="quarantine (a contact) or isolation (a case)")
    setting: str = Field(description="home or facility")
    facility: str | None
    address: str
    starts_on: date
    ends_on: date = Field(description="the last day, inclusive")
    status: str = Field(description="active, released or ended_early")
    day: int = Field(description="today is day N of the order (0 before it starts)")
    days: int
    reported_today: bool
    last_report_on: date | None
    next_test: TestOut | None
    tests: list[TestOut]
    location_consent: bool
    geofence_radius_m: int
    report_by: str = Field(description="the daily check-in is due by this local time")


class ReportIn(Schema):
    on: Day | None = Field(None, description="the day reported (default today); within the order, not in the future")
    temperature_c: float | None = Field(None, description="34–43")
    fever: bool = False
    cough: bool = False
    sore_throat: bool = False
    breathing_difficulty: bool = False
    loss_of_taste_smell: bool = False
    spo2: int | None = Field(None, description="oxygen saturation, 50–100 %")
    other: str = Field("", max_length=300)


class ReportOut(Schema):
    id: int
    on: date
    reported_at: datetime
    source: str
    temperature_c: float | None
    fever: bool
    cough: bool
    sore_throat: bool
    breathing_difficulty: bool
    loss_of_taste_smell: bool
    spo2: int | None
    other: str
    alarming: bool = Field(description="true: the commune station was alerted")
    recorded_by: str | None

    @staticmethod
    def resolve_temperature_c(obj: SymptomReport) -> float | None:
        return float(obj.temperature_c) if obj.temperature_c is not None else None

    @staticmethod
    def resolve_recorded_by(obj: SymptomReport) -> str | None:
        return obj.recorded_by.get_username() if obj.recorded_by_id else None


class ReportPage(Schema):
    items: list[ReportOut]
    page: int
    has_next: bool


class PingIn(Schema):
    at: Instant = Field(description="the fix's time, with its time zone")
    latitude: float
    longitude: float
    accuracy_m: float = Field(description="the fix's accuracy radius in metres (> 0)")


class PingsIn(Schema):
    pings: list[PingIn] = Field(description=f"1 to {geofence.MAX_BATCH} fixes; all stored or none")


class PingsOut(Schema):
    received: int
    stored: int = Field(description="fixes stored now (the others were already stored: a batch sent again)")
    outside: int = Field(description="fixes outside the geofence (a violation alert was raised)")
    centre_set: bool = Field(description="this batch set the centre of the geofence (the home)")


class ConsentOut(Schema):
    location_consent: bool
    since: datetime | None


class AlertOut(Schema):
    id: int
    kind: str
    status: str
    order_id: UUID | None = Field(description="none: a case with no order in force who checked in somewhere")
    order_code: str
    person_name: str = Field(..., alias="subject.full_name")
    person_phone: str = Field(..., alias="subject.phone")
    commune_code: str = Field(..., alias="commune.code")
    commune_name: str = Field(..., alias="commune.name")
    commune_label: str = Field(..., alias="commune.label", description=UNIT_LABEL)
    raised_at: datetime
    about_on: date | None
    repeats: int
    last_seen_at: datetime | None
    detail: dict
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    handled_at: datetime | None
    handled_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    note: str
    actions: list[str] = Field(description="the transitions that may be taken now")

    @staticmethod
    def resolve_order_code(obj: Alert) -> str:
        return obj.order.code if obj.order_id else ""

    @staticmethod
    def resolve_acknowledged_by(obj: Alert) -> str | None:
        return obj.acknowledged_by.get_username() if obj.acknowledged_by_id else None

    @staticmethod
    def resolve_handled_by(obj: Alert) -> str | None:
        return obj.handled_by.get_username() if obj.handled_by_id else None

    @staticmethod
    def resolve_closed_by(obj: Alert) -> str | None:
        return obj.closed_by.get_username() if obj.closed_by_id else None

    @staticmethod
    def resolve_actions(obj: Alert) -> list[str]:
        return alert_services.alert_actions(obj)


class AlertPage(Schema):
    items: list[AlertOut]
    page: int
    has_next: bool


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class OverviewRowOut(Schema):
    commune_code: str | None
    commune_name: str
    commune_label: str = Field(..., description=UNIT_LABEL + '; "total" on the totals row')
    quarantine_home: int
    quarantine_facility: int
    isolation_home: int
    isolation_facility: int
    release_due: int
    tests_due: int
    open_alerts: int
    alerts_by_kind: dict[str, int]


class OverviewOut(Schema):
    on: date
    rows: list[OverviewRowOut]
    total: OverviewRowOut


# ---- the person's side (citizen token or signed link) ----------------------------------------------------------

def _order_out(order: Order) -> dict:
    state = selectors.order_monitoring(order=order, reports=0)

    def test(t):
        return {"day": t.day, "due_on": t.due_on, "status": t.status}

    return {
        "code": order.code, "kind": order.kind, "setting": order.setting,
        "facility": str(order.facility) if order.facility_id else None, "address": order.address,
        "starts_on": order.starts_on, "ends_on": order.ends_on, "status": order.status, "day": state.day,
        "days": state.days, "reported_today": state.reported_today, "last_report_on": order.last_report_on,
        "next_test": test(state.next_test) if state.next_test else None, "tests": [test(t) for t in state.tests],
        "location_consent": order.location_consent_at is not None, "geofence_radius_m": order.geofence_radius_m,
        "report_by": state.rules.report_by.strftime("%H:%M"),
    }


def _my_order(request) -> Order:
    return selectors.citizen_order(user=request.user)


def _link_order(token: str) -> Order:
    return links.link_order(token)


def _read(order: Order, actor, via: str) -> None:
    audit_record(actor=actor, action="read", object_type="quarantine_order", object_id=order.pk,
                 person_id=order.person_id, detail={"via": via})


def _report(order: Order, payload: ReportIn, *, by) -> SymptomReport:
    return monitoring.symptom_report_record(order=order, source=ReportSource.APP, by=by, **payload.dict())


def _consent(order: Order) -> dict:
    return {"location_consent": order.location_consent_at is not None, "since": order.location_consent_at}


def _pings(order: Order, payload: PingsIn, *, by) -> dict:
    result = geofence.pings_record(order=order, pings=[p.dict() for p in payload.pings], by=by)
    return {"received": result.received, "stored": result.stored, "outside": result.outside,
            "centre_set": result.centre_set}


@router.get("/my/order", response={200: MyOrderOut, **ERRORS},
            summary="A citizen's order in force (else their latest): dates, day N of M, tests, consent")
def my_order(request):
    order = _my_order(request)
    _read(order, request.user, "app")
    return _order_out(order)


@router.post("/my/reports", response={201: ReportOut, **ERRORS}, summary="A citizen's daily check-in")
def my_report(request, payload: ReportIn):
    return Status(201, _report(_my_order(request), payload, by=request.user))


@router.post("/my/consent", response={200: ConsentOut, **ERRORS}, summary="Agree to share location (citizen)")
def my_consent_give(request):
    return _consent(geofence.location_consent_give(order=_my_order(request), by=request.user))


@router.delete("/my/consent", response={200: ConsentOut, **ERRORS},
               summary="Stop sharing location (citizen): the fixes kept are deleted")
def my_consent_revoke(request):
    return _consent(geofence.location_consent_revoke(order=_my_order(request), by=request.user))


@router.post("/my/pings", response={200: PingsOut, **ERRORS},
             summary="A batch of location fixes from the citizen app (with consent; all or none)")
def my_pings(request, payload: PingsIn):
    return _pings(_my_order(request), payload, by=request.user)


@router.get("/link/{token}/order", auth=None, response={200: MyOrderOut, **ERRORS},
            summary="The order behind a signed link (no log-in)")
def link_order(request, token: str, response: HttpResponse):
    response["Cache-Control"] = "no-store, private"
    order = _link_order(token)
    _read(order, None, "link")
    return _order_out(order)


@router.post("/link/{token}/reports", auth=None, response={201: ReportOut, **ERRORS},
             summary="A daily check-in through the signed link (no log-in)")
def link_report(request, token: str, payload: ReportIn):
    order = _link_order(token)
    return Status(201, _report(order, payload, by=signed_link(order)))


@router.post("/link/{token}/consent", auth=None, response={200: ConsentOut, **ERRORS},
             summary="Agree to share location through the signed link")
def link_consent_give(request, token: str):
    order = _link_order(token)
    return _consent(geofence.location_consent_give(order=order, by=signed_link(order)))


@router.delete("/link/{token}/consent", auth=None, response={200: ConsentOut, **ERRORS},
               summary="Stop sharing location through the signed link: the fixes kept are deleted")
def link_consent_revoke(request, token: str):
    order = _link_order(token)
    return _consent(geofence.location_consent_revoke(order=order, by=signed_link(order)))


@router.post("/link/{token}/pings", auth=None, response={200: PingsOut, **ERRORS},
             summary="A batch of location fixes through the signed link (with consent; all or none)")
def link_pings(request, token: str, payload: PingsIn):
    order = _link_order(token)
    return _pings(order, payload, by=signed_link(order))


# ---- staff ----------------------------------------------------------------------------------------------------

def _staff(request) -> None:
    if request.user.is_citizen:
        raise PermissionDenied(QuarantineErrorCode.PERMISSION, _("Only staff may do this."))


@router.get("/orders/{uuid:order_id}/reports", response={200: ReportPage, **ERRORS},
            summary="An order's check-ins, newest first")
def order_reports(request, order_id: UUID, page: int = 1):
    _staff(request)
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id)
    result = page_of(selectors.report_list(user=request.user, order=order), page=page)
    _read(order, request.user, "reports")
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/orders/{uuid:order_id}/reports", response={201: ReportOut, **ERRORS},
             summary="A check-in recorded by staff after calling the person")
def order_report(request, order_id: UUID, payload: ReportIn):
    _staff(request)
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    return Status(201, monitoring.symptom_report_record(order=order, source=ReportSource.STAFF, by=request.user,
                                                        **payload.dict()))


class TellOut(Schema):
    message_id: UUID
    to: str
    link: str


@router.post("/orders/{uuid:order_id}/tell", response={201: TellOut, **ERRORS}, url_name="order_tell",
             summary="Send the person their order and the link of their phone page by SMS")
def order_notify(request: HttpRequest, order_id: UUID):
    _staff(request)
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    base = request.build_absolute_uri("/")
    message = notify.order_notify(order=order, by=request.user, base_url=base)
    return Status(201, {"message_id": message.pk, "to": message.to,
                        "link": base.rstrip("/") + links.link_path(order)})


@router.post("/orders/{uuid:order_id}/consent", response={200: ConsentOut, **ERRORS},
             summary="Record location consent given on paper")
def order_consent_give(request, order_id: UUID):
    _staff(request)
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    return _consent(geofence.location_consent_give(order=order, by=request.user))


@router.delete("/orders/{uuid:order_id}/consent", response={200: ConsentOut, **ERRORS},
               summary="Record that location consent was withdrawn (the fixes kept are deleted)")
def order_consent_revoke(request, order_id: UUID):
    _staff(request)
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    return _consent(geofence.location_consent_revoke(order=order, by=request.user))


StatusFilter = Literal["active", "open", "acknowledged", "handled", "closed", "all"]


@router.get("/alerts", response={200: AlertPage, **ERRORS}, summary="The alert queue of your jurisdiction")
def alert_list(request, kind: AlertKind | None = None, status: StatusFilter = "active", commune: str = "",
               q: str = "", page: int = 1):
    """`status` active: open or acknowledged (still to be dealt with). `commune`: its official code."""
    _staff(request)
    commune_id = None
    if commune:
        unit = AdminUnit.objects.filter(code=commune.strip()[:10], level=AdminLevel.COMMUNE).only("pk").first()
        commune_id = unit.pk if unit else -1
    result = page_of(selectors.alert_list(user=request.user, kind=kind or "", status=status,
                                          commune_id=commune_id, query=q[:100]), page=page)
    selectors.alerts_audited(user=request.user, alerts=result.items)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.get("/alerts/{int:alert_id}", response={200: AlertOut, **ERRORS}, summary="One alert")
def alert_get(request, alert_id: int):
    _staff(request)
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    selectors.alerts_audited(user=request.user, alerts=[alert], action="read")
    return alert


def _act(request, alert_id: int, action: str, payload: NoteIn | None):
    _staff(request)
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    return alert_services.alert_transition(alert=alert, action=action, by=request.user,
                                           note=payload.note if payload else "")


@router.post("/alerts/{int:alert_id}/acknowledge", response={200: AlertOut, **ERRORS},
             summary="Acknowledge an open alert (someone is on it)")
def alert_acknowledge(request, alert_id: int, payload: NoteIn | None = None):
    return _act(request, alert_id, "acknowledge", payload)


@router.post("/alerts/{int:alert_id}/handle", response={200: AlertOut, **ERRORS},
             summary="Mark an alert handled (the person was called or visited)")
def alert_handle(request, alert_id: int, payload: NoteIn | None = None):
    return _act(request, alert_id, "handle", payload)


@router.post("/alerts/{int:alert_id}/close", response={200: AlertOut, **ERRORS}, summary="Close an alert")
def alert_close(request, alert_id: int, payload: NoteIn | None = None):
    return _act(request, alert_id, "close", payload)


def _row_out(row: selectors.OverviewRow, total: bool = False) -> dict:
    return {"commune_code": row.commune.code if row.commune else None,
            "commune_name": row.commune.name if row.commune else "total",
            "commune_label": row.commune.label if row.commune else "total",
            "quarantine_home": row.quarantine_home, "quarantine_facility": row.quarantine_facility,
            "isolation_home": row.isolation_home, "isolation_facility": row.isolation_facility,
            "release_due": row.release_due, "tests_due": row.tests_due, "open_alerts": row.open_alerts,
            "alerts_by_kind": row.alerts_by_kind}


@router.get("/overview", response={200: OverviewOut, **ERRORS},
            summary="Per commune of your jurisdiction: people in quarantine and isolation, due today, open alerts")
def overview(request, district: str = "", all: bool = False):  # noqa: A002 (the query parameter's name)
    """`district`: the official code of a district to narrow to; `all`: also the communes with nobody."""
    _staff(request)
    district_id = None
    if district:
        unit = AdminUnit.objects.filter(code=district.strip()[:10], level=AdminLevel.DISTRICT).only("pk").first()
        district_id = unit.pk if unit else -1
    data = selectors.overview(user=request.user, district_id=district_id, hide_empty=not all)
    return {"on": data.on, "rows": [_row_out(r) for r in data.rows], "total": _row_out(data.total)}
