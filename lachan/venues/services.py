"""Writes: venue registration, check-in and check-out, the daily deletion past the horizon.
(The paper logbook import is in logbook.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.accounts.actors import as_user, is_person, is_system, system_actor
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.models import AuditAction
from lachan.accounts.roles import Role
from lachan.core.db import db_datetime
from lachan.core.errors import CommonErrorCode, DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.text import fold
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.people.identity import phone_normalize
from lachan.people.models import Person
from lachan.people.services import person_create

from . import sql
from .errors import VenueErrorCode
from .models import CheckIn, CheckInSource, LogbookVisitor, Venue, VenueKind, VenueSize
from .policy import CheckInRules, checkin_rules
from .signals import checkins_recorded_send

CLOCK_SKEW = timedelta(minutes=2)
DELETE_BATCH = 10_000
_REGISTRARS = {Role.VENUE_OWNER, Role.PROVINCE_ADMIN, Role.EPIDEMIOLOGIST, Role.DISTRICT_OFFICER, Role.COMMUNE_STATION}


# ---- venues -------------------------------------------------------------------------------------
# What a confirmed case who checks in is told (the API's answer and the check-in page).
ISOLATE_ADVICE = gettext_lazy("You are a confirmed case and must be isolating: go home now and stay there. Your "
                              "check-in is recorded and your commune health station has been told.")


def in_province(unit: AdminUnit) -> bool:
    parts = unit.path.split("/")
    return unit.tree == settings.LACHAN_ADMIN_TREE and len(parts) > 1 and parts[1] == settings.LACHAN_PROVINCE_CODE


def _commune(value: Any, *, by, errors: list[DomainError]) -> AdminUnit | None:
    unit = None
    if isinstance(value, AdminUnit):
        unit = value
    elif value not in (None, ""):
        lookup = {"pk": value} if isinstance(value, int) else {"code": str(value).strip()}
        unit = AdminUnit.objects.filter(**lookup, tree=settings.LACHAN_ADMIN_TREE).first()
    if unit is None or unit.level != AdminLevel.COMMUNE or not in_province(unit):
        errors.append(DomainError(VenueErrorCode.NOT_FOUND, _("Choose a commune of the province."), field="commune"))
        return None
    scope = None if is_system(by) else scope_for(by)
    if scope is not None and scope.kind == "unit" and not unit_in_scope(scope, unit):
        errors.append(DomainError(
            VenueErrorCode.PERMISSION, _("%(commune)s is outside your jurisdiction.") % {"commune": unit.label},
            field="commune",
        ))
        return None
    return unit


def _coordinate(value: Any, low: float, high: float, field: str, errors: list[DomainError]) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors.append(DomainError(VenueErrorCode.COORDINATES_INVALID, _("Not a valid coordinate."), field=field))
        return None
    return number


@transaction.atomic(durable=True)
def venue_register(
    *, by, name: str, kind: str, size: str, address: str = "", commune: AdminUnit | int | str | None,
    latitude: float | str | None = None, longitude: float | str | None = None, capacity: int | None = None,
    phone: str = "", area_m2: int | None = None,
) -> Venue:
    """A venue owner registers their venue (they become its owner); staff register one in their jurisdiction."""
    if not is_system(by) and (not is_person(by) or by.role not in _REGISTRARS):
        raise PermissionDenied(VenueErrorCode.PERMISSION, _("You do not have permission to do this."))
    errors: list[DomainError] = []
    name = " ".join(str(name or "").split())
    if not name:
        errors.append(DomainError(VenueErrorCode.NAME_REQUIRED, _("Enter the name of the venue."), field="name"))
    elif len(name) > 200:
        errors.append(DomainError(CommonErrorCode.INVALID, _("At most %(n)d characters.") % {"n": 200}, field="name"))
    if kind not in VenueKind.values:
        errors.append(DomainError(VenueErrorCode.KIND_INVALID, _("Choose a kind of venue."), field="kind"))
    if size not in VenueSize.values:
        errors.append(DomainError(VenueErrorCode.SIZE_INVALID, _("Choose small enclosed room or large space."), field="size"))
    address = " ".join(str(address or "").split())
    if len(address) > 300:
        errors.append(DomainError(CommonErrorCode.INVALID, _("At most %(n)d characters.") % {"n": 300}, field="address"))
    unit = _commune(commune, by=by, errors=errors)
    lat = _coordinate(latitude, -90, 90, "latitude", errors)
    lon = _coordinate(longitude, -180, 180, "longitude", errors)
    if (lat is None) != (lon is None) and not any(e.field in ("latitude", "longitude") for e in errors):
        errors.append(DomainError(VenueErrorCode.COORDINATES_INVALID, _("Give both latitude and longitude, or neither."), field="latitude"))
    if capacity not in (None, ""):
        try:
            capacity = int(capacity)
            if capacity < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(DomainError(CommonErrorCode.INVALID, _("Enter a positive number."), field="capacity"))
    else:
        capacity = None
    if area_m2 not in (None, ""):
        try:
            area_m2 = int(area_m2)
            if not 1 <= area_m2 <= 10_000_000:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(DomainError(CommonErrorCode.INVALID, _("Enter the floor area in whole square metres."), field="area_m2"))
    else:
        area_m2 = None
    if phone:
        try:
            phone = phone_normalize(phone)
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    actor = as_user(by)
    place = Place.objects.create(kind=PlaceKind.VENUE, name=name, commune=unit, address=address, latitude=lat,
                                 longitude=lon, phone=phone, created_by=actor, changed_by=actor)
    owner = by if is_person(by) and by.role == Role.VENUE_OWNER else None
    venue = Venue.objects.create(place=place, kind=kind, size=size, capacity=capacity, area_m2=area_m2, owner=owner,
                                 created_by=actor, changed_by=actor)
    audit_record(actor=by, action=AuditAction.CREATE, object_type="venue", object_id=venue.pk)
    return venue


SIZE_CONFIRMERS = {Role.COMMUNE_STATION, Role.DISTRICT_OFFICER, Role.EPIDEMIOLOGIST, Role.PROVINCE_ADMIN}


@transaction.atomic(durable=True)
def venue_size_confirm(*, venue: Venue, size: str, by, note: str = "") -> Venue:
    """A health official of the venue's commune (or above), having seen it, confirms or corrects the size tracing
    uses from now on: it replaces what the policy derives. Audited with the size before and after; the crowd
    counted so far is forgotten (it was weighed in the decision)."""
    from .policy import venue_size_rules_on

    if not getattr(by, "is_authenticated", False) or by.role not in SIZE_CONFIRMERS:
        raise PermissionDenied(VenueErrorCode.SIZE_CONFIRM,
                               _("Only a health station or health officials confirm the size of a venue."))
    venue = Venue.objects.select_for_update().select_related("place__commune").filter(pk=venue.pk).first()
    if venue is None or not unit_in_scope(scope_for(by), venue.place.commune):
        raise NotFound(VenueErrorCode.NOT_FOUND, _("No such venue."))
    if size not in VenueSize.values:
        raise DomainError(VenueErrorCode.SIZE_INVALID, _("Choose small enclosed room or large space."), field="size")
    before = venue_size_rules_on().of(venue)
    venue.size_confirmed, venue.size_confirmed_at, venue.size_confirmed_by = size, timezone.now(), by
    venue.crowd_peak = venue.crowd_peak_at = None
    venue.changed_by = by
    venue.save(update_fields=["size_confirmed", "size_confirmed_at", "size_confirmed_by", "crowd_peak",
                              "crowd_peak_at", "changed_by", "changed_at"])
    audit_record(actor=by, action="venue.size_confirm", object_type="venue", object_id=venue.pk,
                 detail={"before": before, "size": size, "declared": venue.size, "note": " ".join(note.split())[:300]})
    return venue


def venues_crowd_count(*, now: datetime | None = None, days: int = 1) -> int:
    """Daily: each venue's most people checked in at once over the last `days`, kept when above what it had
    (venues.policy.VenueSizeRules.crowded reads it). A sweep over check-ins and check-outs in SQL (window sums),
    leaving go before coming at the same minute. Returns the venues whose peak rose."""
    now = now or timezone.now()
    rules = checkin_rules(timezone.localdate(now))
    since, table = now - timedelta(days=days), connection.ops.quote_name(CheckIn._meta.db_table)
    sql = (f"SELECT venue_id, MAX(here) FROM (SELECT venue_id, SUM(step) OVER (PARTITION BY venue_id ORDER BY at, step "
           f"ROWS UNBOUNDED PRECEDING) AS here FROM (SELECT venue_id, checked_in_at AS at, 1 AS step FROM {table} "
           f"WHERE checked_in_at >= %s AND checked_in_at < %s UNION ALL SELECT venue_id, checked_out_at AS at, -1 "
           f"AS step FROM {table} WHERE checked_in_at >= %s AND checked_in_at < %s) steps) sums GROUP BY venue_id")
    low, high = db_datetime(since - rules.max_stay), db_datetime(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [low, high, low, high])
        peaks = cursor.fetchall()
    risen = 0
    for venue_id, peak in peaks:
        if peak and peak > 1:
            risen += Venue.objects.filter(pk=venue_id).filter(
                models.Q(crowd_peak__isnull=True) | models.Q(crowd_peak__lt=peak)).update(
                crowd_peak=peak, crowd_peak_at=now)
    return risen


# ---- people at the door -------------------------------------------------------------------------

def person_for_checkin(*, full_name: str, phone: str, commune: AdminUnit | int | str | None,
                       birth_year: int | str | None) -> Person:
    """A new person for a first-time check-in form (no log-in). Never an existing record, even one with this
    phone and name: anyone could type them, and the visit would then be added to that person's history. When the
    details match someone already registered, person_create's duplicate check puts the pair in the people
    review queue of the commune's station, which merges them or marks them as different people; meanwhile the
    new record is a person like any other for tracing (reached on the phone given), and the form shows nothing
    of the existing one."""
    errors: list[DomainError] = []
    try:
        number = phone_normalize(phone)
    except DomainError as exc:
        exc.field = "phone"
        errors.append(exc)
        number = ""
    if not fold(full_name):
        errors.append(DomainError(CommonErrorCode.INVALID, _("Enter the full name."), field="full_name"))
    if errors:
        raise ValidationFailed(errors)
    return person_create(by=system_actor("venues.anonymous_checkin"), full_name=full_name, phone=number,
                         commune=commune, birth_year=birth_year or None)


# ---- check-in and check-out ---------------------------------------------------------------------

def _check_time(at: datetime, *, now: datetime, rules: CheckInRules, field: str) -> None:
    if timezone.is_naive(at):
        raise DomainError(VenueErrorCode.TIME_INVALID, _("Give the time with its time zone."), field=field)
    if at > now + CLOCK_SKEW:
        raise DomainError(VenueErrorCode.TIME_FUTURE, _("The time is in the future."), field=field)
    if at < now - rules.horizon:
        raise DomainError(
            VenueErrorCode.TIME_TOO_OLD,
            _("The time is more than %(days)d days ago.") % {"days": rules.horizon_days}, field=field,
        )


@dataclass
class CheckInItem:
    """One visit to record: the person as a record or its id (already checked to exist)."""

    venue: Venue
    person: Person | UUID
    checked_in_at: datetime | None = None
    client_key: str = ""

    @property
    def person_id(self) -> UUID:
        return self.person.pk if isinstance(self.person, Person) else self.person


def checkin_create(
    *, venue: Venue, person: Person, source: str = CheckInSource.QR, checked_in_at: datetime | None = None,
    client_key: str = "", now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Record a visit; (check-in, created). A retry with the same client_key, or a second scan of the
    same venue within the dedupe window while the stay is open, returns the existing check-in."""
    result = checkins_record(items=[CheckInItem(venue=venue, person=person, checked_in_at=checked_in_at,
                                                client_key=client_key)], source=source, now=now)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def checkins_record(*, items: list[CheckInItem], source: str = CheckInSource.QR, now: datetime | None = None,
                    check_people: bool = False) -> list[tuple[CheckIn, bool] | DomainError]:
    """Record many visits at once (a gate scanner's batch, or one); for each item (check-in, created) or
    its DomainError, in order. Each item is validated on its own and is idempotent on its own (client_key,
    dedupe window, also against earlier items of the same batch). One query finds the retries and the
    open stays (check_people: and whether the people given by id exist, unmerged), one INSERT writes all
    the new check-ins."""
    now = now or timezone.now()
    results: list[Any] = [None] * len(items)
    valid: list[tuple[int, CheckInItem, datetime, str, CheckInRules]] = []
    rules_on: dict = {}
    for n, item in enumerate(items):
        at = item.checked_in_at or now
        day = timezone.localdate(at)
        rules = rules_on.get(day) or rules_on.setdefault(day, checkin_rules(day))
        client_key = (item.client_key or "").strip()
        try:
            _check_time(at, now=now, rules=rules, field="checked_in_at")
            if len(client_key) > 64 or (client_key and not client_key.isprintable()):
                raise DomainError(VenueErrorCode.CLIENT_KEY_INVALID, _("The client key has at most 64 characters."),
                                  field="client_key")
            if source not in CheckInSource.values:
                raise DomainError(CommonErrorCode.INVALID, _("Unknown source."), field="source")
        except DomainError as exc:
            results[n] = exc
            continue
        valid.append((n, item, at, client_key, rules))
    if not valid:
        return results
    by_key, stays, active = _checkins_near(valid, check_people=check_people)
    new: list[tuple[int, CheckIn]] = []
    for n, item, at, client_key, rules in valid:
        person_id = item.person_id
        if active is not None and person_id not in active:
            results[n] = NotFound(VenueErrorCode.PERSON_UNKNOWN, _("No such person."), field="person_id")
            continue
        existing = by_key.get((person_id, client_key)) if client_key else None
        if existing is None:
            existing = max((c for c in stays.get((person_id, item.venue.pk), ())
                            if at - rules.dedupe <= c.checked_in_at <= at + rules.dedupe and c.checked_out_at > at),
                           key=lambda c: c.checked_in_at, default=None)
        if existing is not None:
            results[n] = (existing, False)
            continue
        checkin = CheckIn(venue=item.venue, checked_in_at=at, source=source, client_key=client_key,
                          checked_out_at=at + timedelta(minutes=rules.stay_minutes(item.venue.kind)),
                          checkout_assumed=True)
        if isinstance(item.person, Person):
            checkin.person = item.person
        else:
            checkin.person_id = item.person
        results[n] = (checkin, True)
        new.append((n, checkin))
        # Later items of this batch are retries or second scans of this one.
        if client_key:
            by_key[(person_id, client_key)] = checkin
        stays.setdefault((person_id, item.venue.pk), []).append(checkin)
    if new:
        _checkins_insert(new, results)
    recorded = [result for result in results if isinstance(result, tuple)]
    if recorded:
        isolate = checkins_recorded_send(checkins=recorded)
        for checkin, _created in recorded:
            checkin.must_isolate = checkin.person_id in isolate
    return results


def _checkins_near(valid, *, check_people: bool = False) -> tuple[dict, dict, set | None]:
    """The stored check-ins the items could be retries (same person and client key) or second scans
    (same person and venue, an open stay within the dedupe window) of, and (check_people) which of the
    people exist, in one query."""
    people = {item.person_id for _n, item, *_rest in valid}
    keys = {key for _n, _item, _at, key, _rules in valid if key}
    low = min(at - rules.dedupe for _n, _item, at, _key, rules in valid)
    high = max(at + rules.dedupe for _n, _item, at, _key, rules in valid)
    venues = {item.venue.pk for _n, item, *_rest in valid}
    by_key: dict = {}
    stays: dict = {}
    found, active = sql.checkins_near(people=people, venues=venues, keys=keys, low=low, high=high,
                                      with_people=check_people)
    for checkin in found:
        if checkin.client_key:
            by_key[(checkin.person_id, checkin.client_key)] = checkin
        if checkin.checkout_assumed and low <= checkin.checked_in_at <= high:
            stays.setdefault((checkin.person_id, checkin.venue_id), []).append(checkin)
    return by_key, stays, active


def _checkins_insert(new: list[tuple[int, CheckIn]], results: list) -> None:
    rows = [checkin for _n, checkin in new]
    try:
        if len(rows) <= sql.INSERT_CHUNK and not connection.in_atomic_block:
            sql.checkins_insert(rows)  # one statement, atomic on its own: no BEGIN / COMMIT round trips
        else:
            with transaction.atomic():
                sql.checkins_insert(rows)
        return
    except IntegrityError:  # a retry of one of them arrived at the same time: one by one
        pass
    replaced: dict[int, CheckIn] = {}
    for _n, checkin in new:
        checkin.pk = None
        try:
            with transaction.atomic():
                checkin.save(force_insert=True)
        except IntegrityError:
            existing = (CheckIn.objects.filter(person_id=checkin.person_id, client_key=checkin.client_key).first()
                        if checkin.client_key else None)
            if existing is None:
                raise
            replaced[id(checkin)] = existing
    for n, result in enumerate(results):  # also the later items of the batch that were retries of it
        if isinstance(result, tuple) and id(result[0]) in replaced:
            results[n] = (replaced[id(result[0])], False)


@transaction.atomic(durable=True)
def checkin_checkout(*, checkin: CheckIn, checked_out_at: datetime | None = None, now: datetime | None = None) -> CheckIn:
    """The actual time of leaving: after the check-in, not in the future, at most the longest stay."""
    now = now or timezone.now()
    current = CheckIn.objects.select_for_update().filter(pk=checkin.pk).first()
    if current is None:
        raise NotFound(VenueErrorCode.CHECKIN_NOT_FOUND, _("No such check-in."))
    if not current.checkout_assumed:
        return current  # already checked out: a retry
    out = checked_out_at or now
    rules = checkin_rules(timezone.localdate(current.checked_in_at))
    _check_time(out, now=now, rules=rules, field="checked_out_at")
    if out <= current.checked_in_at:
        raise DomainError(VenueErrorCode.CHECKOUT_BEFORE, _("The check-out is not after the check-in."), field="checked_out_at")
    if out - current.checked_in_at > rules.max_stay:
        raise DomainError(
            VenueErrorCode.STAY_TOO_LONG,
            _("A stay of more than %(minutes)d minutes is not accepted; ask the venue to correct it.")
            % {"minutes": rules.max_stay_minutes}, field="checked_out_at",
        )
    current.checked_out_at = out
    current.checkout_assumed = False
    current.save(update_fields=["checked_out_at", "checkout_assumed"])
    return current


def checkins_delete_before(*, cutoff: datetime, batch: int = DELETE_BATCH) -> int:
    """Delete check-ins made before `cutoff` (the tracing horizon: lachan.workflows.retention), in batches so no
    transaction holds millions of rows."""
    # A logbook's people held for review are past the horizon once their file is: kept no longer than check-ins
    # (the decisions stay in the audit trail).
    LogbookVisitor.objects.filter(logbook__created_at__lt=cutoff).delete()
    total = 0
    while True:
        ids = list(CheckIn.objects.filter(checked_in_at__lt=cutoff).order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        total += CheckIn.objects.filter(pk__in=ids).delete()[0]
