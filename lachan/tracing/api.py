"""Tracing API: reports, call lists, interview contacts, proximity uploads (with consent)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lachan.cases.errors import CaseErrorCode
from lachan.cases.selectors import case_get
from lachan.core.dates import Instant
from lachan.core.errors import DomainError, NotFound
from lachan.core.pagination import page_of
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL
from lachan.people.access import people_in_scope

from . import selectors, services
from .errors import TracingErrorCode

router = Router(tags=["tracing"])


class ExposureOut(Schema):
    source: str
    grade: str
    start: datetime
    minutes: int | None
    distance_m: float | None
    small_room: bool
    ref: str
    text: str


class ContactOut(Schema):
    id: int
    person_id: UUID
    person_name: str = Field(..., alias="person.full_name")
    commune_code: str = Field(..., alias="commune.code")
    commune_label: str = Field(..., alias="commune.label", description=UNIT_LABEL)
    tier: int
    via_id: UUID | None
    exposed_at: datetime
    call_status: str
    index_case_code: str = Field(..., alias="index_case.code")


class ContactWithEvidence(ContactOut):
    exposures: list[ExposureOut]  # a related manager: django-ninja reads it as a list


class ReportOut(Schema):
    case_id: UUID
    case_code: str
    counts: dict
    policy_version: str
    contacts: list[ContactWithEvidence]


class ContactPage(Schema):
    items: list[ContactOut]
    page: int
    has_next: bool


class CallIn(Schema):
    status: str
    note: str = ""


class InterviewIn(Schema):
    person_id: UUID
    relationship: str
    last_contact_at: Instant
    minutes: int | None = None
    masked: bool = False
    notes: str = ""


class InterviewOut(Schema):
    id: UUID
    person_id: UUID
    relationship: str
    last_contact_at: datetime


class EncounterIn(Schema):
    other_id: str
    started_at: Instant
    duration_minutes: int
    distance_m: float


class ProximityIn(Schema):
    device_id: str
    consent: bool
    encounters: list[EncounterIn]


class ProximityOut(Schema):
    accepted: int


ERRORS = error_responses(TracingErrorCode, CaseErrorCode)  # its cases' checks answer cases' codes


@router.get("/cases/{case_id}", response={200: ReportOut, **ERRORS}, summary="Tracing report of a case")
def report(request, case_id: UUID):
    data = selectors.tracing_report(user=request.user, case_id=case_id)
    run = data["run"]
    return {"case_id": data["case"].pk, "case_code": data["case"].code, "counts": run.counts if run else {},
            "policy_version": run.policy_version if run else "", "contacts": data["contacts"]}


@router.get("/calls", response={200: ContactPage, **ERRORS}, summary="Contacts to call in your jurisdiction")
def calls(request, status: str = "", tier: int | None = None, page: int = 1):
    result = page_of(selectors.call_list(user=request.user, status=status, tier=tier), page=page, size=100)
    selectors.contacts_audited(user=request.user, contacts=result.items)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/calls/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Record a call result")
def call_mark(request, contact_id: int, payload: CallIn):
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    return services.contact_mark_call(contact=contact, status=payload.status, note=payload.note, by=request.user)


@router.post("/cases/{case_id}/interview", response={201: InterviewOut, **ERRORS},
             summary="Add a contact named in the case's interview (trace again to grade it)")
def interview_add(request, case_id: UUID, payload: InterviewIn):
    case = case_get(user=request.user, case_id=case_id, audit=False)
    person = people_in_scope(request.user).filter(pk=payload.person_id).first()
    if person is None:
        raise NotFound(TracingErrorCode.INTERVIEW_PERSON, _("Person not found."), field="person_id")
    item = services.interview_contact_add(case=case, person=person, relationship=payload.relationship,
                                          last_contact_at=payload.last_contact_at, minutes=payload.minutes,
                                          masked=payload.masked, notes=payload.notes, by=request.user)
    return Status(201, item)


@router.post("/proximity", response={201: ProximityOut, **ERRORS},
             summary="Upload a phone's proximity log (citizen, with consent)")
def proximity(request, payload: ProximityIn):
    person = getattr(request.user, "person", None) if request.user.is_authenticated else None
    if person is None:
        raise DomainError(TracingErrorCode.PROXIMITY_DEVICE,
                          _("Only a citizen account linked to a person record can upload proximity logs."))
    accepted = services.proximity_upload(anonymous_id=payload.device_id, person=person, consent=payload.consent,
                                         encounters=[e.dict() for e in payload.encounters], by=request.user)
    return Status(201, {"accepted": accepted})
