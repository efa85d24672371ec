"""Reads for results: the sample a result is entered for, result files and layouts, the re-tests each commune
station must take, and (for the quarantine module) people's negative results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system
from lachan.accounts.audit import audit_record_many, audit_rows
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.core.parsers import uuid_or_none
from lachan.core.text import fold
from lachan.geo.models import AdminUnit

from ..access import require_perm, sample_scope_q, swab_scope_q, user_laboratory
from ..errors import LabErrorCode
from ..models import ColumnMapping, Laboratory, ResultImport, Sample, SampleStatus, Swab, SwabOutcome


def laboratories_for(user) -> QuerySet[Laboratory]:
    """The laboratories whose results a user may enter and import: lab staff their own; unit users (the
    province) those located in their unit."""
    queryset = Laboratory.objects.select_related("place", "place__commune__parent").order_by("place__name")
    if is_system(user):
        return queryset
    own = user_laboratory(user)
    if own is not None:
        return queryset.filter(pk=own.pk)
    scope = scope_for(user)
    if scope.kind != "unit":
        return queryset.none()
    return queryset.filter(place__commune_id__in=scope.commune_ids())


def _result_samples_q(user) -> Q:
    """Samples a user may enter a result for: lab staff those received by or sent to their laboratory (a tube
    sent to none is received first, which makes it theirs: codes are sequential, so "not yet assigned" would be
    every tube of the province); others the samples of their jurisdiction."""
    return sample_scope_q(user)


def result_sample_get(*, user, code: str = "", sample_id=None) -> Sample:
    """One sample by code or id, for entering or correcting its result. NotFound outside the user's reach."""
    require_perm(user, Perm.LABS_RESULT)
    queryset = Sample.objects.select_related("laboratory__place", "campaign", "site", "released_by")
    if sample_id is not None:
        queryset = queryset.filter(pk=sample_id) if uuid_or_none(sample_id) is not None else queryset.none()
    else:
        queryset = queryset.filter(code=" ".join(str(code or "").split()).upper())
    sample = queryset.filter(_result_samples_q(user)).first()
    if sample is None:
        raise NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("Unknown sample code."), field="code")
    return sample


def result_sample_swabs(*, user, sample: Sample) -> list:
    """The people of a sample the result page shows (names, birth years, communes): audited, one event each."""
    require_perm(user, Perm.LABS_RESULT)
    swabs = list(sample.swabs.select_related("person", "person__commune__parent", "case").order_by("position"))
    audit_rows(actor=user, action="labs.result_people", object_type="person", rows=swabs,
               detail={"sample": sample.code})
    return swabs


def imports_in_scope(user) -> QuerySet[ResultImport]:
    return ResultImport.objects.filter(laboratory__in=laboratories_for(user)).select_related(
        "laboratory__place", "mapping", "created_by")


def import_list(*, user, status: str = "", laboratory=None) -> QuerySet[ResultImport]:
    require_perm(user, Perm.LABS_RESULT)
    queryset = imports_in_scope(user).defer("errors")
    if status:
        queryset = queryset.filter(status=status)
    if laboratory and uuid_or_none(laboratory) is not None:
        queryset = queryset.filter(laboratory_id=laboratory)
    return queryset.order_by("-created_at", "-id")


def import_get(*, user, import_id) -> ResultImport:
    require_perm(user, Perm.LABS_RESULT)
    record = imports_in_scope(user).filter(pk=import_id).first() if uuid_or_none(import_id) is not None else None
    if record is None:
        raise NotFound(LabErrorCode.IMPORT_NOT_FOUND, _("Result file not found."))
    return record


def mapping_list(*, user, laboratory=None) -> QuerySet[ColumnMapping]:
    require_perm(user, Perm.LABS_RESULT)
    queryset = ColumnMapping.objects.filter(laboratory__in=laboratories_for(user)).select_related("laboratory__place")
    if laboratory is not None:
        queryset = queryset.filter(laboratory=laboratory)
    return queryset.order_by("laboratory__place__name", "name")


def mapping_get(*, user, mapping_id) -> ColumnMapping:
    mapping = mapping_list(user=user).filter(pk=mapping_id).first() if uuid_or_none(mapping_id) is not None else None
    if mapping is None:
        raise NotFound(LabErrorCode.MAPPING_NOT_FOUND, _("File layout not found."), field="mapping")
    return mapping


def retests_due(*, user, commune: AdminUnit | None = None, query: str = "") -> QuerySet[Swab]:
    """The people a commune station must swab again — a positive pool's members, an unclear or rejected
    sample — who have no new sample yet, within the user's jurisdiction (stations: the people living in
    their commune). Oldest first: the longest waiting are called first."""
    require_perm(user, Perm.LABS_VIEW)
    queryset = (Swab.objects.filter(retest_due=True,
                                    sample__status__in=[SampleStatus.RELEASED, SampleStatus.REJECTED])
                .filter(swab_scope_q(user))
                .select_related("person", "person__commune__parent", "sample", "sample__laboratory__place"))
    if commune is not None:
        queryset = queryset.filter(person__commune=commune)
    if query.strip():
        text = query.strip()
        queryset = queryset.filter(Q(sample__code=text.upper()) | Q(person__search_name__contains=fold(text)))
    return queryset.order_by("sample__released_at", "sample__code", "position")


def retests_audited(*, user, swabs: list[Swab]) -> None:
    """A page of the list read by a user: one audit event per person shown."""
    if swabs:
        audit_record_many(actor=user, action="read", object_type="labs_retest", person_ids=[s.person_id for s in swabs])


def retest_swab_get(*, user, swab_id) -> Swab:
    """A swab due for a re-test, within the user's reach, for registering the new sample."""
    require_perm(user, Perm.LABS_SAMPLE)
    swab = retests_due(user=user).filter(pk=swab_id).first() if uuid_or_none(swab_id) is not None else None
    if swab is None:
        raise NotFound(LabErrorCode.SWAB_NOT_FOUND, _("No re-test is due for this person."))
    return swab


@dataclass(frozen=True)
class NegativeResult:
    person_id: UUID
    sample_code: str
    collected_at: datetime
    released_at: datetime
    test_type: str
    pooled: bool


def negative_results(person_ids, since: datetime) -> dict[UUID, list[NegativeResult]]:
    """Each person's negative released results of samples collected since `since`, oldest first — what the
    quarantine module counts toward a release. A negative pool counts for each of its members. System read
    (no user): the caller scopes and audits."""
    ids = list(person_ids)
    out: dict[UUID, list[NegativeResult]] = {pid: [] for pid in ids}
    if not ids:
        return out
    rows = (Swab.objects.filter(person_id__in=ids, outcome=SwabOutcome.NEGATIVE, sample__status=SampleStatus.RELEASED,
                                sample__collected_at__gte=since)
            .order_by("sample__collected_at")
            .values_list("person_id", "sample__code", "sample__collected_at", "sample__released_at",
                         "sample__test_type", "sample__pooled"))
    for person_id, *rest in rows:
        out[person_id].append(NegativeResult(person_id, *rest))
    return out
