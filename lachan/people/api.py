"""People API: the same selectors and services as the pages, the same jurisdiction rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lachan.core.dates import Day
from lachan.core.errors import NotFound
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL

from . import selectors, services
from .errors import PeopleErrorCode

router = Router(tags=["people"])


class PersonOut(Schema):
    id: UUID
    full_name: str
    birth_date: date | None
    birth_year: int | None
    sex: str
    national_id: str
    phone: str
    phone_alt: str
    commune_code: str = Field(..., alias="commune.code")
    commune_name: str = Field(..., alias="commune.name")
    commune_label: str = Field(..., alias="commune.label", description=UNIT_LABEL)
    address_line: str
    household_id: UUID | None
    occupation: str
    created_at: datetime


class PersonPage(Schema):
    items: list[PersonOut]
    page: int
    page_size: int
    has_next: bool


class PersonIn(Schema):
    full_name: str
    sex: Literal["M", "F", "U"] = "U"
    birth_date: Day | None = None
    birth_year: int | None = None
    national_id: str = ""
    phone: str = ""
    phone_alt: str = ""
    commune: str  # official code of the commune, e.g. "28435"
    address_line: str = ""
    household_id: UUID | None = None
    occupation: str = ""


class PersonPatch(Schema):
    full_name: str | None = None
    sex: Literal["M", "F", "U"] | None = None
    birth_date: Day | None = None
    birth_year: int | None = None
    national_id: str | None = None
    phone: str | None = None
    phone_alt: str | None = None
    commune: str | None = None
    address_line: str | None = None
    household_id: UUID | None = None
    occupation: str | None = None


class DuplicateOut(Schema):
    id: int
    reason: str
    score: float
    status: str
    found_at: datetime
    person_a: PersonOut
    person_b: PersonOut


class DuplicatePage(Schema):
    items: list[DuplicateOut]
    page: int
    has_next: bool


class MergeIn(Schema):
    keep: UUID


class MergeOut(Schema):
    kept_id: UUID
    merged_id: UUID
    moved: dict


class DismissOut(Schema):
    id: int
    status: str


ERRORS = error_responses(PeopleErrorCode)


@router.get("/", response={200: PersonPage, **ERRORS}, summary="Search and list people in your jurisdiction")
def list_people(
    request, query: str = "", commune: str = "", sex: Literal["M", "F", "U"] | None = None,
    birth_year_from: int | None = None, birth_year_to: int | None = None, page: int = 1, page_size: int = 50,
):
    commune_id = None
    if commune:
        unit = selectors.communes_in_scope(user=request.user).filter(code=commune).first()
        commune_id = unit.pk if unit else -1  # a commune outside the jurisdiction lists nobody
    queryset = selectors.person_list(
        user=request.user, query=query, commune=commune_id, sex=sex,
        birth_year_from=birth_year_from, birth_year_to=birth_year_to,
    )
    result = selectors.page_of(queryset, page=page, size=page_size)
    return {"items": result.items, "page": result.number, "page_size": result.size, "has_next": result.has_next}


@router.get("/me", response={200: PersonOut, **ERRORS}, summary="The caller's own record (citizens)")
def my_record(request):
    person = selectors.person_mine(user=request.user)
    if person is None:
        raise NotFound(PeopleErrorCode.NOT_FOUND, _("Your account is not linked to a person record."))
    return person


@router.get("/duplicates/", response={200: DuplicatePage, **ERRORS}, summary="Likely duplicates to review")
def list_duplicates(request, page: int = 1):
    result = selectors.page_of(selectors.duplicate_list(user=request.user), page=page, size=50)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/duplicates/{candidate_id}/merge", response={200: MergeOut, **ERRORS}, summary="Merge a duplicate pair")
def merge_duplicate(request, candidate_id: int, payload: MergeIn):
    record = services.duplicate_merge(candidate=candidate_id, keep_id=payload.keep, by=request.user)
    return {"kept_id": record.kept_id, "merged_id": record.merged_id, "moved": record.moved}


@router.post("/duplicates/{candidate_id}/dismiss", response={200: DismissOut, **ERRORS}, summary="Not the same person")
def dismiss_duplicate(request, candidate_id: int):
    cand = services.duplicate_dismiss(candidate=candidate_id, by=request.user)
    return {"id": cand.pk, "status": cand.status}


@router.get("/{person_id}", response={200: PersonOut, **ERRORS}, summary="One person")
def get_person(request, person_id: UUID):
    return selectors.person_get(user=request.user, person_id=person_id)


@router.post("/", response={201: PersonOut, **ERRORS}, summary="Register a person")
def create_person(request, payload: PersonIn):
    data = payload.dict()
    data["household"] = data.pop("household_id")
    person = services.person_create(by=request.user, **data)
    return Status(201, person)


@router.patch("/{person_id}", response={200: PersonOut, **ERRORS}, summary="Change a person's record")
def update_person(request, person_id: UUID, payload: PersonPatch):
    person = selectors.person_get(user=request.user, person_id=person_id, audit=False)
    changes = payload.dict(exclude_unset=True)
    if "household_id" in changes:
        changes["household"] = changes.pop("household_id")
    services.person_update(person=person, by=request.user, **changes)
    return selectors.person_get(user=request.user, person_id=person_id, audit=False)
