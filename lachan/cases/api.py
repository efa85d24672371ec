"""Cases API (reads and status) and clusters. Confirming a case traces it: POST /api/workflows/cases
(lachan.workflows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.conf import settings
from ninja import Field, Router, Schema, Status

from lachan.core.dates import Day, Instant
from lachan.core.pagination import page_of
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL
from lachan.geo.models import AdminUnit

from . import selectors, services
from .errors import CaseErrorCode
from .isolation import FILTER_ALIASES, Isolation, isolation_filter_value
from .models import Cluster, ClusterKind

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: UUID
    code: str
    person_id: UUID
    person_name: str = Field(..., alias="person.full_name")
    commune_code: str = Field(..., alias="person.commune.code")
    commune_label: str = Field(..., alias="person.commune.label", description=UNIT_LABEL)
    confirmed_at: datetime
    onset_date: date | None
    sample_date: date
    origin: str
    status: str
    status_since: datetime
    isolation: str = Field(alias="isolation_state",  # annotated by the case selectors (lachan.cases.isolation)
                           description="Where the case isolates today, from its status and its isolation order in "
                                       "force: " + ", ".join(Isolation.values))
    infectious_from: date
    isolated_at: datetime
    cluster_id: UUID | None


class CasePage(Schema):
    items: list[CaseOut]
    page: int
    has_next: bool


class StatusIn(Schema):
    status: str
    since: Instant | None = None
    note: str = ""


ERRORS = error_responses(CaseErrorCode)


class ClusterOut(Schema):
    id: UUID
    name: str
    kind: str
    high_risk_kind: bool = Field(..., alias="is_high_risk_kind")  # Decision 2686: unknown source, industrial park, school, supermarket
    source_description: str
    commune_code: str | None
    commune_name: str | None
    commune_label: str | None = Field(..., description=UNIT_LABEL)
    opened_on: date
    closed_on: date | None
    closed_reason: str
    case_count: int  # every case of the cluster, including those outside the caller's jurisdiction
    active_count: int
    first_case_at: datetime | None
    last_case_at: datetime | None
    days_since_last_case: int | None


    @staticmethod
    def resolve_commune_code(obj: Cluster) -> str | None:
        return obj.commune.code if obj.commune else None

    @staticmethod
    def resolve_commune_name(obj: Cluster) -> str | None:
        return obj.commune.name if obj.commune else None

    @staticmethod
    def resolve_commune_label(obj: Cluster) -> str | None:
        return obj.commune.label if obj.commune else None


class ClusterDetailOut(ClusterOut):
    # Those in the caller's jurisdiction, in order of confirmation (first 500), set by the view: never `cases`,
    # the cluster's every case.
    cases: list[CaseOut] = Field(..., alias="visible_cases")


class ClusterPage(Schema):
    items: list[ClusterOut]
    page: int
    has_next: bool


KIND_HELP = "One of: " + ", ".join(ClusterKind.values)


class ClusterIn(Schema):
    name: str
    kind: str = Field(..., description=KIND_HELP)
    commune: str  # official code of the commune, e.g. "28261"
    source_description: str = ""
    opened_on: Day | None = None  # empty: today


class ClusterPatch(Schema):
    name: str | None = None
    kind: str | None = Field(None, description=KIND_HELP)
    commune: str | None = None
    source_description: str | None = None


class ClusterCloseIn(Schema):
    closed_on: Day
    reason: str


class ClusterReopenIn(Schema):
    reason: str


class ClusterCasesIn(Schema):
    codes: list[str] = Field(..., max_length=200)
    move: bool = False  # also move cases that are in another cluster


def _cluster_detail(request, cluster_id, *, audit: bool = False) -> Cluster:
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id, audit=audit)
    cluster.visible_cases = list(selectors.cluster_cases(user=request.user, cluster=cluster)[:500])
    selectors.cases_audited(user=request.user, cases=cluster.visible_cases, action="cluster.cases")
    return cluster


@router.get("/clusters", response={200: ClusterPage, **ERRORS}, summary="Clusters in your jurisdiction")
def list_clusters(request, query: str = "", kind: str = "", commune: str = "",
                  status: Literal["open", "closed"] | None = None, page: int = 1):
    commune_id = None
    if commune:
        unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=commune).first()
        commune_id = unit.pk if unit else -1  # an unknown commune lists nothing
    queryset = selectors.cluster_list(user=request.user, query=query, kind=kind, commune_id=commune_id,
                                      status=status or "")
    result = page_of(queryset, page=page)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post("/clusters", response={201: ClusterOut, **ERRORS}, summary="Open a cluster")
def create_cluster(request, payload: ClusterIn):
    cluster = services.cluster_create(by=request.user, **payload.dict())
    return Status(201, selectors.cluster_get(user=request.user, cluster_id=cluster.pk))


@router.get("/clusters/{cluster_id}", response={200: ClusterDetailOut, **ERRORS}, summary="One cluster with its cases")
def get_cluster(request, cluster_id: UUID):
    return _cluster_detail(request, cluster_id, audit=True)


@router.patch("/clusters/{cluster_id}", response={200: ClusterOut, **ERRORS}, summary="Change a cluster")
def update_cluster(request, cluster_id: UUID, payload: ClusterPatch):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    services.cluster_update(cluster=cluster, by=request.user, **payload.dict(exclude_unset=True))
    return selectors.cluster_get(user=request.user, cluster_id=cluster_id)


@router.post("/clusters/{cluster_id}/close", response={200: ClusterOut, **ERRORS},
             summary="Close a cluster (not before its last case; active cases are allowed, see active_count)")
def close_cluster(request, cluster_id: UUID, payload: ClusterCloseIn):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    services.cluster_close(cluster=cluster, closed_on=payload.closed_on, reason=payload.reason, by=request.user)
    return selectors.cluster_get(user=request.user, cluster_id=cluster_id)


@router.post("/clusters/{cluster_id}/reopen", response={200: ClusterOut, **ERRORS}, summary="Reopen a closed cluster")
def reopen_cluster(request, cluster_id: UUID, payload: ClusterReopenIn):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    services.cluster_reopen(cluster=cluster, reason=payload.reason, by=request.user)
    return selectors.cluster_get(user=request.user, cluster_id=cluster_id)


@router.post("/clusters/{cluster_id}/cases", response={200: ClusterDetailOut, **ERRORS},
             summary="Add cases to a cluster by their codes (all or none)")
def add_cluster_cases(request, cluster_id: UUID, payload: ClusterCasesIn):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    services.cluster_add_cases(cluster=cluster, codes=payload.codes, move=payload.move, by=request.user)
    return _cluster_detail(request, cluster_id)


STATUS_FILTERS = Literal[tuple(["", *Isolation.values, *FILTER_ALIASES])]


@router.get("/", response={200: CasePage, **ERRORS}, summary="Cases in your jurisdiction")
def list_cases(request, query: str = "", status: STATUS_FILTERS | None = None, origin: str = "", page: int = 1):
    """`status`: the cases whose isolation today (the `isolation` of each case) is this one; isolating_home and
    isolating_facility, the former names, mean home and facility."""
    result = page_of(selectors.case_list(user=request.user, query=query, origin=origin,
                                         isolation=isolation_filter_value(status or "")), page=page)
    selectors.cases_audited(user=request.user, cases=result.items)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.get("/{case_id}", response={200: CaseOut, **ERRORS}, summary="One case")
def get_case(request, case_id: UUID):
    return selectors.case_get(user=request.user, case_id=case_id)


@router.post("/{case_id}/status", response={200: CaseOut, **ERRORS}, summary="Move a case to a new status")
def set_status(request, case_id: UUID, payload: StatusIn):
    case = selectors.case_get(user=request.user, case_id=case_id, audit=False)
    services.case_set_status(case=case, status=payload.status, since=payload.since, note=payload.note,
                             by=request.user)
    return selectors.case_get(user=request.user, case_id=case_id, audit=False)  # with its isolation now
