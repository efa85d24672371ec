"""Cases API (reads and status). Confirming a case traces it: POST /api/workflows/cases (lachan.workflows)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Router, Schema

from lachan.core.pagination import page_of

from . import selectors, services
from .models import Case

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: UUID
    code: str
    person_id: UUID
    person_name: str
    commune_code: str
    confirmed_at: datetime
    onset_date: date | None
    sample_date: date
    origin: str
    status: str
    status_since: datetime
    infectious_from: date
    isolated_at: datetime
    cluster_id: UUID | None

    @staticmethod
    def resolve_person_name(obj: Case) -> str:
        return obj.person.full_name

    @staticmethod
    def resolve_commune_code(obj: Case) -> str:
        return obj.person.commune.code


class CasePage(Schema):
    items: list[CaseOut]
    page: int
    has_next: bool


class StatusIn(Schema):
    status: str
    since: datetime | None = None
    note: str = ""


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/", response={200: CasePage, **ERRORS}, summary="Cases in your jurisdiction")
def list_cases(request, query: str = "", status: str = "", origin: str = "", page: int = 1):
    result = page_of(selectors.case_list(user=request.user, query=query, status=status, origin=origin), page=page)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.get("/{case_id}", response={200: CaseOut, **ERRORS}, summary="One case")
def get_case(request, case_id: UUID):
    return selectors.case_get(user=request.user, case_id=case_id)


@router.post("/{case_id}/status", response={200: CaseOut, **ERRORS}, summary="Move a case to a new status")
def set_status(request, case_id: UUID, payload: StatusIn):
    case = selectors.case_get(user=request.user, case_id=case_id, audit=False)
    return services.case_set_status(case=case, status=payload.status, since=payload.since, note=payload.note,
                                    by=request.user)
