"""Quarantine API across domains (mounted under /api/quarantine): a case's F1s quarantined at once, a case's
isolation order, and the tests due (the laboratory's sampling tasks)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ninja import Field, Router, Schema, Status

from lachan.cases.errors import CaseErrorCode
from lachan.cases.selectors import case_get
from lachan.core.dates import Day
from lachan.core.pagination import page_of
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL
from lachan.quarantine.errors import QuarantineErrorCode
from lachan.quarantine.facilities import unit_get
from lachan.quarantine.models import Immunity, Setting
from lachan.quarantine.orders.api import BatchOut, OrderDetailOut

from .services import (
    case_contacts_plan,
    case_contacts_quarantine,
    case_isolate,
    tests_audited,
    tests_due,
)

router = Router(tags=["quarantine"])
ERRORS = error_responses(QuarantineErrorCode, CaseErrorCode)  # the case read and its status moved


class PlanOut(Schema):
    case_code: str
    starts_on: date
    policy_version: str
    no_quarantine: bool = Field(..., description="the policy in force quarantines no contacts")
    f1: int
    to_order: int
    in_order: int
    cases: int
    over: int = Field(..., description="their days counted from the exposure are already past")
    outside: int = Field(..., description="living outside your jurisdiction")


def _plan_out(plan) -> dict:
    return {"case_code": plan.case.code, "starts_on": plan.starts_on, "policy_version": plan.policy_version,
            "no_quarantine": plan.no_quarantine, "f1": plan.f1, "to_order": len(plan.to_order),
            "in_order": len(plan.in_order), "cases": len(plan.cases), "over": len(plan.over), "outside": plan.outside}


class ContactsIn(Schema):
    starts_on: Day | None = Field(None, description="empty: today")


class ContactsOut(BatchOut):
    plan: PlanOut
    marked: int = Field(..., description="contacts marked quarantined on the call list")


@router.get("/cases/{uuid:case_id}/contacts", response={200: PlanOut, **ERRORS},
            summary="What quarantining a case's F1s would do")
def contacts_preview(request, case_id: UUID, starts_on: Day | None = None):
    case = case_get(user=request.user, case_id=case_id, audit=False)
    return _plan_out(case_contacts_plan(case=case, user=request.user, starts_on=starts_on))


@router.post("/cases/{uuid:case_id}/contacts", response={200: ContactsOut, **ERRORS},
             summary="Quarantine a case's F1s at once")
def contacts_quarantine(request, case_id: UUID, payload: ContactsIn):
    """Orders at home for the F1s who need one (all or none); those already in an order are skipped and listed."""
    case = case_get(user=request.user, case_id=case_id, audit=False)
    done = case_contacts_quarantine(case=case, by=request.user, starts_on=payload.starts_on, tell=True,
                                    base_url=request.build_absolute_uri("/"))
    return {"created": done.result.created, "skipped": done.result.skipped, "plan": _plan_out(done.plan),
            "marked": done.marked}


class IsolateIn(Schema):
    setting: str = Field(Setting.HOME, description="One of: " + ", ".join(Setting.values))
    facility: UUID | None = None
    room: UUID | None = None
    starts_on: Day | None = Field(None, description="empty: the day the case was isolated")
    immunity: str = Field(Immunity.UNKNOWN, description="One of: " + ", ".join(Immunity.values))
    address: str = Field("", max_length=300)


@router.post("/cases/{uuid:case_id}/isolate", response={201: OrderDetailOut, **ERRORS},
             summary="A case's isolation order")
def isolate(request, case_id: UUID, payload: IsolateIn):
    """A quarantine order in force for the person ends the day before; the case's status follows the setting."""
    case = case_get(user=request.user, case_id=case_id, audit=False)
    return Status(201, case_isolate(case=case, by=request.user, tell=True, base_url=request.build_absolute_uri("/"),
                                     **payload.dict()))


class TestDueOut(Schema):
    order_id: UUID
    order_code: str = Field(..., alias="order.code")
    person_id: UUID = Field(..., alias="order.person_id")
    person_name: str = Field(..., alias="order.person.full_name")
    phone: str = Field(..., alias="order.person.phone")
    commune_code: str = Field(..., alias="order.commune.code")
    commune_label: str = Field(..., alias="order.commune.label", description=UNIT_LABEL)
    setting: str = Field(..., alias="order.setting")
    address: str = Field(..., alias="order.address")
    day: int
    due_on: date
    status: str


class TestsDuePage(Schema):
    items: list[TestDueOut]
    page: int
    has_next: bool


@router.get("/tests-due", response={200: TestsDuePage, **ERRORS},
            summary="Required tests due on a day (and overdue): whom to swab")
def list_tests_due(request, on: Day | None = None, commune: str = "", overdue: bool = True, page: int = 1):
    unit = unit_get(commune[:10]) if commune else None
    queryset = tests_due(user=request.user, on=on, overdue=overdue,
                         commune_id=(unit.pk if unit else -1) if commune else None)
    result = page_of(queryset, page=page, size=100)
    tests_audited(user=request.user, tests=result.items)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}
