"""Writes for quarantine and isolation orders once made: extending, moving, ending early, releasing, and the daily
summary of the orders due (making them is lachan.quarantine.orders.create).

Every change writes an OrderEvent (what it was before, what it is after) and an audit record. Ending an
order (early, with a reason, or by release once its last day is reached) deletes its location pings and
settles its planned tests (missed if their day is past, else cancelled). A person has at most one order in force,
and no two orders of a person overlap in dates. A place in a facility is a bed of one of its rooms
(lachan.quarantine.facilities)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.db import chunked
from lachan.core.errors import DomainError, NotFound
from lachan.core.parsers import day_field, text_field, uuid_or_none

from ..access import facility_scope_q, order_scope_q, require_perm
from ..errors import QuarantineErrorCode as Code
from ..facilities.services import commune_clean, coordinates_clean, room_check, stay_of
from ..models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertKind,
    AlertStatus,
    Facility,
    FacilityRoom,
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

MAX_DAYS = 90  # the longest an order may run (extensions included)
EARLIEST = date(2020, 1, 1)
ACTIVE = OrderStatus.ACTIVE


# ---- small parsers ---------------------------------------------------------------------------------

# A day of an order: from EARLIEST to 2100 (core.parsers.day_field, with the quarantine's code).
_DAY = {"code": Code.DATES_INVALID, "earliest": EARLIEST, "latest": date(2100, 1, 1)}


def _choice(value, choices, *, field: str, message: str) -> str:
    if value not in choices:
        raise DomainError(Code.ORDER_INVALID, message, field=field)
    return str(value)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


# ---- one order per person at a time -----------------------------------------------------------------

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
        room_check(current.room, start=current.ends_on + timedelta(days=1), end=ends_on, exclude=current)
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
    latitude, longitude = coordinates_clean(latitude, longitude)
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
        room_check(new_room, start=start, end=end, exclude=current)
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
        current.commune = commune_clean(commune if commune not in (None, "") else person.commune, by=by)
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
