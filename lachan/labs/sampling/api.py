"""Laboratory API: sampling campaigns and sites, samples (one, or a batch from a scanner app), tube codes,
and the laboratory's side (receiving, rejecting, the queue). Results: results_api.py (added to `router`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Router, Schema, Status

from lachan.core.dates import Day, Instant
from lachan.core.errors import DomainError
from lachan.core.pagination import page_of
from lachan.core.schemas import ErrorOut, error_responses
from lachan.geo.api import UNIT_LABEL

from ..errors import LabErrorCode
from ..models import Campaign, CampaignKind, Sample, Swab, SwabReason, TestType
from . import registering, selectors, services

router = Router(tags=["labs"])

MAX_BATCH = 200


ERRORS = error_responses(LabErrorCode)


# ---- campaigns and sites -------------------------------------------------------------------------------

class CampaignOut(Schema):
    id: UUID
    name: str
    kind: str
    unit_code: str = Field(..., alias="unit.code")
    unit_name: str = Field(..., alias="unit.name")
    unit_label: str = Field(..., alias="unit.label", description=UNIT_LABEL)
    starts_on: date
    ends_on: date | None
    test_type: str
    pool_size: int  # 1: individual samples
    laboratory_id: UUID | None
    laboratory_name: str | None
    current_round: int
    notes: str

    @staticmethod
    def resolve_laboratory_name(obj: Campaign) -> str | None:
        return obj.laboratory.place.name if obj.laboratory_id else None


class CampaignPage(Schema):
    items: list[CampaignOut]
    page: int
    has_next: bool


KIND_HELP = "One of: " + ", ".join(CampaignKind.values)
TEST_HELP = "One of: " + ", ".join(TestType.values)


class CampaignIn(Schema):
    name: str
    kind: str = Field(..., description=KIND_HELP)
    unit: str = Field(..., description="Official code of the area (province, district or commune)")
    starts_on: Day
    ends_on: Day | None = None
    test_type: str = Field(TestType.RT_PCR, description=TEST_HELP)
    pool_size: int = Field(1, description="1 for individual samples, else within the labs policy (2–10)")
    laboratory: UUID | None = None
    notes: str = ""


class CampaignPatch(Schema):
    name: str | None = None
    kind: str | None = Field(None, description=KIND_HELP)
    unit: str | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    test_type: str | None = Field(None, description=TEST_HELP)
    pool_size: int | None = None
    laboratory: UUID | None = None
    notes: str | None = None


class SiteOut(Schema):
    id: UUID
    campaign_id: UUID
    name: str
    commune_code: str = Field(..., alias="commune.code")
    commune_name: str = Field(..., alias="commune.name")
    commune_label: str = Field(..., alias="commune.label", description=UNIT_LABEL)
    address: str
    place_id: UUID | None


class SiteIn(Schema):
    name: str
    commune: str = Field(..., description="Official code of the commune")
    address: str = ""
    place: UUID | None = None


class SitePatch(Schema):
    name: str | None = None
    commune: str | None = None
    address: str | None = None
    place: UUID | None = None


@router.get("/campaigns", response={200: CampaignPage, **ERRORS}, summary="Sampling campaigns you see")
def list_campaigns(request, query: str = "", kind: str = "", status: Literal["running", "ended"] | None = None,
                   page: int = 1):
    result = page_of(selectors.campaign_list(user=request.user, query=query, kind=kind, status=status or ""),
                     page=page)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, summary="Plan a sampling campaign")
def create_campaign(request, payload: CampaignIn):
    campaign = services.campaign_create(by=request.user, **payload.dict())
    return Status(201, selectors.campaign_get(user=request.user, campaign_id=campaign.pk))


@router.get("/campaigns/{uuid:campaign_id}", response={200: CampaignOut, **ERRORS}, summary="One campaign")
def get_campaign(request, campaign_id: UUID):
    return selectors.campaign_get(user=request.user, campaign_id=campaign_id)


@router.patch("/campaigns/{uuid:campaign_id}", response={200: CampaignOut, **ERRORS}, summary="Change a campaign")
def update_campaign(request, campaign_id: UUID, payload: CampaignPatch):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    services.campaign_update(campaign=campaign, by=request.user, **payload.dict(exclude_unset=True))
    return selectors.campaign_get(user=request.user, campaign_id=campaign_id)


@router.post("/campaigns/{uuid:campaign_id}/next-round", response={200: CampaignOut, **ERRORS},
             summary="Start the campaign's next round")
def next_round(request, campaign_id: UUID):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    services.campaign_next_round(campaign=campaign, by=request.user)
    return selectors.campaign_get(user=request.user, campaign_id=campaign_id)


@router.get("/campaigns/{uuid:campaign_id}/sites", response={200: list[SiteOut], **ERRORS}, summary="A campaign's sites")
def list_sites(request, campaign_id: UUID):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    return selectors.campaign_sites(campaign=campaign)


@router.post("/campaigns/{uuid:campaign_id}/sites", response={201: SiteOut, **ERRORS}, summary="Add a sampling site")
def create_site(request, campaign_id: UUID, payload: SiteIn):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    return Status(201, services.site_create(campaign=campaign, by=request.user, **payload.dict()))


@router.patch("/sites/{uuid:site_id}", response={200: SiteOut, **ERRORS}, summary="Change a sampling site")
def update_site(request, site_id: UUID, payload: SitePatch):
    site = selectors.site_get(user=request.user, site_id=site_id)
    return services.site_update(site=site, by=request.user, **payload.dict(exclude_unset=True))


# ---- samples -------------------------------------------------------------------------------------------

REASON_HELP = "One of: " + ", ".join(SwabReason.values)


class SwabIn(Schema):
    person_id: UUID | None = None
    national_id: str = Field("", max_length=20, description="the 12-digit CCCD, instead of person_id")
    phone: str = Field("", max_length=20, description="a mobile number held by one person, instead of person_id")
    reason: str = Field("", description=REASON_HELP + " (empty: the sample's)")


class SampleIn(Schema):
    campaign: UUID
    site: UUID | None = None
    code: str = Field("", max_length=60, description="the tube code; empty with generate_code for a new one")
    generate_code: bool = False
    pooled: bool | None = Field(None, description="empty: a pool when there is more than one swab")
    reason: str = Field(SwabReason.SCREENING, description=REASON_HELP)
    collected_at: Instant | None = None
    swabs: list[SwabIn] = Field(..., min_length=1, max_length=50)


class SampleBatchIn(Schema):
    samples: list[SampleIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class SampleOut(Schema):
    id: UUID
    code: str
    pooled: bool
    test_type: str
    campaign_id: UUID | None
    site_id: UUID | None
    round: int
    laboratory_id: UUID | None
    status: str
    collected_at: datetime
    received_at: datetime | None
    tested_at: datetime | None
    result: str
    ct_value: float | None
    released_at: datetime | None
    rejected_reason: str
    rejected_at: datetime | None
    swab_count: int
    created: bool = False

    @staticmethod
    def resolve_swab_count(obj: Sample) -> int:
        count = getattr(obj, "swab_count", None)
        return count if count is not None else obj.swabs.count()

    @staticmethod
    def resolve_created(obj: Sample) -> bool:
        return bool(getattr(obj, "created", False))


class SwabOut(Schema):
    position: int
    person_id: UUID
    person_name: str = Field(..., alias="person.full_name")
    reason: str
    outcome: str
    retest_of_code: str | None

    @staticmethod
    def resolve_retest_of_code(obj: Swab) -> str | None:
        return obj.retest_of.sample.code if obj.retest_of_id else None


class SampleDetailOut(SampleOut):
    swabs: list[SwabOut] = Field(..., alias="visible_swabs")  # the people of the caller's jurisdiction
    hidden_swabs: int  # the others, counted


class SamplePage(Schema):
    items: list[SampleOut]
    page: int
    has_next: bool


class SampleResult(Schema):
    status: int
    sample: SampleOut | None = None
    error: ErrorOut | None = None


class SampleBatchOut(Schema):
    created: int
    existing: int
    failed: int
    results: list[SampleResult]


def _sample_args(payload: SampleIn) -> registering.SampleIn:
    swabs = [registering.SwabIn(person=s.person_id or s.national_id or s.phone, reason=s.reason) for s in payload.swabs]
    return registering.SampleIn(campaign=payload.campaign, site=payload.site, code=payload.code,
                                generate_code=payload.generate_code, pooled=payload.pooled, reason=payload.reason,
                                collected_at=payload.collected_at, swabs=swabs)


@router.get("/samples", response={200: SamplePage, **ERRORS}, summary="Samples you see, newest first")
def list_samples(request, campaign: UUID | None = None, site: UUID | None = None, round: int | None = None,
                 status: str = "", code: str = "", page: int = 1):
    found = {}
    if campaign:
        found["campaign"] = selectors.campaign_get(user=request.user, campaign_id=campaign)
    if site:
        found["site"] = selectors.site_get(user=request.user, site_id=site)
    queryset = selectors.sample_list(user=request.user, round=round if round and 0 < round < 1000 else None,
                                     status=status, code=code[:40], **found)
    result = page_of(queryset, page=page)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/samples", response={200: SampleOut, 201: SampleOut, **ERRORS},
             summary="Register one sample (a tube) with its swabs")
def create_sample(request, payload: SampleIn):
    """An individual sample (one swab) or a pool (2–10 swabs, the labs policy), in the campaign's current
    round. All or nothing; every problem is listed in `errors`. Sending the same tube with the same people
    again answers 200 with the sample already registered (a retry)."""
    args = _sample_args(payload)
    sample = registering.sample_register(
        campaign=args.campaign, site=args.site, code=args.code, generate_code=args.generate_code, swabs=args.swabs,
        pooled=args.pooled, reason=args.reason, collected_at=args.collected_at, by=request.user)
    return Status(201 if sample.created else 200, sample)


@router.post("/samples/batch", response={200: SampleBatchOut, **ERRORS}, summary="Register many samples")
def create_samples(request, payload: SampleBatchIn):
    """Up to 200 samples as a scanner app sends them. Each is registered or refused on its own (all or
    nothing for that sample) and answered in order: status 201 (registered), 200 (already registered with
    the same people: a retry) or the error's status with its error."""
    results = registering.samples_register_many(items=[_sample_args(s) for s in payload.samples], by=request.user)
    answers, counts = [], {"created": 0, "existing": 0, "failed": 0}
    for result in results:
        if isinstance(result, DomainError):
            counts["failed"] += 1
            answers.append({"status": result.status, "sample": None, "error": result.as_dict()})
        else:
            counts["created" if result.created else "existing"] += 1
            answers.append({"status": 201 if result.created else 200, "sample": result, "error": None})
    return {**counts, "results": answers}


@router.get("/samples/{uuid:sample_id}", response={200: SampleDetailOut, **ERRORS}, summary="One sample with its swabs")
def get_sample(request, sample_id: UUID):
    sample = selectors.sample_get(user=request.user, sample_id=sample_id, audit=True)
    rows = selectors.sample_swabs(user=request.user, sample=sample)
    sample.swab_count = len(rows.visible) + rows.hidden
    sample.visible_swabs, sample.hidden_swabs = rows.visible, rows.hidden
    return sample


class RejectIn(Schema):
    reason: str = Field(..., max_length=500)


@router.post("/samples/{uuid:sample_id}/reject", response={200: SampleOut, **ERRORS},
             summary="Reject a tube (not tested: its people are swabbed again)")
def reject_sample(request, sample_id: UUID, payload: RejectIn):
    sample = selectors.sample_get(user=request.user, sample_id=sample_id)
    return services.sample_reject(sample=sample, reason=payload.reason, by=request.user)


class ReceiveIn(Schema):
    codes: list[str] = Field(..., min_length=1, max_length=services.MAX_RECEIVE)
    received_at: Instant | None = None


class ReceiveItem(Schema):
    code: str
    status: int
    sample_id: UUID | None = None
    error: ErrorOut | None = None


class ReceiveOut(Schema):
    received: int
    failed: int
    results: list[ReceiveItem]


@router.post("/samples/receive", response={200: ReceiveOut, **ERRORS}, summary="Receive tubes at the laboratory")
def receive_samples(request, payload: ReceiveIn):
    """Each code is received or refused on its own (unknown, another laboratory's, already received…)."""
    results = services.samples_receive(codes=[c[:60] for c in payload.codes], by=request.user,
                                       received_at=payload.received_at)
    items = [{"code": r.code, "status": r.error.status if r.error else 200,
              "sample_id": r.sample.pk if r.sample else None, "error": r.error.as_dict() if r.error else None}
             for r in results]
    failed = sum(1 for r in results if r.error)
    return {"received": len(results) - failed, "failed": failed, "results": items}


class QueueItem(SampleOut):
    age_hours: int

    @staticmethod
    def resolve_age_hours(obj: Sample) -> int:
        return selectors.age_hours(obj)


class QueuePage(Schema):
    items: list[QueueItem]
    page: int
    has_next: bool
    waiting_to_be_received: int
    waiting_for_a_result: int


@router.get("/queue", response={200: QueuePage, **ERRORS}, summary="The laboratory's queue, oldest first")
def lab_queue(request, status: Literal["collected", "received"] | None = None, page: int = 1):
    result = page_of(selectors.lab_queue(user=request.user, status=status or ""), page=page, size=100)
    counts = selectors.lab_queue_counts(user=request.user)
    return {"items": result.items, "page": result.number, "has_next": result.has_next,
            "waiting_to_be_received": counts["collected"], "waiting_for_a_result": counts["received"]}


class CodesIn(Schema):
    campaign: UUID
    site: UUID | None = None
    count: int = Field(..., ge=1, le=registering.MAX_RESERVE)


class CodesOut(Schema):
    codes: list[str]


@router.post("/codes", response={201: CodesOut, **ERRORS}, summary="Reserve new tube codes (blank labels)")
def reserve_codes(request, payload: CodesIn):
    campaign = selectors.campaign_get(user=request.user, campaign_id=payload.campaign)
    site = selectors.site_get(user=request.user, site_id=payload.site) if payload.site else None
    codes = registering.codes_reserve(campaign=campaign, site=site, count=payload.count, by=request.user)
    return Status(201, {"codes": codes})
