"""Writes for quarantine and isolation orders and the facilities they use.

An order's dates, its required tests and its geofence radius come from the `quarantine` policy version in
force on its first day (lachan.quarantine.policy): day 1 is the day of the last exposure for contacts
(`count_from: exposure`) or the order's first day; the order ends on day `days` (inclusive). A person has
at most one order in force, and no two orders of a person overlap in dates. A place in a facility is a bed
of one of its rooms: a room takes as many people at once as it has beds, on every day of their stay.

Every change writes an OrderEvent (what it was before, what it is after) and an audit record. Ending an
order (early, with a reason, or by release once its last day is reached) deletes its location pings and
settles its planned tests (missed if their day is past, else cancelled). Telling the person (SMS with the
link of their daily check-in) is lachan.quarantine.monitoring's `order_tell`, not done here.

Many orders at once (`orders_create_many`, e.g. a case's F1s from a tracing result): every item is checked
first; people who already have an order in force, or one overlapping the dates, are skipped and reported
(the batch goes on without them); any other problem refuses the whole batch (ValidationFailed, each error
naming its item by `index`), so nothing is half-saved. The rows are written in bulk (10,000 orders with
their tests, events and audit records in a few seconds)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user
from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.roles import Perm
from lachan.core.db import bulk_insert, chunked
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.ids import uuid7
from lachan.core.parsers import day_field, text_field, uuid_or_none
from lachan.core.policies import policy_in_force
from lachan.core.updates import model_update
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.people.access import people_in_scope
from lachan.people.models import Person

from ..access import commune_in_jurisdiction, facility_scope_q, order_scope_q, require_perm
from ..errors import QuarantineErrorCode as Code
from ..models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertKind,
    AlertStatus,
    Facility,
    FacilityRoom,
    Immunity,
    LocationPing,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderStatus,
    RequiredTest,
    Setting,
    TestStatus,
)
from ..policy import POLICY_KIND, base_day, monitoring, regime

MAX_BATCH = 20_000  # orders created at once
MAX_AHEAD_DAYS = 30  # an order may be prepared this far ahead
MAX_BACK_DAYS = 30  # an order may be recorded this late (it must still be in force today)
MAX_DAYS = 90  # the longest an order may run (extensions included)
MAX_EXPOSURE_DAYS = 60  # an exposure this long before the start is not a reason for an order
EARLIEST = date(2020, 1, 1)
CODE_DIGITS = 5
MAX_ERRORS = 200  # errors reported for a refused batch
ACTIVE = OrderStatus.ACTIVE


# ---- small parsers ---------------------------------------------------------------------------------

# A day of an order: from EARLIEST to 2100 (core.parsers.day_field, with the quarantine's code).
_DAY = {"code": Code.DATES_INVALID, "earliest": EARLIEST, "latest": date(2100, 1, 1)}


def _coordinates(latitude, longitude) -> tuple[float | None, float | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise DomainError(Code.ORDER_INVALID, _("Give both the latitude and the longitude, as numbers."),
                          field="latitude") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError(Code.ORDER_INVALID, _("These coordinates are not on Earth."), field="latitude")
    return lat, lon


def _choice(value, choices, *, field: str, message: str) -> str:
    if value not in choices:
        raise DomainError(Code.ORDER_INVALID, message, field=field)
    return str(value)


def unit_get(value) -> AdminUnit | None:
    """A unit of the deployment's tree: the unit, its pk or its official code."""
    if isinstance(value, AdminUnit):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, pk=value).first()
    if isinstance(value, str) and value.strip():
        return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=value.strip()).first()
    return None


def _commune(value, *, by, field: str = "commune") -> AdminUnit:
    unit = unit_get(value)
    if unit is None or unit.level != AdminLevel.COMMUNE:
        raise DomainError(Code.ORDER_INVALID, _("Choose a commune."), field=field)
    if not commune_in_jurisdiction(by, unit):
        raise DomainError(Code.ORDER_INVALID, _("%(unit)s is outside your jurisdiction.") % {"unit": unit.label},
                          field=field)
    return unit


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


# ---- occupancy ---------------------------------------------------------------------------------------

def stay_of(starts_on: date, ends_on: date, home_from: date | None) -> tuple[date, date]:
    """The days an order spends in its facility room: to the day before it goes home, else to its end."""
    return starts_on, (home_from - timedelta(days=1)) if home_from else ends_on


def peak(intervals: Iterable[tuple[date, date]], start: date, end: date) -> int:
    """The most intervals (inclusive days) that cover one day of [start, end]."""
    changes: list[tuple[date, int]] = []
    for a, b in intervals:
        a, b = max(a, start), min(b, end)
        if a <= b:
            changes += [(a, 1), (b + timedelta(days=1), -1)]
    changes.sort()  # on one day, a leaving (-1) comes before an arrival (+1)
    current = best = 0
    for _when, delta in changes:
        current += delta
        best = max(best, current)
    return best


def _room_stays(room_ids: Iterable, *, exclude: Iterable = ()) -> dict[Any, list[tuple[date, date]]]:
    """The stays of the orders in force in these rooms."""
    stays: dict[Any, list[tuple[date, date]]] = defaultdict(list)
    rows = (Order.objects.filter(room_id__in=list(room_ids), status=ACTIVE).exclude(pk__in=list(exclude))
            .values_list("room_id", "starts_on", "ends_on", "home_from"))
    for room_id, starts_on, ends_on, home_from in rows:
        stays[room_id].append(stay_of(starts_on, ends_on, home_from))
    return stays


def _room_full(room: FacilityRoom, *, start: date, end: date) -> DomainError:
    return DomainError(Code.ROOM_FULL,
                       _("Room %(room)s of %(facility)s has no free bed from %(start)s to %(end)s (%(beds)d beds).")
                       % {"room": room.name, "facility": room.facility.place.name, "start": start.strftime("%d/%m/%Y"),
                          "end": end.strftime("%d/%m/%Y"), "beds": room.beds}, field="room")


# ---- policies ------------------------------------------------------------------------------------------

class _Policies:
    """The version in force per day, read once per batch."""

    def __init__(self):
        self._by_day: dict[date, Any] = {}

    def on(self, day: date):
        if day not in self._by_day:
            try:
                self._by_day[day] = policy_in_force(POLICY_KIND, day)
            except NotFound:
                self._by_day[day] = None
        policy = self._by_day[day]
        if policy is None:
            raise DomainError(Code.POLICY_MISSING,
                              _("No quarantine policy is in force on %(date)s.") % {"date": day.strftime("%d/%m/%Y")},
                              field="starts_on")
        return policy


# ---- creating orders ---------------------------------------------------------------------------------

@dataclass
class OrderIn:
    """One order to create (the arguments of order_create)."""

    person: Any  # a Person or its id
    kind: str
    setting: str
    starts_on: date | None
    immunity: str = Immunity.UNKNOWN
    exposed_on: date | None = None
    case: Any = None  # a cases.Case or its id
    contact_tier: int | None = None
    facility: Any = None  # a Facility or its id
    room: Any = None  # a FacilityRoom or its id
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    commune: Any = None  # an AdminUnit, its pk or code (home: default the person's commune)
    ends_on: date | None = None  # default: from the policy


@dataclass
class Created:
    index: int
    order_id: UUID
    code: str
    person_id: UUID


@dataclass
class Skipped:
    """A person left out of a batch: they already have an order in force or one overlapping these dates."""

    index: int
    person_id: UUID
    order_code: str
    message: str


@dataclass
class OrdersCreated:
    created: list[Created] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class _Plan:
    index: int
    person: Person
    row: dict[str, Any]
    tests: list[tuple[int, date]]
    room: FacilityRoom | None = None
    stay: tuple[date, date] | None = None
    regime_facility_days: int = 0


def _case_id(value) -> UUID | None:
    if value is None or value == "":
        return None
    return getattr(value, "pk", None) or uuid_or_none(value)


@dataclass(frozen=True)
class _CaseDates:
    person_id: UUID
    code: str
    infectious_from: date


def _cases_known(case_ids: set) -> dict[UUID, _CaseDates]:
    """case id → its person and the first day it was infectious, for the cases that exist (cases.Case, read
    through the foreign key)."""
    if not case_ids:
        return {}
    model = Order._meta.get_field("case").related_model
    return {pk: _CaseDates(person_id, code, infectious_from) for pk, person_id, code, infectious_from in
            model.objects.filter(pk__in=list(case_ids)).values_list("pk", "person_id", "code", "infectious_from")}


def _facilities_known(items: Sequence[OrderIn], *, by) -> tuple[dict, dict]:
    facility_ids = {fid for fid in (uuid_or_none(getattr(i.facility, "pk", i.facility)) for i in items if i.facility) if fid}
    room_ids = {rid for rid in (uuid_or_none(getattr(i.room, "pk", i.room)) for i in items if i.room) if rid}
    facilities = {f.pk: f for f in Facility.objects.select_related("place__commune").filter(
        facility_scope_q(by), pk__in=list(facility_ids))} if facility_ids else {}
    rooms = {r.pk: r for r in FacilityRoom.objects.select_for_update(of=("self",)).select_related(
        "facility__place").filter(pk__in=list(room_ids))} if room_ids else {}
    return facilities, rooms


def _plan_one(index: int, item: OrderIn, *, person: Person | None, policies: _Policies, facilities: dict,  # noqa: C901
              rooms: dict, cases: dict, by, today: date) -> _Plan:
    """An order's row and tests, checked (DomainError for the first problem)."""
    if person is None:
        raise NotFound(Code.PERSON_NOT_FOUND, _("This person is not in your jurisdiction."), field="person")
    if person.merged_into_id:
        raise DomainError(Code.PERSON_NOT_FOUND,
                          _("%(name)s was merged into another record: make the order for that record.")
                          % {"name": person.full_name}, field="person")
    kind = _choice(item.kind, OrderKind.values, field="kind", message=_("Choose quarantine or isolation."))
    setting = _choice(item.setting, Setting.values, field="setting", message=_("Choose at home or in a facility."))
    immunity = _choice(item.immunity or Immunity.UNKNOWN, Immunity.values, field="immunity",
                       message=_("Unknown vaccination or recovery status."))
    starts_on = day_field(item.starts_on, field="starts_on", required=True, **_DAY)
    if starts_on > today + timedelta(days=MAX_AHEAD_DAYS):
        raise DomainError(Code.DATES_INVALID, _("An order starts at most %(n)d days ahead.") % {"n": MAX_AHEAD_DAYS},
                          field="starts_on")
    if starts_on < today - timedelta(days=MAX_BACK_DAYS):
        raise DomainError(Code.DATES_INVALID,
                          _("An order starts at most %(n)d days before today (%(today)s): check the year.")
                          % {"n": MAX_BACK_DAYS, "today": today.strftime("%d/%m/%Y")}, field="starts_on")
    exposed_on = day_field(item.exposed_on, field="exposed_on", **_DAY)
    if exposed_on is not None:
        if exposed_on > today:
            raise DomainError(Code.DATES_INVALID, _("The last exposure is in the future."), field="exposed_on")
        if exposed_on > starts_on:
            raise DomainError(Code.DATES_INVALID, _("The last exposure is after the first day of the order."),
                              field="exposed_on")
        if exposed_on < starts_on - timedelta(days=MAX_EXPOSURE_DAYS):
            raise DomainError(Code.DATES_INVALID,
                              _("The last exposure is more than %(n)d days before the order.") % {"n": MAX_EXPOSURE_DAYS},
                              field="exposed_on")
    tier = item.contact_tier
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 3):
        raise DomainError(Code.ORDER_INVALID, _("The contact tier is 1, 2 or 3."), field="contact_tier")
    case_id = _case_id(item.case)
    if item.case not in (None, "") and (case_id is None or case_id not in cases):
        raise NotFound(Code.ORDER_INVALID, _("Unknown case."), field="case")
    case = cases[case_id] if case_id is not None else None
    if kind == OrderKind.ISOLATION and case is not None and case.person_id != person.pk:
        raise DomainError(Code.ORDER_INVALID, _("An isolation order is for the case's own person."), field="case")
    if kind == OrderKind.QUARANTINE and case is not None and case.person_id == person.pk:
        raise DomainError(Code.ORDER_INVALID, _("A case is isolated, not quarantined as its own contact."),
                          field="kind")
    if case is not None:
        # Nobody is isolated as a case, or exposed to it, before the case was infectious.
        first = case.infectious_from
        if exposed_on is not None and exposed_on < first:
            raise DomainError(Code.DATES_INVALID,
                              _("The last exposure (%(day)s) is before case %(case)s was infectious (from %(first)s).")
                              % {"day": exposed_on.strftime("%d/%m/%Y"), "case": case.code,
                                 "first": first.strftime("%d/%m/%Y")}, field="exposed_on")
        if starts_on < first:
            raise DomainError(Code.DATES_INVALID,
                              _("The order starts (%(day)s) before case %(case)s was infectious (from %(first)s).")
                              % {"day": starts_on.strftime("%d/%m/%Y"), "case": case.code,
                                 "first": first.strftime("%d/%m/%Y")}, field="starts_on")

    policy = policies.on(starts_on)
    rules = policy.rules or {}
    reg = regime(rules, kind=kind, immunity=immunity)
    if reg is None:
        raise DomainError(Code.POLICY_MISSING,
                          _("Under the policy in force on %(date)s (%(version)s) contacts are not quarantined.")
                          % {"date": starts_on.strftime("%d/%m/%Y"), "version": policy.version}, field="kind")
    base = base_day(reg, starts_on=starts_on, exposed_on=exposed_on)
    ends_on = day_field(item.ends_on, field="ends_on", **_DAY)
    if ends_on is None:
        ends_on = base + timedelta(days=reg.days - 1)
        if ends_on < starts_on:
            raise DomainError(Code.DATES_INVALID,
                              _("Counted from the last exposure (%(exposed)s), the %(days)d days ended on %(end)s, "
                                "before this order would start.")
                              % {"exposed": base.strftime("%d/%m/%Y"), "days": reg.days,
                                 "end": ends_on.strftime("%d/%m/%Y")}, field="starts_on")
    elif ends_on < starts_on:
        raise DomainError(Code.DATES_INVALID, _("The order ends before it starts."), field="ends_on")
    if ends_on > starts_on + timedelta(days=MAX_DAYS - 1):
        raise DomainError(Code.DATES_INVALID, _("An order runs at most %(n)d days.") % {"n": MAX_DAYS}, field="ends_on")
    if ends_on < today:
        raise DomainError(Code.DATES_INVALID,
                          _("This order would have ended on %(end)s, before today: an order is made only while it "
                            "is still to be served.") % {"end": ends_on.strftime("%d/%m/%Y")},
                          field="ends_on" if item.ends_on not in (None, "") else "starts_on")
    by_due: dict[date, int] = {}
    for day in sorted(reg.test_days):
        # A test whose day is past is due at once; of several then due on one day, one is taken (the latest).
        due_on = max(base + timedelta(days=day - 1), starts_on)
        if due_on <= ends_on:
            by_due[due_on] = day
    tests = sorted((day, due_on) for due_on, day in by_due.items())

    address = text_field(item.address, field="address", limit=300, code=Code.ORDER_INVALID)
    latitude, longitude = _coordinates(item.latitude, item.longitude)
    home_from = None
    room = facility = None
    stay = None
    if setting == Setting.FACILITY:
        facility_id = uuid_or_none(getattr(item.facility, "pk", item.facility)) if item.facility else None
        facility = facilities.get(facility_id) if facility_id else None
        if item.facility in (None, ""):
            raise DomainError(Code.SETTING_INVALID, _("Choose the facility."), field="facility")
        if facility is None:
            raise NotFound(Code.FACILITY_NOT_FOUND, _("Unknown facility."), field="facility")
        if not facility.is_active:
            raise DomainError(Code.FACILITY_INVALID, _("%(name)s takes nobody any more.") % {"name": facility},
                              field="facility")
        if facility.for_isolation != (kind == OrderKind.ISOLATION):
            message = (_("%(name)s takes cases (isolation), not contacts.") if facility.for_isolation
                       else _("%(name)s takes contacts (quarantine), not cases."))
            raise DomainError(Code.SETTING_INVALID, message % {"name": facility}, field="facility")
        room_id = uuid_or_none(getattr(item.room, "pk", item.room)) if item.room else None
        room = rooms.get(room_id) if room_id else None
        if item.room in (None, ""):
            raise DomainError(Code.ROOM_NOT_FOUND, _("Choose the room (a facility's beds are in its rooms)."),
                              field="room")
        if room is None or room.facility_id != facility.pk:
            raise NotFound(Code.ROOM_NOT_FOUND, _("Unknown room of this facility."), field="room")
        commune = facility.place.commune
        address = address or facility.place.address
        if latitude is None:
            latitude, longitude = facility.place.latitude, facility.place.longitude
        if reg.facility_days and base + timedelta(days=reg.facility_days) > starts_on:
            home_from = base + timedelta(days=reg.facility_days)
            if home_from > ends_on:
                home_from = None
        stay = stay_of(starts_on, ends_on, home_from)
    else:
        if item.facility not in (None, "") or item.room not in (None, ""):
            raise DomainError(Code.SETTING_INVALID, _("A facility and a room are for an order in a facility."),
                              field="facility")
        commune = _commune(item.commune if item.commune not in (None, "") else person.commune, by=by)
        address = address or person.address_line
    radius = monitoring(rules).geofence_radius_m
    row = {
        "person_id": person.pk, "kind": kind, "setting": setting, "commune_id": commune.pk, "address": address,
        "facility_id": facility.pk if facility else None, "room_id": room.pk if room else None,
        "latitude": latitude, "longitude": longitude, "geofence_radius_m": radius, "starts_on": starts_on,
        "ends_on": ends_on, "home_from": home_from, "status": ACTIVE, "case_id": case_id, "contact_tier": tier,
        "exposed_on": exposed_on, "immunity": immunity, "policy_id": policy.pk,
        "created_by_id": getattr(by, "pk", None), "changed_by_id": getattr(by, "pk", None),
    }
    return _Plan(index=index, person=person, row=row, tests=tests, room=room, stay=stay,
                 regime_facility_days=reg.facility_days)


def _effective_end(status: str, ends_on: date, ended_on: date | None) -> date:
    return ended_on if status != ACTIVE and ended_on is not None else ends_on


def _conflicts(person_ids: list) -> dict[Any, list[tuple[str, str, date, date]]]:
    """Each person's orders: (code, status, starts_on, effective end)."""
    found: dict[Any, list] = defaultdict(list)
    for chunk in chunked(person_ids, 2000):
        for person_id, code, status, starts_on, ends_on, ended_on in Order.objects.filter(
                person_id__in=chunk).values_list("person_id", "code", "status", "starts_on", "ends_on", "ended_on"):
            found[person_id].append((code, status, starts_on, _effective_end(status, ends_on, ended_on)))
    return found


def _clash(orders, starts_on: date, ends_on: date) -> tuple[str, str] | None:
    """(code, message) of the first order in force or overlapping [starts_on, ends_on]. An order ended (early or
    by release) stops on its end day: another may start that day (a contact found positive is isolated the day
    their quarantine is ended)."""
    for code, status, start, end in orders:
        if status == ACTIVE:
            return code, _("already has order %(code)s in force (until %(end)s).") % {
                "code": code, "end": end.strftime("%d/%m/%Y")}
        if start <= ends_on and end > starts_on:
            return code, _("had order %(code)s over these dates (%(start)s – %(end)s).") % {
                "code": code, "start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")}
    return None


def code_prefix(commune: AdminUnit | str, on: date) -> str:
    """"QD-28435-211122-": the order's commune and the day it was made; five digits follow."""
    code = commune.code if isinstance(commune, AdminUnit) else commune
    return f"QD-{code}-{on:%y%m%d}-"


def _last_number(prefix: str) -> int:
    last = Order.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    try:
        return int(last.rsplit("-", 1)[1]) if last else 0
    except ValueError:
        return 0


def _people(items: Sequence[OrderIn], *, by) -> dict[UUID, Person]:
    """The batch's people the actor may see (merged ones included, to say so), locked so two requests
    cannot both find a person free."""
    ids = {pid for pid in (uuid_or_none(getattr(i.person, "pk", i.person)) for i in items) if pid}
    found: dict[UUID, Person] = {}
    visible = people_in_scope(by, include_merged=True).select_related("commune")
    for chunk in chunked(sorted(ids), 2000):
        found.update({p.pk: p for p in visible.filter(pk__in=chunk)})
    if found:
        for chunk in chunked(sorted(found), 2000):
            list(Person.objects.select_for_update().filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def _events_and_audit(orders: list[tuple[UUID, dict]], tests: list[dict], *, by, now: datetime,
                      batch: bool) -> None:
    bulk_insert(RequiredTest, tests, now=now)
    bulk_insert(OrderEvent, [{"order_id": pk, "kind": OrderEventKind.CREATED, "by_id": getattr(by, "pk", None),
                              "at": now, "note": "", "detail": {"after": _snapshot_row(row)}} for pk, row in orders],
                now=now)
    if batch:
        audit_record_many(actor=by, action="order.create", object_type="person",
                          person_ids=[row["person_id"] for _pk, row in orders],
                          detail={"orders": len(orders), "batch": str(uuid7())})
    else:
        pk, row = orders[0]
        audit_record(actor=by, action="order.create", object_type="quarantine_order", object_id=pk,
                     person_id=row["person_id"], detail={"code": row["code"], "kind": row["kind"]})


def _snapshot_row(row: dict) -> dict:
    return {"kind": row["kind"], "setting": row["setting"], "commune": row["commune_id"],
            "facility": str(row["facility_id"]) if row["facility_id"] else None,
            "room": str(row["room_id"]) if row["room_id"] else None, "address": row["address"],
            "starts_on": _day(row["starts_on"]), "ends_on": _day(row["ends_on"]), "home_from": _day(row["home_from"]),
            "policy": row["policy_id"], "immunity": row["immunity"]}


def _create(items: Sequence[OrderIn], *, by, skip_taken: bool, today: date | None = None) -> OrdersCreated:
    require_perm(by, Perm.QUARANTINE_EDIT)
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise DomainError(Code.BATCH_INVALID, _("Give a list of orders."), field="items")
    if len(items) > MAX_BATCH:
        raise DomainError(Code.BATCH_INVALID, _("At most %(n)d orders at once.") % {"n": MAX_BATCH}, field="items")
    today = today or timezone.localdate()
    now = timezone.now()
    people = _people(items, by=by)
    facilities, rooms = _facilities_known(items, by=by)
    cases = _cases_known({cid for cid in (_case_id(i.case) for i in items) if cid})
    policies = _Policies()
    errors: list[DomainError] = []
    plans: list[_Plan] = []
    for index, item in enumerate(items):
        try:
            pid = uuid_or_none(getattr(item.person, "pk", item.person)) if item.person not in (None, "") else None
            plans.append(_plan_one(index, item, person=people.get(pid) if pid else None, policies=policies,
                                   facilities=facilities, rooms=rooms, cases=cases, by=by, today=today))
        except DomainError as exc:
            exc.params["index"] = index
            errors.append(exc)
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise ValidationFailed(errors)

    result = OrdersCreated()
    existing = _conflicts([p.person.pk for p in plans])
    kept: list[_Plan] = []
    for plan in plans:
        row = plan.row
        clash = _clash(existing.get(plan.person.pk, []), row["starts_on"], row["ends_on"])
        if clash is not None:
            code, message = clash
            message = f"{plan.person.full_name} {message}"
            if not skip_taken:
                raise DomainError(Code.ORDER_OVERLAPS, message, field="person", index=plan.index, order_code=code)
            result.skipped.append(Skipped(index=plan.index, person_id=plan.person.pk, order_code=code, message=message))
            continue
        existing[plan.person.pk].append(("", ACTIVE, row["starts_on"], row["ends_on"]))  # the batch's own
        kept.append(plan)

    # Beds: each room's stays in force and the batch's, day by day.
    stays = _room_stays({p.room.pk for p in kept if p.room is not None})
    for plan in kept:
        if plan.room is None:
            continue
        start, end = plan.stay
        if peak(stays[plan.room.pk], start, end) >= plan.room.beds:
            error = _room_full(plan.room, start=start, end=end)
            error.params["index"] = plan.index
            errors.append(error)
            continue
        stays[plan.room.pk].append(plan.stay)
    if errors:
        raise ValidationFailed(errors[:MAX_ERRORS])
    if not kept:
        return result

    communes = {c.pk: c for c in AdminUnit.objects.filter(pk__in={p.row["commune_id"] for p in kept})}
    for _attempt in range(5):
        numbers: dict[str, int] = {}
        orders: list[tuple[UUID, dict]] = []
        tests: list[dict] = []
        rows = []
        for plan in kept:
            prefix = code_prefix(communes[plan.row["commune_id"]], today)
            if prefix not in numbers:
                numbers[prefix] = _last_number(prefix)
            numbers[prefix] += 1
            row = {**plan.row, "id": uuid7(), "code": f"{prefix}{numbers[prefix]:0{CODE_DIGITS}d}"}
            rows.append(row)
            orders.append((row["id"], row))
            tests += [{"order_id": row["id"], "day": day, "due_on": due_on, "status": TestStatus.PLANNED}
                      for day, due_on in plan.tests]
        try:
            with transaction.atomic(), connection.wrap_database_errors:  # COPY's errors as Django's
                bulk_insert(Order, rows, now=now)
            break
        except IntegrityError:
            # Another request numbered orders of the same commune and day meanwhile, or gave one of these
            # people an order (the people are locked on PostgreSQL; SQLite writes one at a time).
            if Order.objects.filter(person_id__in=[p.person.pk for p in kept], status=ACTIVE).exists():
                raise DomainError(Code.ORDER_OVERLAPS, _("Someone in this list was just given an order."),
                                  field="person") from None
            continue
    else:  # pragma: no cover
        raise DomainError(Code.ORDER_OVERLAPS, _("Could not number the orders; try again."))
    _events_and_audit(orders, tests, by=by, now=now, batch=skip_taken)
    result.created = [Created(index=plan.index, order_id=pk, code=row["code"], person_id=row["person_id"])
                      for plan, (pk, row) in zip(kept, orders, strict=True)]
    return result


@transaction.atomic
def order_create(*, person, kind: str, setting: str, starts_on: date | None, immunity: str = Immunity.UNKNOWN,
                 by, exposed_on: date | None = None, case=None, contact_tier: int | None = None, facility=None,
                 room=None, address: str = "", latitude: float | None = None, longitude: float | None = None,
                 commune=None, ends_on: date | None = None, tell: bool = False, base_url: str = "",
                 today: date | None = None) -> Order:
    """One order. Its end (unless given), its tests and its geofence radius follow the policy in force on
    `starts_on`. tell: SMS the person their order and the link of their daily check-in page (base_url: the
    site's address as the person reaches it; settings.PUBLIC_URL otherwise). Refused (DomainError, nothing saved): a person outside the actor's jurisdiction or merged, an
    order in force or overlapping these dates, an end before the start, no policy (or one that quarantines no
    contacts), a facility of the wrong kind, no room, or a room without a free bed on one of the days; dates
    that make no sense on `today` (default the local date): a start over MAX_BACK_DAYS ago, an end already past, a
    start or an exposure before the linked case was infectious."""
    item = OrderIn(person=person, kind=kind, setting=setting, starts_on=starts_on, immunity=immunity,
                   exposed_on=exposed_on, case=case, contact_tier=contact_tier, facility=facility, room=room,
                   address=address, latitude=latitude, longitude=longitude, commune=commune, ends_on=ends_on)
    try:
        created = _create([item], by=by, skip_taken=False, today=today)
    except ValidationFailed as exc:
        error = exc.errors[0]
        error.params.pop("index", None)
        raise error from None
    if tell:
        _tell([created.created[0].order_id], by=by, base_url=base_url)
    return Order.objects.select_related("person", "commune", "facility__place", "room", "policy").get(
        pk=created.created[0].order_id)


def _tell(order_ids: list, *, by, base_url: str) -> None:
    from ..monitoring.services import (
        orders_tell_new,  # monitoring reads orders through these services' models
    )

    orders_tell_new(order_ids=order_ids, by=by, base_url=base_url)


@transaction.atomic
def orders_create_many(*, items: Sequence[OrderIn], by, today: date | None = None, tell: bool = False,
                       base_url: str = "") -> OrdersCreated:
    """Many orders at once (a case's F1s): all of them or none, except that people who already have an order
    in force or overlapping the dates are skipped and reported in `skipped` (as are people named twice).
    tell: as order_create (by the background worker for more than a few hundred)."""
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)) or not all(
            isinstance(i, OrderIn) for i in items):
        raise DomainError(Code.BATCH_INVALID, _("Give a list of orders."), field="items")
    seen: dict[UUID, int] = {}
    unique: list[OrderIn] = []
    positions: list[int] = []
    twice: list[Skipped] = []
    for index, item in enumerate(items):
        pid = uuid_or_none(getattr(item.person, "pk", item.person)) if item.person else None
        if pid is not None and pid in seen:
            twice.append(Skipped(index=index, person_id=pid, order_code="",
                                 message=_("named twice (item %(n)d)") % {"n": seen[pid]}))
            continue
        if pid is not None:
            seen[pid] = index
        unique.append(item)
        positions.append(index)
    try:
        result = _create(unique, by=by, skip_taken=True, today=today)
    except ValidationFailed as exc:
        for error in exc.errors:
            if "index" in error.params:
                error.params["index"] = positions[error.params["index"]]
        raise
    for entry in (*result.created, *result.skipped):
        entry.index = positions[entry.index]
    result.skipped = sorted([*result.skipped, *twice], key=lambda s: s.index)
    if tell and result.created:
        _tell([entry.order_id for entry in result.created], by=by, base_url=base_url)
    return result


# ---- changing an order ---------------------------------------------------------------------------------

def _locked(order: Order, by) -> Order:
    pk = getattr(order, "pk", order)
    current = (Order.objects.select_for_update(of=("self",))
               .select_related("person", "commune", "facility__place", "room", "policy")
               .filter(order_scope_q(by), pk=pk).first())
    if current is None:
        raise NotFound(Code.ORDER_NOT_FOUND, _("Order not found."))
    return current


def _active(order: Order) -> None:
    if order.status != ACTIVE:
        raise DomainError(Code.ORDER_NOT_ACTIVE, _("Order %(code)s is no longer in force (%(status)s).")
                          % {"code": order.code, "status": order.get_status_display()}, field="status")


def _snapshot(order: Order) -> dict[str, Any]:
    """What the history shows of an order before and after a change (names, as read then)."""
    return {"setting": order.setting, "commune": order.commune.label,
            "facility": order.facility.place.name if order.facility_id else None,
            "room": order.room.name if order.room_id else None, "address": order.address,
            "starts_on": _day(order.starts_on), "ends_on": _day(order.ends_on), "home_from": _day(order.home_from),
            "status": order.status, "ended_on": _day(order.ended_on)}


def _changed(order: Order, before: dict, *, kind: str, by, note: str = "", action: str) -> Order:
    order.changed_by = as_user(by)
    order.save()
    after = _snapshot(order)
    diff = {k: v for k, v in after.items() if before.get(k) != v}
    OrderEvent.objects.create(order=order, kind=kind, by=as_user(by), note=note[:300],
                              detail={"before": {k: before.get(k) for k in diff}, "after": diff})
    audit_record(actor=by, action=action, object_type="quarantine_order", object_id=order.pk,
                 person_id=order.person_id, detail={"code": order.code, **({"note": note} if note else {})})
    return order


def _reason(reason, *, required: bool = True) -> str:
    return text_field(reason, field="reason", limit=300, code=Code.REASON_REQUIRED,
                 required_message=_("Give the reason.") if required else "")


def _no_other_overlap(order: Order, starts_on: date, ends_on: date) -> None:
    others = [o for o in _conflicts([order.person_id]).get(order.person_id, []) if o[0] != order.code]
    clash = _clash(others, starts_on, ends_on)
    if clash is not None:
        raise DomainError(Code.ORDER_OVERLAPS, f"{order.person.full_name} {clash[1]}", field="ends_on",
                          order_code=clash[0])


def _check_room(room: FacilityRoom, *, start: date, end: date, exclude: Order | None = None) -> None:
    room = FacilityRoom.objects.select_for_update().select_related("facility__place").get(pk=room.pk)
    stays = _room_stays([room.pk], exclude=[exclude.pk] if exclude else [])
    if peak(stays[room.pk], start, end) >= room.beds:
        raise _room_full(room, start=start, end=end)


@transaction.atomic(durable=True)
def order_extend(*, order: Order, ends_on: date, reason: str, by) -> Order:
    """A later last day (a positive test, symptoms, a new exposure), with the reason. A shorter order is ended
    early instead. A stay in a facility room is extended too, if the room has a bed on the added days."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    current = _locked(order, by)
    _active(current)
    ends_on = day_field(ends_on, field="ends_on", required=True, **_DAY)
    reason = _reason(reason)
    if ends_on <= current.ends_on:
        raise DomainError(Code.DATES_INVALID,
                          _("The new last day must be after %(date)s; to shorten the order, end it early.")
                          % {"date": current.ends_on.strftime("%d/%m/%Y")}, field="ends_on")
    if ends_on > current.starts_on + timedelta(days=MAX_DAYS - 1):
        raise DomainError(Code.DATES_INVALID, _("An order runs at most %(n)d days.") % {"n": MAX_DAYS}, field="ends_on")
    _no_other_overlap(current, current.starts_on, ends_on)
    if current.room_id and current.home_from is None:
        _check_room(current.room, start=current.ends_on + timedelta(days=1), end=ends_on, exclude=current)
    before = _snapshot(current)
    current.ends_on = ends_on
    return _changed(current, before, kind=OrderEventKind.EXTENDED, by=by, note=reason, action="order.extend")


@transaction.atomic(durable=True)
def order_move(**kwargs) -> Order:
    """Move an order to another setting, facility or room (_order_move) in its own transaction: an entry point of
    the pages and the API. A caller already inside a transaction (the demo) calls _order_move."""
    return _order_move(**kwargs)


@transaction.atomic
def _order_move(*, order: Order, setting: str, by, facility=None, room=None, address: str = "", commune=None,
               latitude: float | None = None, longitude: float | None = None, on: date | None = None,
               reason: str = "") -> Order:
    """Home → facility, facility → home, or another room (of the same or another facility), from today (`on`).
    A bed must be free in the new room until the stay ends. Going home, the geofence centre is the new address
    (or the first accurate fix after it, see lachan.quarantine.monitoring.geofence) and the order's commune the home's."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    current = _locked(order, by)
    _active(current)
    setting = _choice(setting, Setting.values, field="setting", message=_("Choose at home or in a facility."))
    on = day_field(on, field="on", **_DAY) or timezone.localdate()
    reason = _reason(reason, required=False)
    before = _snapshot(current)
    latitude, longitude = _coordinates(latitude, longitude)
    if setting == Setting.FACILITY:
        facility_id = uuid_or_none(getattr(facility, "pk", facility)) if facility not in (None, "") else None
        target = (Facility.objects.select_related("place__commune").filter(facility_scope_q(by), pk=facility_id).first()
                  if facility_id else None)
        if facility in (None, ""):
            raise DomainError(Code.SETTING_INVALID, _("Choose the facility."), field="facility")
        if target is None:
            raise NotFound(Code.FACILITY_NOT_FOUND, _("Unknown facility."), field="facility")
        if not target.is_active:
            raise DomainError(Code.FACILITY_INVALID, _("%(name)s takes nobody any more.") % {"name": target},
                              field="facility")
        if target.for_isolation != (current.kind == OrderKind.ISOLATION):
            message = (_("%(name)s takes cases (isolation), not contacts.") if target.for_isolation
                       else _("%(name)s takes contacts (quarantine), not cases."))
            raise DomainError(Code.SETTING_INVALID, message % {"name": target}, field="facility")
        room_id = uuid_or_none(getattr(room, "pk", room)) if room not in (None, "") else None
        new_room = FacilityRoom.objects.filter(pk=room_id, facility=target).first() if room_id else None
        if room in (None, ""):
            raise DomainError(Code.ROOM_NOT_FOUND, _("Choose the room (a facility's beds are in its rooms)."),
                              field="room")
        if new_room is None:
            raise NotFound(Code.ROOM_NOT_FOUND, _("Unknown room of this facility."), field="room")
        if new_room.pk == current.room_id:
            raise DomainError(Code.SETTING_INVALID, _("The order is already in this room."), field="room")
        start = max(on, current.starts_on)
        if current.home_from is not None and current.home_from <= start:
            current.home_from = None  # the facility part is over: the rest of the order is in this room
        end = stay_of(start, current.ends_on, current.home_from)[1]
        _check_room(new_room, start=start, end=end, exclude=current)
        kind = OrderEventKind.ROOM if current.setting == Setting.FACILITY else OrderEventKind.MOVED
        current.setting, current.facility, current.room = Setting.FACILITY, target, new_room
        current.commune = target.place.commune
        current.address = text_field(address, field="address", limit=300, code=Code.ORDER_INVALID) or target.place.address
        if latitude is None:
            latitude, longitude = target.place.latitude, target.place.longitude
    else:
        if current.setting == Setting.HOME:
            raise DomainError(Code.SETTING_INVALID, _("The order is already at home."), field="setting")
        person = current.person
        kind = OrderEventKind.MOVED
        current.setting, current.facility, current.room, current.home_from = Setting.HOME, None, None, None
        current.commune = _commune(commune if commune not in (None, "") else person.commune, by=by)
        current.address = text_field(address, field="address", limit=300, code=Code.ORDER_INVALID) or person.address_line
    current.latitude, current.longitude = latitude, longitude
    # A new place: the old one's fixes say nothing about it.
    LocationPing.objects.filter(order=current).delete()
    current.last_ping_at = None
    return _changed(current, before, kind=kind, by=by, note=reason, action="order.move")


# Alerts that mean nothing once the order has ended (symptoms stay: the person may still be ill).
MOOT_WHEN_ENDED = (AlertKind.VIOLATION, AlertKind.SILENT, AlertKind.MISSED_REPORT, AlertKind.TEST_DUE)


def _settle(order: Order, *, on: date, by=None, released: bool = False) -> None:
    """What ending an order does besides its status: its fixes deleted, its planned tests settled, its open
    alerts about leaving, silence, check-ins and tests closed (the queue keeps what still needs someone)."""
    LocationPing.objects.filter(order=order).delete()
    Alert.objects.filter(order=order, kind__in=MOOT_WHEN_ENDED, status__in=OPEN_ALERT_STATUSES).update(
        status=AlertStatus.CLOSED, closed_at=timezone.now(), closed_by=by if getattr(by, "pk", None) else None,
        note=_("Closed: the order ended."))
    # A release settles the tests due up to its day (the last day's test not taken is missed, not "not needed");
    # ending early, that day's test is not needed any more.
    due_by = Q(due_on__lte=on) if released else Q(due_on__lt=on)
    RequiredTest.objects.filter(due_by, order=order, status=TestStatus.PLANNED).update(status=TestStatus.MISSED)
    RequiredTest.objects.filter(order=order, status=TestStatus.PLANNED).update(status=TestStatus.CANCELLED)


@transaction.atomic
def order_end_early(*, order: Order, reason: str, by, on: date | None = None) -> Order:
    """Ended before its last day (became a case, moved away, decided in error…): the reason is required."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    current = _locked(order, by)
    _active(current)
    reason = _reason(reason)
    on = day_field(on, field="on", **_DAY) or timezone.localdate()
    if on > timezone.localdate():
        raise DomainError(Code.DATES_INVALID, _("This date is in the future."), field="on")
    before = _snapshot(current)
    current.status, current.ended_on, current.end_reason, current.ended_by = (OrderStatus.ENDED_EARLY, on, reason,
                                                                              as_user(by))
    _settle(current, on=on, by=by)
    return _changed(current, before, kind=OrderEventKind.ENDED_EARLY, by=by, note=reason, action="order.end_early")


@transaction.atomic
def order_release(*, order: Order, by, on: date | None = None) -> Order:
    """The order completed: released on or after its last day (a completion certificate can be printed)."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    current = _locked(order, by)
    _active(current)
    on = day_field(on, field="on", **_DAY) or timezone.localdate()
    if on > timezone.localdate():
        raise DomainError(Code.DATES_INVALID, _("This date is in the future."), field="on")
    if on < current.ends_on:
        raise DomainError(Code.RELEASE_TOO_EARLY,
                          _("Order %(code)s runs until %(date)s; to end it before, end it early with the reason.")
                          % {"code": current.code, "date": current.ends_on.strftime("%d/%m/%Y")}, field="on")
    before = _snapshot(current)
    current.status, current.ended_on, current.ended_by = OrderStatus.RELEASED, on, as_user(by)
    _settle(current, on=on, by=by, released=True)
    return _changed(current, before, kind=OrderEventKind.RELEASED, by=by, action="order.release")


@dataclass
class Released:
    order_id: Any
    order: Order | None = None
    error: DomainError | None = None


def orders_release_many(*, orders: Iterable, by) -> list[Released]:
    """Release several orders (the list of those due today): each released or refused on its own."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    results = []
    for value in list(orders)[:500]:
        pk = uuid_or_none(getattr(value, "pk", value))
        try:
            if pk is None:
                raise NotFound(Code.ORDER_NOT_FOUND, _("Order not found."))
            results.append(Released(order_id=pk, order=order_release(order=pk, by=by)))
        except DomainError as exc:
            results.append(Released(order_id=pk or value, error=exc))
    return results


def orders_due_summary(*, on: date | None = None) -> str:
    """The daily job: orders are not released by themselves (the station checks the last test and the person's
    health, then releases, one by one or the day's list at once); this settles the tests whose day is more
    than a day past without a sample (missed) and says how many orders are due for release."""
    on = on or timezone.localdate()
    missed = (RequiredTest.objects.filter(status=TestStatus.PLANNED, due_on__lt=on - timedelta(days=1),
                                          order__status=ACTIVE).update(status=TestStatus.MISSED))
    due = Order.objects.filter(status=ACTIVE, ends_on__lte=on).count()
    return f"{due} orders due for release; {missed} tests marked missed"


def tests_mark_sampled(*, swabs: Iterable[tuple[Any, Any, date]]) -> int:
    """Swabs taken (person id, sample id, day collected): each person's latest required test due on or
    before that day, still planned or missed, of an order in force, is marked sampled with the sample.
    System work, called by the laboratory workflow when a sample is registered."""
    by_person: dict[Any, tuple[Any, date]] = {}
    for person_id, sample_id, on in swabs:
        if person_id is not None and isinstance(on, date):
            by_person[person_id] = (sample_id, on)
    if not by_person:
        return 0
    marked = 0
    for chunk in chunked(list(by_person), 1000):
        candidates = (RequiredTest.objects.filter(order__person_id__in=chunk, order__status=ACTIVE,
                                                  status__in=[TestStatus.PLANNED, TestStatus.MISSED])
                      .values_list("pk", "order__person_id", "due_on").order_by("due_on"))
        latest: dict[Any, Any] = {}
        for pk, person_id, due_on in candidates:
            if due_on <= by_person[person_id][1]:
                latest[person_id] = pk
        for person_id, pk in latest.items():
            marked += RequiredTest.objects.filter(pk=pk).update(status=TestStatus.SAMPLED,
                                                                sample_id=by_person[person_id][0])
    return marked


# ---- facilities and rooms ----------------------------------------------------------------------------

FACILITY_FIELDS = ("name", "address", "latitude", "longitude", "phone", "for_isolation", "is_active", "notes")


def _facility_locked(facility, by) -> Facility:
    pk = uuid_or_none(getattr(facility, "pk", facility))
    current = (Facility.objects.select_for_update(of=("self",)).select_related("place__commune")
               .filter(facility_scope_q(by), pk=pk).first()) if pk else None
    if current is None:
        raise NotFound(Code.FACILITY_NOT_FOUND, _("Unknown facility."), field="facility")
    if not commune_in_jurisdiction(by, current.place.commune):
        raise PermissionDenied(Code.PERMISSION, _("Only the health service of %(unit)s can change this facility.")
                               % {"unit": current.place.commune.label})
    return current


@transaction.atomic(durable=True)
def facility_create(*, name: str, commune, address: str = "", latitude: float | None = None,
                    longitude: float | None = None, phone: str = "", for_isolation: bool = False, notes: str = "",
                    by) -> Facility:
    """A quarantine facility (for contacts) or an isolation facility (for cases) in a commune of the actor's
    jurisdiction. Its beds are its rooms' (room_create)."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    unit = _commune(commune, by=by)
    latitude, longitude = _coordinates(latitude, longitude)
    place = Place.objects.create(
        kind=PlaceKind.QUARANTINE_FACILITY, commune=unit, latitude=latitude, longitude=longitude,
        name=text_field(name, field="name", limit=200, code=Code.FACILITY_INVALID,
                   required_message=_("A facility needs a name.")),
        address=text_field(address, field="address", limit=300, code=Code.FACILITY_INVALID),
        phone=text_field(phone, field="phone", limit=15, code=Code.FACILITY_INVALID), created_by=as_user(by), changed_by=as_user(by))
    facility = Facility.objects.create(place=place, for_isolation=bool(for_isolation),
                                       notes=str(notes or "").strip()[:2000], created_by=as_user(by), changed_by=as_user(by))
    audit_record(actor=by, action="facility.create", object_type="quarantine_facility", object_id=facility.pk,
                 detail={"name": place.name, "commune": unit.code, "isolation": facility.for_isolation})
    return facility


@transaction.atomic(durable=True)
def facility_update(*, facility, by, **changes: Any) -> Facility:
    """Change the given fields among FACILITY_FIELDS. Taking cases or contacts cannot change while people of
    the other kind stay there."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    unknown = sorted(set(changes) - set(FACILITY_FIELDS))
    if unknown:
        raise DomainError(Code.FACILITY_INVALID, _("%(field)s cannot be changed.") % {"field": unknown[0]},
                          field=unknown[0])
    current = _facility_locked(facility, by)
    place = current.place
    changed = []
    for name, limit in (("name", 200), ("address", 300), ("phone", 15)):
        if name in changes:
            value = text_field(changes[name], field=name, limit=limit, code=Code.FACILITY_INVALID,
                          required_message=_("A facility needs a name.") if name == "name" else "")
            if getattr(place, name) != value:
                setattr(place, name, value)
                changed.append(name)
    if "latitude" in changes or "longitude" in changes:
        lat, lon = _coordinates(changes.get("latitude", place.latitude), changes.get("longitude", place.longitude))
        if (lat, lon) != (place.latitude, place.longitude):
            place.latitude, place.longitude = lat, lon
            changed.append("coordinates")
    if "for_isolation" in changes and bool(changes["for_isolation"]) != current.for_isolation:
        if Order.objects.filter(facility=current, status=ACTIVE).exists():
            raise DomainError(Code.FACILITY_INVALID,
                              _("People stay in %(name)s: it cannot change between cases and contacts now.")
                              % {"name": place.name}, field="for_isolation")
        current.for_isolation = bool(changes["for_isolation"])
        changed.append("for_isolation")
    if "is_active" in changes and bool(changes["is_active"]) != current.is_active:
        current.is_active = bool(changes["is_active"])
        changed.append("is_active")
    if "notes" in changes and str(changes["notes"] or "").strip()[:2000] != current.notes:
        current.notes = str(changes["notes"] or "").strip()[:2000]
        changed.append("notes")
    if changed:
        place.changed_by = current.changed_by = as_user(by)
        place.save()
        current.save()
        audit_record(actor=by, action="facility.update", object_type="quarantine_facility", object_id=current.pk,
                     detail={"fields": changed})
    return current


def _beds(value) -> int:
    try:
        beds = int(value)
    except (TypeError, ValueError):
        beds = 0
    if isinstance(value, bool) or not 1 <= beds <= 500:
        raise DomainError(Code.ROOM_INVALID, _("A room has from 1 to 500 beds."), field="beds")
    return beds


@transaction.atomic(durable=True)
def room_create(*, facility, name: str, beds: int, by) -> FacilityRoom:
    require_perm(by, Perm.QUARANTINE_EDIT)
    current = _facility_locked(facility, by)
    name = text_field(name, field="name", limit=50, code=Code.ROOM_INVALID, required_message=_("A room needs a name."))
    beds = _beds(beds)
    if current.rooms.filter(name=name).exists():
        raise DomainError(Code.ROOM_INVALID, _("%(facility)s already has a room %(room)s.")
                          % {"facility": current.place.name, "room": name}, field="name")
    room = FacilityRoom.objects.create(facility=current, name=name, beds=beds, created_by=as_user(by), changed_by=as_user(by))
    audit_record(actor=by, action="room.create", object_type="quarantine_room", object_id=room.pk,
                 detail={"facility": str(current.pk), "name": name, "beds": beds})
    return room


@transaction.atomic(durable=True)
def room_update(*, room, by, name: str | None = None, beds: int | None = None) -> FacilityRoom:
    """Rename a room or change its beds: not below the people staying there on any coming day."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    pk = uuid_or_none(getattr(room, "pk", room))
    current = FacilityRoom.objects.select_for_update().select_related("facility__place").filter(pk=pk).first() if pk else None
    if current is None:
        raise NotFound(Code.ROOM_NOT_FOUND, _("Unknown room."), field="room")
    _facility_locked(current.facility, by)
    data = {}
    if name is not None:
        name = text_field(name, field="name", limit=50, code=Code.ROOM_INVALID, required_message=_("A room needs a name."))
        if name != current.name:
            if FacilityRoom.objects.filter(facility_id=current.facility_id, name=name).exclude(pk=current.pk).exists():
                raise DomainError(Code.ROOM_INVALID, _("%(facility)s already has a room %(room)s.")
                                  % {"facility": current.facility.place.name, "room": name}, field="name")
            data["name"] = name
    if beds is not None:
        beds = _beds(beds)
        if beds < current.beds:
            today = timezone.localdate()
            stays = _room_stays([current.pk])[current.pk]
            needed = peak(stays, today, max([b for _a, b in stays], default=today))
            if beds < needed:
                raise DomainError(Code.ROOM_FULL, _("%(n)d people stay in this room on a coming day: keep at least "
                                                    "%(n)d beds.") % {"n": needed}, field="beds")
        data["beds"] = beds
    changed = model_update(current, data, changed_by=as_user(by))
    if changed:
        audit_record(actor=by, action="room.update", object_type="quarantine_room", object_id=current.pk,
                     detail={"fields": [field for field in ("name", "beds") if field in changed], "beds": current.beds})
    return current
