"""Venues API: registration, and check-in / check-out for the citizen app and scanner devices."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel

from lachan.accounts.actors import system_actor
from lachan.core.dates import Instant
from lachan.core.errors import DomainError, NotFound
from lachan.geo.api import UNIT_LABEL
from lachan.people.models import Person

from . import selectors, services
from .errors import VenueErrorCode
from .models import CheckIn, CheckInSource, Venue
from .policy import venue_size_rules_on
from .qr import qr_path, qr_verify_many
from .sql import person_of_account

router = Router(tags=["venues"])


class VenueOut(Schema):
    id: UUID
    name: str = Field(..., alias="place.name")
    kind: str
    size: str
    capacity: int | None
    area_m2: int | None
    traced_size: str
    size_confirmed: str
    address: str = Field(..., alias="place.address")
    commune_code: str = Field(..., alias="place.commune.code")
    commune_name: str = Field(..., alias="place.commune.name")
    commune_label: str = Field(..., alias="place.commune.label", description=UNIT_LABEL)
    qr_path: str


    @staticmethod
    def resolve_qr_path(obj: Venue) -> str:
        return qr_path(obj)

    @staticmethod
    def resolve_traced_size(obj: Venue) -> str:
        """What tracing uses: the station's confirmed size, else the one the tracing policy derives."""
        return venue_size_rules_on().of(obj)


class VenueIn(Schema):
    name: str
    kind: str
    size: str
    address: str = ""
    commune: str
    capacity: int | None = None
    area_m2: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""


# The check-in schemas are plain pydantic models: ninja's Schema wraps every object it validates in a
# getter for ORM attributes, which cost a third of a 100-check-in batch's CPU; these only see JSON and dicts.

class CheckInIn(BaseModel):
    qr: str = ""  # the scanned URL or "<code>.<signature>"
    code: str = ""
    signature: str = ""
    person_id: UUID | None = None  # for venue devices; a citizen's token checks in its own person
    client_key: str = ""
    checked_in_at: Instant | None = None


MAX_BATCH = 500


class CheckInBatchIn(BaseModel):
    checkins: list[CheckInIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class CheckOutIn(Schema):
    checked_out_at: Instant | None = None


class CheckInOut(BaseModel):
    id: int
    venue_id: UUID
    person_id: UUID
    checked_in_at: datetime
    checked_out_at: datetime
    checkout_assumed: bool
    source: str
    created: bool = False
    # A confirmed case still to isolate: the check-in is recorded, the station alerted, the person sent home.
    must_isolate: bool = False
    advice: str = ""


class CheckInError(BaseModel):
    code: str
    message: str
    field: str | None = None


class CheckInResult(BaseModel):
    status: int
    checkin: CheckInOut | None = None
    error: CheckInError | None = None


class CheckInBatchOut(BaseModel):
    created: int
    existing: int
    failed: int
    results: list[CheckInResult]


@router.get("/", response=list[VenueOut])
def venues(request, q: str = "", limit: int = 100):
    return list(selectors.venue_list(user=request.auth, query=q)[: max(1, min(limit, 500))])


@router.post("/", response={201: VenueOut})
def venue_register(request, payload: VenueIn):
    venue = services.venue_register(by=request.auth, **payload.dict())
    # The venue just registered by this caller, read back whole (an owner is bound to no place yet).
    return Status(201, selectors.venue_get(user=system_actor("venues.register_answer"), venue_id=venue.pk))


@router.get("/{uuid:venue_id}", response=VenueOut)
def venue(request, venue_id: UUID):
    return selectors.venue_get(user=request.auth, venue_id=venue_id)


def _checkins(user, payloads: list[CheckInIn]) -> list[tuple[CheckIn, bool] | DomainError]:
    """Record check-ins for the caller; for each (check-in, created) or its error. A citizen checks
    themself in; a venue's device or staff checks in given people at venues in their scope. Every
    venue, every person and every earlier check-in needed is read with one query for all."""
    citizen = getattr(user, "is_citizen", False)
    own = None
    tokens = [p.qr or (f"{p.code}.{p.signature}" if p.code or p.signature else "") for p in payloads]
    venues = qr_verify_many(tokens)
    results: list = [None] * len(payloads)
    scoped: dict = {}
    todo = []
    for n, (payload, token) in enumerate(zip(payloads, tokens, strict=True)):
        venue = venues[token]
        try:
            if isinstance(venue, DomainError):
                raise venue
            if not citizen:
                if payload.person_id is None:
                    raise DomainError(VenueErrorCode.PERSON_UNKNOWN, _("Give the person who checks in."),
                                      field="person_id")
                if not scoped.setdefault(venue.pk, selectors.venue_in_scope(user, venue)):
                    raise NotFound(VenueErrorCode.NOT_FOUND, _("No such venue."), field="qr")
        except DomainError as exc:
            results[n] = exc
            continue
        todo.append((n, payload, venue))
    if citizen and todo:
        own = person_of_account(user.pk)
    items, where = [], []
    for n, payload, venue in todo:
        if citizen and (own is None or (payload.person_id and payload.person_id != own.pk)):
            results[n] = NotFound(VenueErrorCode.PERSON_UNKNOWN, _("Your account is not linked to a person record yet."),
                                  field="person_id")
        else:  # a person given by id is looked up with the earlier check-ins (checkins_record, check_people)
            items.append(services.CheckInItem(venue=venue, person=own if citizen else payload.person_id,
                                              checked_in_at=payload.checked_in_at, client_key=payload.client_key))
            where.append(n)
    if items:
        source = CheckInSource.QR if citizen else CheckInSource.API
        recorded = services.checkins_record(items=items, source=source, check_people=not citizen)
        for n, result in zip(where, recorded, strict=True):
            results[n] = result
    return results


def _out(checkin: CheckIn, created: bool = False) -> dict:
    return {**{f: getattr(checkin, f) for f in ("id", "venue_id", "person_id", "checked_in_at", "checked_out_at",
                                                 "checkout_assumed", "source")}, "created": created,
            "must_isolate": checkin.must_isolate, "advice": str(services.ISOLATE_ADVICE) if checkin.must_isolate else ""}


def checkin_answer(user, payload: CheckInIn) -> tuple[int, dict]:
    """(status, answer) of one check-in; DomainError for a refused one. Also answered by
    lachan.venues.checkin_fast_path, in front of Django, for bearer tokens."""
    result = _checkins(user, [payload])[0]
    if isinstance(result, DomainError):
        raise result
    checkin, created = result
    return 201 if created else 200, _out(checkin, created)


def batch_answer(user, payload: CheckInBatchIn) -> tuple[int, dict]:
    answers, counts = [], {"created": 0, "existing": 0, "failed": 0}
    for result in _checkins(user, payload.checkins):
        if isinstance(result, DomainError):
            counts["failed"] += 1
            answers.append({"status": result.status, "checkin": None, "error": result.as_dict()})
        else:
            checkin, created = result
            counts["created" if created else "existing"] += 1
            answers.append({"status": 201 if created else 200, "checkin": _out(checkin, created), "error": None})
    return 200, CheckInBatchOut.model_validate({**counts, "results": answers}).model_dump()


@router.post("/checkins", response={200: CheckInOut, 201: CheckInOut})
def checkin(request, payload: CheckInIn):
    """Check in at the venue of a scanned QR. Idempotent: the same client_key, or a second scan within
    the dedupe window, answers 200 with the existing check-in; a new one answers 201."""
    return Status(*checkin_answer(request.auth, payload))


@router.post("/checkins/batch", response=CheckInBatchOut)
def checkin_batch(request, payload: CheckInBatchIn):
    """Up to 500 check-ins at once, as a gate scanner sends what it has scanned. Each item is checked
    and answered on its own, in order: status 201 (recorded), 200 (a retry or a second scan: the
    existing check-in) or the error's status with its error; a failed item saves nothing and does not
    stop the others. Retrying the whole batch with the same client keys is safe."""
    return batch_answer(request.auth, payload)[1]


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
