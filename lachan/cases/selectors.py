"""Reads of cases, scoped by where the case's person lives; reads of one case are audited."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from uuid import UUID

from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system
from lachan.accounts.audit import audit_record, audit_rows
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.core.parsers import uuid_or_none
from lachan.core.text import fold
from lachan.geo.models import AdminUnit
from lachan.people.models import Person

from .access import require_perm
from .errors import CaseErrorCode
from .isolation import isolation_q, with_isolation
from .models import ACTIVE_STATUSES, Case, Cluster
from .scope import case_scope_q, cluster_scope_q


def cases_in_scope(user) -> QuerySet[Case]:
    queryset = Case.objects.select_related("person", "person__commune__parent", "cluster")
    if is_system(user):
        return queryset
    return queryset.filter(case_scope_q(scope_for(user)))

CURVE_TAIL_DAYS = 28  # two incubation periods without a new case


def case_list(*, user, query: str = "", status: str = "", origin: str = "", cluster: UUID | None = None,
              isolation: str = "") -> QuerySet[Case]:
    """The cases the user sees, newest first, each with its `isolation_state` today. `isolation`: only the
    cases in that state today (lachan.cases.isolation, filtered in the query, as the list labels them);
    `status`: the stored status."""
    require_perm(user, Perm.CASES_VIEW)
    queryset = with_isolation(cases_in_scope(user))
    if query:
        q = query.strip()
        queryset = queryset.filter(code__iexact=q) if q.upper().startswith("F0-") else queryset.filter(_name_q(fold(q), cases_in_scope(user)))
    if status:
        queryset = queryset.filter(status=status)
    if isolation:
        queryset = queryset.filter(isolation_q(isolation))
    if origin:
        queryset = queryset.filter(origin=origin)
    if cluster:
        queryset = queryset.filter(cluster_id=cluster)
    return queryset.order_by("-confirmed_at", "-id")


MANY_CASES = 10_000  # from this many cases in the jurisdiction, a search by name may start from the people (SQLite)
FEW_PEOPLE = 5000  # ... when fewer people than this have the name (_name_q)


def _name_q(folded: str, cases: QuerySet[Case]) -> Q:
    """The `cases` whose person's name contains `folded`, in the shape the database reads fast. A substring has
    no index in SQLite: read newest first, the list checks each case's person until it has a page, quick for a
    small jurisdiction or a common name, but for a rare name it reads every case of the jurisdiction (100,000
    in a province at 1M people: 0.4 s). Then the list starts from the name's people (one scan of the people's
    name index) and sorts their cases. The same rows either way. PostgreSQL finds the name's people by their
    trigram index (people_person_search_name_trgm) in either shape."""
    if connection.vendor == "sqlite" and cases.order_by().values("pk")[:MANY_CASES].count() == MANY_CASES:
        people = Person.objects.filter(search_name__contains=folded)
        if people.values("pk")[:FEW_PEOPLE].count() < FEW_PEOPLE:
            return Q(person_id__in=people.values("pk"))
    return Q(person__search_name__contains=folded)


def cases_audited(*, user, cases, action: str = "case.list") -> None:
    """A page of cases read (the list, a cluster's cases): one audit event per person shown."""
    audit_rows(actor=user, action=action, object_type="person", rows=cases)


def case_get(*, user, case_id, audit: bool = True) -> Case:
    require_perm(user, Perm.CASES_VIEW)
    case = with_isolation(cases_in_scope(user)).filter(pk=case_id).first()
    if case is None:
        raise NotFound(CaseErrorCode.NOT_FOUND, _("Case not found."))
    if audit:
        audit_record(actor=user, action="case.view", object_type="case", object_id=case.pk, person_id=case.person_id)
    return case


def case_active_of_person(*, person_id) -> Case | None:
    """System read: the person's latest case (used by tracing to mark contacts who are cases)."""
    return Case.objects.filter(person_id=person_id).order_by("-confirmed_at").first()


def clusters_in_scope(user) -> QuerySet[Cluster]:
    queryset = Cluster.objects.select_related("commune__parent", "commune__parent")
    if is_system(user):
        return queryset
    return queryset.filter(cluster_scope_q(user))


def _with_counts(queryset: QuerySet[Cluster]) -> QuerySet[Cluster]:
    """Counts over all the cluster's cases (figures, not people): a cluster's size does not shrink
    because some of its cases live outside the reader's jurisdiction. Correlated subqueries, not a join
    grouped by cluster: the database counts the cases of the clusters shown (a page of the list), not of
    every cluster in the jurisdiction before sorting them (a province: 1,600 clusters, 35,000 cases)."""
    cases = Case.objects.filter(cluster=OuterRef("pk")).order_by().values("cluster")

    def of_cases(aggregate, rows=cases):
        return Subquery(rows.annotate(value=aggregate).values("value"))

    return queryset.annotate(
        case_count=Coalesce(of_cases(Count("pk")), 0),
        active_count=Coalesce(of_cases(Count("pk"), cases.filter(status__in=ACTIVE_STATUSES)), 0),
        first_case_at=of_cases(Min("confirmed_at")),
        last_case_at=of_cases(Max("confirmed_at")),
    )


def cluster_list(*, user, query: str = "", kind: str = "", commune_id: int | None = None,
                 status: str = "") -> QuerySet[Cluster]:
    """Clusters in the user's jurisdiction with their counts; open ones first, newest first.
    `status`: "open", "closed" or "" (both)."""
    require_perm(user, Perm.CASES_VIEW)
    queryset = _with_counts(clusters_in_scope(user))
    if query and fold(query):
        queryset = queryset.filter(search_name__contains=fold(query))
    if kind:
        queryset = queryset.filter(kind=kind)
    if commune_id:
        queryset = queryset.filter(commune_id=commune_id)
    if status == "open":
        queryset = queryset.filter(closed_on__isnull=True)
    elif status == "closed":
        queryset = queryset.filter(closed_on__isnull=False)
    return queryset.order_by(F("closed_on").asc(nulls_first=True), "-opened_on", "name", "pk")


def cluster_communes(*, user) -> QuerySet[AdminUnit]:
    """The communes of the clusters the user sees (the list page's filter)."""
    require_perm(user, Perm.CASES_VIEW)
    return AdminUnit.objects.filter(pk__in=clusters_in_scope(user).values("commune_id")).select_related("parent").order_by("name", "path")


def cluster_get(*, user, cluster_id, audit: bool = False) -> Cluster:
    require_perm(user, Perm.CASES_VIEW)
    cluster_id = uuid_or_none(cluster_id)
    cluster = _with_counts(clusters_in_scope(user)).filter(pk=cluster_id).first() if cluster_id else None
    if cluster is None:
        raise NotFound(CaseErrorCode.CLUSTER_NOT_FOUND, _("Cluster not found."))
    if audit:
        audit_record(actor=user, action="cluster.view", object_type="cluster", object_id=cluster.pk)
    return cluster


def cluster_cases(*, user, cluster: Cluster) -> QuerySet[Case]:
    """The cluster's cases that the user may see, in the order they were confirmed (each with its
    `isolation_state` today)."""
    require_perm(user, Perm.CASES_VIEW)
    return with_isolation(cases_in_scope(user)).filter(cluster=cluster).order_by("confirmed_at", "id")


def cluster_daily_counts(*, cluster: Cluster, until: date | None = None) -> list[tuple[date, int]]:
    """Cases per day of confirmation (local days), every day from the first case to the last, or on to
    `until` (at most CURVE_TAIL_DAYS after the last case): the empty days after the last case are what
    tells a cluster is dying out."""
    days = Counter(timezone.localdate(at) for at in Case.objects.filter(cluster=cluster).values_list(
        "confirmed_at", flat=True))
    if not days:
        return []
    first, last = min(days), max(days)
    if until is not None:
        last = max(last, min(until, last + timedelta(days=CURVE_TAIL_DAYS)))
    return [(first + timedelta(days=n), days.get(first + timedelta(days=n), 0)) for n in range((last - first).days + 1)]
