"""Venues API: registration, and check-in / check-out for the citizen app and scanner devices."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from lachan.core.errors import DomainError, NotFound
from lachan.people.models import Person

from . import selectors, services
from .errors import VenueErrorCode
from .models import CheckIn, CheckInSource, Venue
from .qr import qr_path, qr_verify

router = Router(tags=["venues"])


class VenueOut(Schema):
    id: UUID
    name: str
    kind: str
    size: str
    capacity: int | None
    address: str
    commune_code: str
    commune_name: str
    qr_path: str

    @staticmethod
    def resolve_name(obj: Venue) -> str:
        return obj.place.name

    @staticmethod
    def resolve_address(obj: Venue) -> str:
        return obj.place.address

    @staticmethod
    def resolve_commune_code(obj: Venue) -> str:
        return obj.place.commune.code

    @staticmethod
    def resolve_commune_name(obj: Venue) -> str:
        return obj.place.commune.name

    @staticmethod
    def resolve_qr_path(obj: Venue) -> str:
        return qr_path(obj)


class VenueIn(Schema):
    name: str
    kind: str
    size: str
    address: str = ""
    commune: str
    capacity: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""


class CheckInIn(Schema):
    qr: str = ""  # the scanned URL or "<code>.<signature>"
    code: str = ""
    signature: str = ""
    person_id: UUID | None = None  # for venue devices; a citizen's token checks in its own person
    client_key: str = ""
    checked_in_at: datetime | None = None


class CheckOutIn(Schema):
    checked_out_at: datetime | None = None


class CheckInOut(Schema):
    id: int
    venue_id: UUID
    person_id: UUID
    checked_in_at: datetime
    checked_out_at: datetime
    checkout_assumed: bool
    source: str
    created: bool = False


@router.get("/", response=list[VenueOut])
def venues(request, q: str = "", limit: int = 100):
    return list(selectors.venue_list(user=request.auth, query=q)[: max(1, min(limit, 500))])


@router.post("/", response={201: VenueOut})
def venue_register(request, payload: VenueIn):
    venue = services.venue_register(by=request.auth, **payload.dict())
    return Status(201, selectors.venue_get(user=None, venue_id=venue.pk))


@router.get("/{uuid:venue_id}", response=VenueOut)
def venue(request, venue_id: UUID):
    return selectors.venue_get(user=request.auth, venue_id=venue_id)


def _person_for(user, person_id: UUID | None, venue: Venue) -> Person:
    """A citizen checks themself in; a venue's device or staff checks in a given person at their venue."""
    if getattr(user, "is_citizen", False):
        person = Person.objects.active().filter(account=user).first()
        if person is None or (person_id and person_id != person.pk):
            raise NotFound(VenueErrorCode.PERSON_UNKNOWN, _("Your account is not linked to a person record yet."),
                           field="person_id")
        return person
    if person_id is None:
        raise DomainError(VenueErrorCode.PERSON_UNKNOWN, _("Give the person who checks in."), field="person_id")
    if not selectors.venues_in_scope(user).filter(pk=venue.pk).exists():
        raise NotFound(VenueErrorCode.NOT_FOUND, _("No such venue."), field="qr")
    person = Person.objects.active().filter(pk=person_id).first()
    if person is None:
        raise NotFound(VenueErrorCode.PERSON_UNKNOWN, _("No such person."), field="person_id")
    return person


def _out(checkin: CheckIn, created: bool = False) -> dict:
    return {**{f: getattr(checkin, f) for f in ("id", "venue_id", "person_id", "checked_in_at", "checked_out_at",
                                                 "checkout_assumed", "source")}, "created": created}


@router.post("/checkins", response={200: CheckInOut, 201: CheckInOut})
def checkin(request, payload: CheckInIn):
    """Check in at the venue of a scanned QR. Idempotent: the same client_key, or a second scan within
    the dedupe window, answers 200 with the existing check-in; a new one answers 201."""
    token = payload.qr or (f"{payload.code}.{payload.signature}" if payload.code or payload.signature else "")
    venue = qr_verify(token)
    user = request.auth
    person = _person_for(user, payload.person_id, venue)
    source = CheckInSource.QR if getattr(user, "is_citizen", False) else CheckInSource.API
    checkin, created = services.checkin_create(venue=venue, person=person, source=source,
                                               client_key=payload.client_key, checked_in_at=payload.checked_in_at)
    return Status(201 if created else 200, _out(checkin, created))


@router.post("/checkins/{checkin_id}/checkout", response=CheckInOut)
def checkout(request, checkin_id: int, payload: CheckOutIn | None = None):
    user = request.auth
    checkin = CheckIn.objects.select_related("venue").filter(pk=checkin_id).first() if 0 < checkin_id < 2**63 else None
    allowed = checkin is not None and (
        Person.objects.filter(pk=checkin.person_id, account=user).exists() if getattr(user, "is_citizen", False)
        else selectors.venues_in_scope(user).filter(pk=checkin.venue_id).exists()
    )
    if not allowed:
        raise NotFound(VenueErrorCode.CHECKIN_NOT_FOUND, _("No such check-in."))
    return _out(services.checkin_checkout(checkin=checkin, checked_out_at=payload.checked_out_at if payload else None))
