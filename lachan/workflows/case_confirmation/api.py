"""Workflow API: confirm a case and trace it in one call."""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from lachan.cases.errors import CaseErrorCode
from lachan.cases.selectors import case_get
from lachan.core.dates import Day, Instant
from lachan.core.errors import NotFound
from lachan.core.schemas import error_responses
from lachan.notifications.errors import NotificationError
from lachan.people.access import people_in_scope
from lachan.tracing.errors import TracingErrorCode

from .services import case_confirm_and_trace, case_retrace

router = Router(tags=["cases"])


class ConfirmIn(Schema):
    person_id: UUID
    onset_date: Day | None = None
    sample_date: Day
    origin: str = "community"
    confirmed_at: Instant | None = None
    notes: str = ""


class ConfirmOut(Schema):
    case_id: UUID
    code: str
    counts: dict
    notified: int


ERRORS = error_responses(CaseErrorCode, TracingErrorCode, NotificationError)  # confirmed, traced, contacts told


def _out(result):
    return {"case_id": result.case.pk, "code": result.case.code, "counts": result.run.counts,
            "notified": result.notified}


@router.post("/cases", response={201: ConfirmOut, **ERRORS}, summary="Confirm a case (F0) and trace its contacts")
def confirm(request, payload: ConfirmIn):
    person = people_in_scope(request.user).filter(pk=payload.person_id).first()
    if person is None:
        raise NotFound(CaseErrorCode.PERSON_NOT_FOUND, _("Person not found."), field="person_id")
    result = case_confirm_and_trace(person=person, onset_date=payload.onset_date, sample_date=payload.sample_date,
                                    origin=payload.origin, confirmed_at=payload.confirmed_at, notes=payload.notes,
                                    by=request.user)
    return Status(201, _out(result))


@router.post("/cases/{case_id}/retrace", response={200: ConfirmOut, **ERRORS}, summary="Trace a case again")
def retrace(request, case_id: UUID):
    return _out(case_retrace(case=case_get(user=request.user, case_id=case_id, audit=False), by=request.user))
