"""Making quarantine and isolation orders: one (`order_create`) or many at once (`orders_create_many`), as planned
by lachan.quarantine.orders.plan (dates, tests and geofence from the policy in force on the first day). A person
has at most one order in force, and no two orders of a person overlap in dates; a place in a facility is a bed of
one of its rooms (lachan.quarantine.facilities). Telling the person (SMS with the link of their daily check-in) is
lachan.quarantine.monitoring's `order_notify`, asked for with `notify=True`.

Many orders at once (`orders_create_many`, e.g. a case's F1s from a tracing result): every item is checked
first; people who already have an order in force, or one overlapping the dates, are skipped and reported
(the batch goes on without them); any other problem refuses the whole batch (ValidationFailed, each error
naming its item by `index`), so nothing is half-saved. The rows are written in bulk (10,000 orders with
their tests, events and audit records in a few seconds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record, audit_record_many
from lachan.core.db import bulk_insert
from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.ids import uuid7
from lachan.core.parsers import uuid_or_none
from lachan.geo.models import AdminUnit

from ..errors import QuarantineErrorCode as Code
from ..facilities.services import peak, room_full_error, room_stays
from ..models import Immunity, Order, OrderEvent, OrderEventKind, RequiredTest, TestStatus
from ..monitoring.notify import orders_notify_new
from .plan import MAX_ERRORS, OrderIn, _create_validate, _Plan
from .services import ACTIVE, _clash, _conflicts, _day

CODE_DIGITS = 5


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


# ---- writing a batch -------------------------------------------------------------------------------------

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


def _create_keep(plans: list[_Plan], *, skip_taken: bool, skipped: list[Skipped]) -> list[_Plan]:
    """The plans of people free on their dates; the others skipped (a batch) or refused (one order)."""
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
            skipped.append(Skipped(index=plan.index, person_id=plan.person.pk, order_code=code, message=message))
            continue
        existing[plan.person.pk].append(("", ACTIVE, row["starts_on"], row["ends_on"]))  # the batch's own
        kept.append(plan)
    return kept


def _create_beds(kept: list[_Plan]) -> None:
    """Beds: each room's stays in force and the batch's, day by day (ValidationFailed for the rooms full)."""
    errors: list[DomainError] = []
    stays = room_stays({p.room.pk for p in kept if p.room is not None})
    for plan in kept:
        if plan.room is None:
            continue
        start, end = plan.stay
        if peak(stays[plan.room.pk], start, end) >= plan.room.beds:
            error = room_full_error(plan.room, start=start, end=end)
            error.params["index"] = plan.index
            errors.append(error)
            continue
        stays[plan.room.pk].append(plan.stay)
    if errors:
        raise ValidationFailed(errors[:MAX_ERRORS])


def _create_number(kept: list[_Plan], *, communes: dict, today: date) -> tuple[list[tuple[UUID, dict]], list[dict]]:
    """One numbering of the batch: its order rows (by id) and their tests."""
    numbers: dict[str, int] = {}
    orders: list[tuple[UUID, dict]] = []
    tests: list[dict] = []
    for plan in kept:
        prefix = code_prefix(communes[plan.row["commune_id"]], today)
        if prefix not in numbers:
            numbers[prefix] = _last_number(prefix)
        numbers[prefix] += 1
        row = {**plan.row, "id": uuid7(), "code": f"{prefix}{numbers[prefix]:0{CODE_DIGITS}d}"}
        orders.append((row["id"], row))
        tests += [{"order_id": row["id"], "day": day, "due_on": due_on, "status": TestStatus.PLANNED}
                  for day, due_on in plan.tests]
    return orders, tests


def _create_write(kept: list[_Plan], *, by, today: date, now: datetime, batch: bool) -> list[tuple[UUID, dict]]:
    """The orders numbered and written in bulk (numbered again if another request took a number meanwhile),
    then their tests, events and audit records."""
    communes = {c.pk: c for c in AdminUnit.objects.filter(pk__in={p.row["commune_id"] for p in kept})}
    for _attempt in range(5):
        orders, tests = _create_number(kept, communes=communes, today=today)
        try:
            with transaction.atomic(), connection.wrap_database_errors:  # COPY's errors as Django's
                bulk_insert(Order, [row for _pk, row in orders], now=now)
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
    _events_and_audit(orders, tests, by=by, now=now, batch=batch)
    return orders


def _create(items: Sequence[OrderIn], *, by, skip_taken: bool, today: date | None = None) -> OrdersCreated:
    today = today or timezone.localdate()
    now = timezone.now()
    plans = _create_validate(items, by=by, today=today)
    result = OrdersCreated()
    kept = _create_keep(plans, skip_taken=skip_taken, skipped=result.skipped)
    _create_beds(kept)
    if not kept:
        return result
    orders = _create_write(kept, by=by, today=today, now=now, batch=skip_taken)
    result.created = [Created(index=plan.index, order_id=pk, code=row["code"], person_id=row["person_id"])
                      for plan, (pk, row) in zip(kept, orders, strict=True)]
    return result


@transaction.atomic
def order_create(*, person, kind: str, setting: str, starts_on: date | None, immunity: str = Immunity.UNKNOWN,
                 by, exposed_on: date | None = None, case=None, contact_tier: int | None = None, facility=None,
                 room=None, address: str = "", latitude: float | None = None, longitude: float | None = None,
                 commune=None, ends_on: date | None = None, notify: bool = False, base_url: str = "",
                 today: date | None = None) -> Order:
    """One order. Its end (unless given), its tests and its geofence radius follow the policy in force on
    `starts_on`. notify: SMS the person their order and the link of their daily check-in page (base_url: the
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
    if notify:
        _notify([created.created[0].order_id], by=by, base_url=base_url)
    return Order.objects.select_related("person", "commune", "facility__place", "room", "policy").get(
        pk=created.created[0].order_id)


def _notify(order_ids: list, *, by, base_url: str) -> None:
    orders_notify_new(order_ids=order_ids, by=by, base_url=base_url)


@transaction.atomic
def orders_create_many(*, items: Sequence[OrderIn], by, today: date | None = None, notify: bool = False,
                       base_url: str = "") -> OrdersCreated:
    """Many orders at once (a case's F1s): all of them or none, except that people who already have an order
    in force or overlapping the dates are skipped and reported in `skipped` (as are people named twice).
    notify: as order_create (by the background worker for more than a few hundred)."""
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
    if notify and result.created:
        _notify([entry.order_id for entry in result.created], by=by, base_url=base_url)
    return result
