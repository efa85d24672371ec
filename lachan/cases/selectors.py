"""Reads of cases, scoped by where the case's person lives; reads of one case are audited."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.core.text import fold

from .errors import CaseErrorCode
from .models import Case, Cluster
from .services import require_perm


def cases_in_scope(user) -> QuerySet[Case]:
    queryset = Case.objects.select_related("person", "person__commune", "cluster")
    if user is None:
        return queryset
    return queryset.filter(scope_for(user).person_q(person_field="person"))


def case_list(*, user, query: str = "", status: str = "", origin: str = "", cluster: UUID | None = None) -> QuerySet[Case]:
    require_perm(user, Perm.CASES_VIEW)
    queryset = cases_in_scope(user)
    if query:
        q = query.strip()
        queryset = queryset.filter(code__iexact=q) if q.upper().startswith("F0-") else queryset.filter(
            person__search_name__contains=fold(q))
    if status:
        queryset = queryset.filter(status=status)
    if origin:
        queryset = queryset.filter(origin=origin)
    if cluster:
        queryset = queryset.filter(cluster_id=cluster)
    return queryset.order_by("-confirmed_at", "-id")


def case_get(*, user, case_id, audit: bool = True) -> Case:
    require_perm(user, Perm.CASES_VIEW)
    case = cases_in_scope(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound(CaseErrorCode.NOT_FOUND, _("Case not found."))
    if audit:
        audit_record(actor=user, action="case.view", object_type="case", object_id=case.pk, person_id=case.person_id)
    return case


def case_active_of_person(*, person_id) -> Case | None:
    """System read: the person's latest case (used by tracing to mark contacts who are cases)."""
    return Case.objects.filter(person_id=person_id).order_by("-confirmed_at").first()


def cluster_list(*, user) -> QuerySet[Cluster]:
    require_perm(user, Perm.CASES_VIEW)
    return Cluster.objects.select_related("commune").order_by("-opened_on", "name")


def cluster_get(*, user, cluster_id) -> Cluster:
    require_perm(user, Perm.CASES_VIEW)
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        raise NotFound(CaseErrorCode.CLUSTER_NOT_FOUND, _("Cluster not found."))
    return cluster
