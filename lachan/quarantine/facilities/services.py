"""Writes for the facilities quarantine and isolation orders use, and their rooms; the occupancy of a room.

A place in a facility is a bed of one of its rooms: a room takes as many people at once as it has beds, on every
day of their stay (`stay_of`, `peak`). The orders themselves are lachan.quarantine.orders'."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.parsers import text_field, uuid_or_none
from lachan.core.updates import model_update
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind

from ..access import commune_in_jurisdiction, facility_scope_q, require_perm
from ..errors import QuarantineErrorCode as Code
from ..models import Facility, FacilityRoom, Order, OrderStatus

ACTIVE = OrderStatus.ACTIVE


# ---- small parsers (orders use them too) -----------------------------------------------------------

def coordinates_clean(latitude, longitude) -> tuple[float | None, float | None]:
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


def unit_get(value) -> AdminUnit | None:
    """A unit of the deployment's tree: the unit, its pk or its official code."""
    if isinstance(value, AdminUnit):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, pk=value).first()
    if isinstance(value, str) and value.strip():
        return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=value.strip()).first()
    return None


def commune_clean(value, *, by, field: str = "commune") -> AdminUnit:
    unit = unit_get(value)
    if unit is None or unit.level != AdminLevel.COMMUNE:
        raise DomainError(Code.ORDER_INVALID, _("Choose a commune."), field=field)
    if not commune_in_jurisdiction(by, unit):
        raise DomainError(Code.ORDER_INVALID, _("%(unit)s is outside your jurisdiction.") % {"unit": unit.label},
                          field=field)
    return unit


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


def room_stays(room_ids: Iterable, *, exclude: Iterable = ()) -> dict[Any, list[tuple[date, date]]]:
    """The stays of the orders in force in these rooms."""
    stays: dict[Any, list[tuple[date, date]]] = defaultdict(list)
    rows = (Order.objects.filter(room_id__in=list(room_ids), status=ACTIVE).exclude(pk__in=list(exclude))
            .values_list("room_id", "starts_on", "ends_on", "home_from"))
    for room_id, starts_on, ends_on, home_from in rows:
        stays[room_id].append(stay_of(starts_on, ends_on, home_from))
    return stays


def room_full_error(room: FacilityRoom, *, start: date, end: date) -> DomainError:
    return DomainError(Code.ROOM_FULL,
                       _("Room %(room)s of %(facility)s has no free bed from %(start)s to %(end)s (%(beds)d beds).")
                       % {"room": room.name, "facility": room.facility.place.name, "start": start.strftime("%d/%m/%Y"),
                          "end": end.strftime("%d/%m/%Y"), "beds": room.beds}, field="room")


def room_check(room: FacilityRoom, *, start: date, end: date, exclude: Order | None = None) -> None:
    """A bed of this room free on every day from start to end (the room locked), else ROOM_FULL."""
    room = FacilityRoom.objects.select_for_update().select_related("facility__place").get(pk=room.pk)
    stays = room_stays([room.pk], exclude=[exclude.pk] if exclude else [])
    if peak(stays[room.pk], start, end) >= room.beds:
        raise room_full_error(room, start=start, end=end)


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
    unit = commune_clean(commune, by=by)
    latitude, longitude = coordinates_clean(latitude, longitude)
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
        lat, lon = coordinates_clean(changes.get("latitude", place.latitude), changes.get("longitude", place.longitude))
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
            stays = room_stays([current.pk])[current.pk]
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
