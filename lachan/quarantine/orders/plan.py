"""Planning quarantine and isolation orders before they are made (lachan.quarantine.orders.create): each item
checked (person, choices, dates, case), resolved by the `quarantine` policy version in force on its first day
(lachan.quarantine.policy: its regime, last day and tests), placed (home or a facility's room) and built into the
row written in bulk. Day 1 is the day of the last exposure for contacts (`count_from: exposure`) or the order's
first day; the order ends on day `days` (inclusive)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from lachan.accounts.roles import Perm
from lachan.core.db import chunked
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.parsers import day_field, text_field, uuid_or_none
from lachan.core.policies import policy_in_force
from lachan.geo.models import AdminUnit
from lachan.people.access import people_in_scope
from lachan.people.models import Person

from ..access import facility_scope_q, require_perm
from ..errors import QuarantineErrorCode as Code
from ..facilities.services import commune_clean, coordinates_clean, stay_of
from ..models import Facility, FacilityRoom, Immunity, Order, OrderKind, Setting
from ..policy import POLICY_KIND, base_day, monitoring, regime
from .services import _DAY, ACTIVE, MAX_DAYS, _choice

MAX_BATCH = 20_000  # orders created at once
MAX_AHEAD_DAYS = 30  # an order may be prepared this far ahead
MAX_BACK_DAYS = 30  # an order may be recorded this late (it must still be in force today)
MAX_EXPOSURE_DAYS = 60  # an exposure this long before the start is not a reason for an order
MAX_ERRORS = 200  # errors reported for a refused batch


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


# ---- an order to make --------------------------------------------------------------------------------

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


# ---- planning one order: checked, resolved by the policy, placed, built ----------------------------------

@dataclass
class _Checked:
    """An item's choices, dates and case, checked."""

    kind: str
    setting: str
    immunity: str
    starts_on: date
    exposed_on: date | None
    tier: int | None
    case_id: UUID | None


@dataclass
class _Resolved:
    """What the policy in force on the first day makes of an item."""

    policy: Any
    rules: dict
    regime: Any
    base: date
    ends_on: date
    tests: list[tuple[int, date]]


@dataclass
class _Place:
    """Where an order is served."""

    commune: AdminUnit
    address: str
    latitude: float | None
    longitude: float | None
    facility: Facility | None = None
    room: FacilityRoom | None = None
    home_from: date | None = None
    stay: tuple[date, date] | None = None


def _plan_dates(item: OrderIn, *, today: date) -> tuple[date, date | None]:
    """The first day and the last exposure, checked against today and each other."""
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
    return starts_on, exposed_on


def _plan_case(item: OrderIn, *, kind: str, person: Person, cases: dict, starts_on: date,
               exposed_on: date | None) -> UUID | None:
    """The item's case, if any: known, of the right person for the kind, infectious by the order's dates."""
    case_id = _case_id(item.case)
    if item.case not in (None, "") and (case_id is None or case_id not in cases):
        raise NotFound(Code.ORDER_INVALID, _("Unknown case."), field="case")
    case = cases[case_id] if case_id is not None else None
    if case is None:
        return None
    if kind == OrderKind.ISOLATION and case.person_id != person.pk:
        raise DomainError(Code.ORDER_INVALID, _("An isolation order is for the case's own person."), field="case")
    if kind == OrderKind.QUARANTINE and case.person_id == person.pk:
        raise DomainError(Code.ORDER_INVALID, _("A case is isolated, not quarantined as its own contact."),
                          field="kind")
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
    return case_id


def _plan_check(item: OrderIn, *, person: Person | None, cases: dict, today: date) -> _Checked:
    """The person, the choices, the dates and the case of an item (DomainError for the first problem)."""
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
    starts_on, exposed_on = _plan_dates(item, today=today)
    tier = item.contact_tier
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 3):
        raise DomainError(Code.ORDER_INVALID, _("The contact tier is 1, 2 or 3."), field="contact_tier")
    case_id = _plan_case(item, kind=kind, person=person, cases=cases, starts_on=starts_on, exposed_on=exposed_on)
    return _Checked(kind=kind, setting=setting, immunity=immunity, starts_on=starts_on, exposed_on=exposed_on,
                    tier=tier, case_id=case_id)


def _plan_resolve(item: OrderIn, checked: _Checked, *, policies: _Policies, today: date) -> _Resolved:
    """The policy in force on the first day: the regime, the last day (unless given) and the tests due."""
    starts_on, exposed_on = checked.starts_on, checked.exposed_on
    policy = policies.on(starts_on)
    rules = policy.rules or {}
    reg = regime(rules, kind=checked.kind, immunity=checked.immunity)
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
    return _Resolved(policy=policy, rules=rules, regime=reg, base=base, ends_on=ends_on, tests=tests)


def _plan_facility(item: OrderIn, *, kind: str, facilities: dict, rooms: dict) -> tuple[Facility, FacilityRoom]:
    """The facility and room of an order in a facility: known, taking this kind of order, the room its own."""
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
    return facility, room


def _plan_place(item: OrderIn, checked: _Checked, resolved: _Resolved, *, person: Person, facilities: dict,
                rooms: dict, by) -> _Place:
    """Where the order is served: a facility's room (and from which day at home, if the regime says so) or home."""
    address = text_field(item.address, field="address", limit=300, code=Code.ORDER_INVALID)
    latitude, longitude = coordinates_clean(item.latitude, item.longitude)
    if checked.setting != Setting.FACILITY:
        if item.facility not in (None, "") or item.room not in (None, ""):
            raise DomainError(Code.SETTING_INVALID, _("A facility and a room are for an order in a facility."),
                              field="facility")
        commune = commune_clean(item.commune if item.commune not in (None, "") else person.commune, by=by)
        return _Place(commune=commune, address=address or person.address_line, latitude=latitude,
                      longitude=longitude)
    facility, room = _plan_facility(item, kind=checked.kind, facilities=facilities, rooms=rooms)
    if latitude is None:
        latitude, longitude = facility.place.latitude, facility.place.longitude
    reg, base, starts_on, ends_on = resolved.regime, resolved.base, checked.starts_on, resolved.ends_on
    home_from = None
    if reg.facility_days and base + timedelta(days=reg.facility_days) > starts_on:
        home_from = base + timedelta(days=reg.facility_days)
        if home_from > ends_on:
            home_from = None
    return _Place(commune=facility.place.commune, address=address or facility.place.address, latitude=latitude,
                  longitude=longitude, facility=facility, room=room, home_from=home_from,
                  stay=stay_of(starts_on, ends_on, home_from))


def _plan_build(index: int, checked: _Checked, resolved: _Resolved, place: _Place, *, person: Person, by) -> _Plan:
    """The order's row (written in bulk) and its tests."""
    row = {
        "person_id": person.pk, "kind": checked.kind, "setting": checked.setting, "commune_id": place.commune.pk,
        "address": place.address, "facility_id": place.facility.pk if place.facility else None,
        "room_id": place.room.pk if place.room else None, "latitude": place.latitude,
        "longitude": place.longitude, "geofence_radius_m": monitoring(resolved.rules).geofence_radius_m,
        "starts_on": checked.starts_on, "ends_on": resolved.ends_on, "home_from": place.home_from,
        "status": ACTIVE, "case_id": checked.case_id, "contact_tier": checked.tier,
        "exposed_on": checked.exposed_on, "immunity": checked.immunity, "policy_id": resolved.policy.pk,
        "created_by_id": getattr(by, "pk", None), "changed_by_id": getattr(by, "pk", None),
    }
    return _Plan(index=index, person=person, row=row, tests=resolved.tests, room=place.room, stay=place.stay,
                 regime_facility_days=resolved.regime.facility_days)


def _plan_one(index: int, item: OrderIn, *, person: Person | None, policies: _Policies, facilities: dict,
              rooms: dict, cases: dict, by, today: date) -> _Plan:
    """An order's row and tests, checked (DomainError for the first problem)."""
    checked = _plan_check(item, person=person, cases=cases, today=today)
    resolved = _plan_resolve(item, checked, policies=policies, today=today)
    place = _plan_place(item, checked, resolved, person=person, facilities=facilities, rooms=rooms, by=by)
    return _plan_build(index, checked, resolved, place, person=person, by=by)


# ---- planning a batch ----------------------------------------------------------------------------------

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


def _create_validate(items: Sequence[OrderIn], *, by, today: date) -> list[_Plan]:
    """Every item planned, or ValidationFailed with the problems found (each naming its item by `index`)."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise DomainError(Code.BATCH_INVALID, _("Give a list of orders."), field="items")
    if len(items) > MAX_BATCH:
        raise DomainError(Code.BATCH_INVALID, _("At most %(n)d orders at once.") % {"n": MAX_BATCH}, field="items")
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
    return plans
