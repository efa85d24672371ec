"""Quarantine API, orders and facilities: list, read and create orders (one, or many at once), extend, move,
end early and release them; facilities with their rooms and occupancy; the policy versions. Monitoring (daily
check-ins, pings, alerts) is in lachan.quarantine.monitoring.api, added to the same /api/quarantine router."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from lachan.accounts.roles import Perm
from lachan.core.dates import Day
from lachan.core.pagination import page_of
from lachan.core.schemas import ErrorOut, error_responses
from lachan.geo.api import UNIT_LABEL

from .. import facilities
from ..access import require_perm
from ..errors import QuarantineErrorCode
from ..models import Facility, Immunity, Order, OrderEvent, OrderKind, RequiredTest, Setting
from . import create, plan, selectors, services

router = Router(tags=["quarantine"])

MAX_BATCH = 5000


ERRORS = error_responses(QuarantineErrorCode)
KIND_HELP = "One of: " + ", ".join(OrderKind.values)
SETTING_HELP = "One of: " + ", ".join(Setting.values)
IMMUNITY_HELP = "One of: " + ", ".join(Immunity.values) + " (unknown is treated as none)"


# ---- orders --------------------------------------------------------------------------------------------

class OrderOut(Schema):
    id: UUID
    code: str
    person_id: UUID
    person_name: str = Field(..., alias="person.full_name")
    kind: str
    setting: str
    status: str
    commune_code: str = Field(..., alias="commune.code")
    commune_name: str = Field(..., alias="commune.name")
    commune_label: str = Field(..., alias="commune.label", description=UNIT_LABEL)
    address: str
    facility_id: UUID | None
    facility_name: str | None
    room_id: UUID | None
    room_name: str | None
    latitude: float | None
    longitude: float | None
    geofence_radius_m: int
    starts_on: date
    ends_on: date = Field(..., description="the last day in quarantine (inclusive)")
    home_from: date | None = Field(None, description="facility then home: the first day at home")
    ended_on: date | None
    end_reason: str
    case_id: UUID | None
    contact_tier: int | None
    exposed_on: date | None
    immunity: str
    policy_version: str = Field(..., alias="policy.version")
    day: int = Field(..., description="day N of the order today (0 before it starts)")
    days: int = Field(..., description="M, its length in days")

    @staticmethod
    def resolve_facility_name(obj: Order) -> str | None:
        return obj.facility.place.name if obj.facility_id else None

    @staticmethod
    def resolve_room_name(obj: Order) -> str | None:
        return obj.room.name if obj.room_id else None

    @staticmethod
    def resolve_day(obj: Order) -> int:
        return selectors.order_progress(obj).day

    @staticmethod
    def resolve_days(obj: Order) -> int:
        return selectors.order_progress(obj).days


class TestOut(Schema):
    day: int
    due_on: date
    status: str
    sample_code: str | None
    result: str

    @staticmethod
    def resolve_sample_code(obj: RequiredTest) -> str | None:
        return obj.sample.code if obj.sample_id else None


class EventOut(Schema):
    kind: str
    at: str
    by: str
    note: str
    detail: dict

    @staticmethod
    def resolve_at(obj: OrderEvent) -> str:
        return obj.at.isoformat()

    @staticmethod
    def resolve_by(obj: OrderEvent) -> str:
        return obj.by.get_username() if obj.by_id else ""


class OrderDetailOut(OrderOut):
    tests: list[TestOut]
    events: list[EventOut]

    @staticmethod
    def resolve_tests(obj: Order) -> list[RequiredTest]:
        return selectors.order_tests(obj)

    @staticmethod
    def resolve_events(obj: Order) -> list[OrderEvent]:
        return selectors.order_history(obj)


class OrderPage(Schema):
    items: list[OrderOut]
    page: int
    has_next: bool


class OrderIn(Schema):
    person_id: UUID
    kind: str = Field(..., description=KIND_HELP)
    setting: str = Field(Setting.HOME, description=SETTING_HELP)
    starts_on: Day
    immunity: str = Field(Immunity.UNKNOWN, description=IMMUNITY_HELP)
    exposed_on: Day | None = Field(None, description="last exposure (contacts): day 1 of most regimes")
    ends_on: Day | None = Field(None, description="empty: from the policy in force on starts_on")
    case_id: UUID | None = Field(None, description="isolation: the person's case; quarantine: the case exposed to")
    contact_tier: int | None = None
    facility: UUID | None = None
    room: UUID | None = None
    address: str = Field("", max_length=300)
    commune: str = Field("", max_length=10, description="home: official code of the commune (empty: the person's)")
    latitude: float | None = None
    longitude: float | None = None


def _order_args(payload: OrderIn) -> dict:
    data = payload.dict()
    data["person"] = data.pop("person_id")
    data["case"] = data.pop("case_id")
    data["commune"] = data["commune"] or None
    return data


class BatchIn(Schema):
    orders: list[OrderIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class CreatedOut(Schema):
    index: int
    order_id: UUID
    code: str
    person_id: UUID


class SkippedOut(Schema):
    index: int
    person_id: UUID
    order_code: str
    message: str


class BatchOut(Schema):
    created: list[CreatedOut]
    skipped: list[SkippedOut]


class ExtendIn(Schema):
    ends_on: Day
    reason: str = Field(..., max_length=500)


class MoveIn(Schema):
    setting: str = Field(..., description=SETTING_HELP)
    facility: UUID | None = None
    room: UUID | None = None
    address: str = Field("", max_length=300)
    commune: str = Field("", max_length=10, description="going home: official code (empty: the person's)")
    latitude: float | None = None
    longitude: float | None = None
    reason: str = Field("", max_length=500)


class EndIn(Schema):
    reason: str = Field(..., max_length=500)


class ReleaseManyIn(Schema):
    orders: list[UUID] = Field(..., min_length=1, max_length=500)


class ReleasedOut(Schema):
    order_id: str
    status: int
    error: ErrorOut | None = None


class ReleaseManyOut(Schema):
    released: int
    failed: int
    results: list[ReleasedOut]


def _commune_id(code: str) -> int | None:
    unit = facilities.unit_get(code) if code else None
    return unit.pk if unit is not None else -1 if code else None


@router.get("/orders", response={200: OrderPage, **ERRORS}, summary="Orders you see, newest first")
def list_orders(request, kind: str = "", setting: str = "", status: str = "", commune: str = "",
                due: Literal["today", "overdue", "due"] | None = None, q: str = "", page: int = 1):
    """`status`: empty for the orders in force, `all`, or one of active, released, ended_early. `due`: orders in
    force whose last day is today, passed, or either (to be released). `commune`: an official code. `q`: a name,
    a CCCD, a phone number or an order number."""
    commune_id = _commune_id(commune[:10])
    queryset = selectors.order_list(user=request.user, kind=kind, setting=setting, status=status[:20],
                                    commune=commune_id, due=due or "", query=q[:100])
    result = page_of(queryset.select_related("policy"), page=page)
    selectors.orders_audited(user=request.user, orders=result.items)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/orders", response={201: OrderDetailOut, **ERRORS}, summary="Create an order")
def create_order(request, payload: OrderIn):
    """Its end (unless given), required tests and geofence radius follow the quarantine policy in force on
    `starts_on`. Refused: an order in force or overlapping these dates, an end before the start, no policy (or
    one that quarantines no contacts), a facility of the wrong kind, no room, a full room."""
    order = create.order_create(by=request.user, notify=True, base_url=request.build_absolute_uri("/"),
                                  **_order_args(payload))
    return Status(201, order)


@router.post("/orders/batch", response={200: BatchOut, **ERRORS}, summary="Create many orders at once")
def create_orders(request, payload: BatchIn):
    """Up to 5,000 orders (a case's F1s). All are created or none (a 400 naming each failing item by `index`
    in `errors[].params.index`), except that people who already have an order in force or overlapping the dates
    (or are named twice) are skipped and listed in `skipped`."""
    items = [plan.OrderIn(**_order_args(o)) for o in payload.orders]
    result = create.orders_create_many(items=items, by=request.user, notify=True,
                                         base_url=request.build_absolute_uri("/"))
    return {"created": result.created, "skipped": result.skipped}


@router.get("/orders/{uuid:order_id}", response={200: OrderDetailOut, **ERRORS},
            summary="One order with its tests and history")
def get_order(request, order_id: UUID):
    return selectors.order_get(user=request.user, order_id=order_id)


def _editable(request, order_id) -> Order:
    return selectors.order_get(user=request.user, order_id=order_id, audit=False, perm=Perm.QUARANTINE_EDIT)


@router.post("/orders/{uuid:order_id}/extend", response={200: OrderDetailOut, **ERRORS}, summary="Extend an order")
def extend_order(request, order_id: UUID, payload: ExtendIn):
    return services.order_extend(order=_editable(request, order_id), ends_on=payload.ends_on, reason=payload.reason,
                                 by=request.user)


@router.post("/orders/{uuid:order_id}/move", response={200: OrderDetailOut, **ERRORS},
             summary="Move an order between home and a facility, or to another room")
def move_order(request, order_id: UUID, payload: MoveIn):
    data = payload.dict()
    data["commune"] = data["commune"] or None
    return services.order_move(order=_editable(request, order_id), by=request.user, **data)


@router.post("/orders/{uuid:order_id}/end", response={200: OrderDetailOut, **ERRORS},
             summary="End an order early, with the reason")
def end_order(request, order_id: UUID, payload: EndIn):
    return services.order_end_early(order=_editable(request, order_id), reason=payload.reason, by=request.user)


@router.post("/orders/{uuid:order_id}/release", response={200: OrderDetailOut, **ERRORS},
             summary="Release an order (on or after its last day)")
def release_order(request, order_id: UUID):
    return services.order_release(order=_editable(request, order_id), by=request.user)


@router.post("/orders/release", response={200: ReleaseManyOut, **ERRORS}, summary="Release several orders")
def release_orders(request, payload: ReleaseManyIn):
    """Each order released or refused on its own (not yet due, not in force, not found)."""
    results = services.orders_release_many(orders=payload.orders, by=request.user)
    items = [{"order_id": str(r.order_id), "status": r.error.status if r.error else 200,
              "error": r.error.as_dict() if r.error else None} for r in results]
    failed = sum(1 for r in results if r.error)
    return {"released": len(results) - failed, "failed": failed, "results": items}


@router.get("/orders/{uuid:order_id}/pdf", response={200: None, **ERRORS},
            summary="The printable order, or the completion certificate of a released order (PDF, Vietnamese)")
def order_pdf(request, order_id: UUID, document: Literal["order", "certificate"] = "order"):
    from .. import pdf

    order = selectors.order_get(user=request.user, order_id=order_id, audit=False)
    content, filename = pdf.document_for(order=order, document=document, by=request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ---- facilities and rooms ------------------------------------------------------------------------------

class RoomOut(Schema):
    id: UUID
    name: str
    beds: int
    in_use: int
    free: int


class FacilityOut(Schema):
    id: UUID
    name: str
    commune_code: str
    commune_name: str
    commune_label: str = Field(..., description=UNIT_LABEL)
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    for_isolation: bool
    is_active: bool
    notes: str
    beds: int
    in_use: int
    free: int
    rooms: list[RoomOut]


def _facility_out(use: selectors.FacilityUse) -> dict:
    f, place = use.facility, use.facility.place
    return {"id": f.pk, "name": place.name, "commune_code": place.commune.code, "commune_name": place.commune.name,
            "commune_label": place.commune.label,
            "address": place.address, "latitude": place.latitude, "longitude": place.longitude, "phone": place.phone,
            "for_isolation": f.for_isolation, "is_active": f.is_active, "notes": f.notes, "beds": use.beds,
            "in_use": use.in_use, "free": use.free,
            "rooms": [{"id": r.room.pk, "name": r.room.name, "beds": r.beds, "in_use": r.in_use, "free": r.free}
                      for r in use.rooms]}


def _facility(facility: Facility) -> dict:
    return _facility_out(facilities.facilities_occupancy([facility])[0])


class FacilityPage(Schema):
    items: list[FacilityOut]
    page: int
    has_next: bool


class FacilityIn(Schema):
    name: str = Field(..., max_length=200)
    commune: str = Field(..., max_length=10, description="official code of the commune")
    address: str = Field("", max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    phone: str = Field("", max_length=15)
    for_isolation: bool = Field(False, description="takes cases (isolation) instead of contacts")
    notes: str = Field("", max_length=2000)


class FacilityPatch(Schema):
    name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = Field(None, max_length=15)
    for_isolation: bool | None = None
    is_active: bool | None = None
    notes: str | None = Field(None, max_length=2000)


class RoomIn(Schema):
    name: str = Field(..., max_length=50)
    beds: int = Field(..., ge=1, le=500)


class RoomPatch(Schema):
    name: str | None = Field(None, max_length=50)
    beds: int | None = Field(None, ge=1, le=500)


@router.get("/facilities", response={200: FacilityPage, **ERRORS}, summary="Facilities you see, with occupancy today")
def list_facilities(request, q: str = "", isolation: bool | None = None, active: bool | None = True, page: int = 1):
    result = page_of(facilities.facility_list(user=request.user, query=q[:100], isolation=isolation, active=active),
                     page=page)
    return {"items": [_facility_out(u) for u in facilities.facilities_occupancy(result.items)],
            "page": result.number, "has_next": result.has_next}


@router.post("/facilities", response={201: FacilityOut, **ERRORS}, summary="Open a facility")
def create_facility(request, payload: FacilityIn):
    facility = facilities.facility_create(by=request.user, **payload.dict())
    return Status(201, _facility(facility))


@router.get("/facilities/{uuid:facility_id}", response={200: FacilityOut, **ERRORS},
            summary="One facility with its rooms and occupancy today")
def get_facility(request, facility_id: UUID):
    return _facility(facilities.facility_get(user=request.user, facility_id=facility_id))


@router.patch("/facilities/{uuid:facility_id}", response={200: FacilityOut, **ERRORS}, summary="Change a facility")
def update_facility(request, facility_id: UUID, payload: FacilityPatch):
    facility = facilities.facility_get(user=request.user, facility_id=facility_id)
    return _facility(facilities.facility_update(facility=facility, by=request.user, **payload.dict(exclude_unset=True)))


@router.post("/facilities/{uuid:facility_id}/rooms", response={201: FacilityOut, **ERRORS}, summary="Add a room")
def create_room(request, facility_id: UUID, payload: RoomIn):
    facility = facilities.facility_get(user=request.user, facility_id=facility_id)
    facilities.room_create(facility=facility, name=payload.name, beds=payload.beds, by=request.user)
    return Status(201, _facility(facility))


@router.patch("/rooms/{uuid:room_id}", response={200: FacilityOut, **ERRORS}, summary="Rename a room or change its beds")
def update_room(request, room_id: UUID, payload: RoomPatch):
    room = facilities.room_get(user=request.user, room_id=room_id)
    facilities.room_update(room=room, by=request.user, **payload.dict(exclude_unset=True))
    return _facility(room.facility)


# ---- policies --------------------------------------------------------------------------------------------

class PolicyOut(Schema):
    version: str
    valid_from: date
    valid_to: date | None
    source: str
    rules: dict


@router.get("/policies", response={200: list[PolicyOut], **ERRORS},
            summary="The quarantine policy versions (regimes by immunity, tests, monitoring thresholds)")
def list_policies(request):
    require_perm(request.user, Perm.QUARANTINE_VIEW)
    return list(selectors.policy_versions())
