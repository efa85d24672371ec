"""Writes for cases: confirm an F0, move its status, group cases into clusters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.policies import policy_in_force
from lachan.people.models import Person

from .errors import CaseErrorCode
from .models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    Case,
    CaseOrigin,
    CaseStatus,
    CaseStatusChange,
    Cluster,
    ClusterKind,
)

RECONFIRM_AFTER_DAYS = 90  # a new confirmation within this time is the same infection
DEFAULT_DAYS_BEFORE_ONSET = 2


def require_perm(user, perm: str) -> None:
    if user is not None and not user.has_perm_code(perm):
        raise PermissionDenied(CaseErrorCode.PERMISSION, _("You do not have permission to do this."))


def _person_visible(user, person: Person) -> bool:
    if user is None:
        return True
    return Person.objects.active().filter(scope_for(user).person_q(), pk=person.pk).exists()


def infectious_days_before(on: date) -> int:
    """The policy's days before onset (or sample); the tracing policy owns the number."""
    try:
        rules = policy_in_force("tracing", on).rules
    except NotFound:
        return DEFAULT_DAYS_BEFORE_ONSET
    return int(rules.get("infectious_days_before_onset", DEFAULT_DAYS_BEFORE_ONSET))


def infectious_window_start(*, onset_date: date | None, sample_date: date) -> date:
    anchor = onset_date or sample_date
    return anchor - timedelta(days=infectious_days_before(anchor))


def _next_code(person: Person) -> str:
    parts = (person.commune.path or "").split("/")
    province = parts[1] if len(parts) > 1 else "00"
    prefix = f"F0-{province}-"
    last = Case.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


@transaction.atomic
def case_confirm(
    *, person: Person, onset_date: date | None, sample_date: date | None, origin: str,
    confirmed_at: datetime | None = None, notes: str = "", by,
) -> Case:
    """A new F0. The infectious window follows the tracing policy in force; isolation defaults to now."""
    require_perm(by, Perm.CASES_EDIT)
    if person is None or person.merged_into_id or not _person_visible(by, person):
        raise NotFound(CaseErrorCode.PERSON_NOT_FOUND, _("Person not found."), field="person")
    now = timezone.now()
    confirmed_at = confirmed_at or now
    today = timezone.localdate(now)
    if origin not in CaseOrigin.values:
        raise DomainError(CaseErrorCode.ORIGIN_INVALID, _("Choose community or detected in quarantine."), field="origin")
    if sample_date is None:
        raise DomainError(CaseErrorCode.SAMPLE_DATE_REQUIRED, _("The date of the positive sample is required."),
                          field="sample_date")
    if confirmed_at > now + timedelta(minutes=5):
        raise DomainError(CaseErrorCode.DATE_IN_FUTURE, _("The confirmation time is in the future."), field="confirmed_at")
    confirmed_day = timezone.localdate(confirmed_at)
    for field, value in (("sample_date", sample_date), ("onset_date", onset_date)):
        if value is not None and value > today:
            raise DomainError(CaseErrorCode.DATE_IN_FUTURE, _("This date is in the future."), field=field)
        if value is not None and value < confirmed_day - timedelta(days=60):
            raise DomainError(CaseErrorCode.DATE_TOO_OLD, _("This date is more than 60 days before the confirmation."),
                              field=field)
    if sample_date > confirmed_day:
        raise DomainError(CaseErrorCode.SAMPLE_AFTER_CONFIRMATION,
                          _("The sample date is after the confirmation date."), field="sample_date")
    if onset_date is not None and onset_date > sample_date:
        raise DomainError(CaseErrorCode.ONSET_AFTER_SAMPLE, _("The onset date is after the sample date."),
                          field="onset_date")
    # Lock the person so two simultaneous confirmations cannot both pass the check below.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    previous = Case.objects.filter(person=person).order_by("-confirmed_at").first()
    if previous is not None and (
        previous.status in ACTIVE_STATUSES or previous.confirmed_at > confirmed_at - timedelta(days=RECONFIRM_AFTER_DAYS)
    ):
        raise DomainError(
            CaseErrorCode.ALREADY_CASE,
            _("%(name)s is already case %(code)s (confirmed %(date)s).")
            % {"name": person.full_name, "code": previous.code, "date": timezone.localdate(previous.confirmed_at)},
            field="person",
        )
    infectious_from = infectious_window_start(onset_date=onset_date, sample_date=sample_date)
    status = CaseStatus.ISOLATING_FACILITY if origin == CaseOrigin.IN_QUARANTINE else CaseStatus.ISOLATING_HOME
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    person=person, code=_next_code(person), confirmed_at=confirmed_at, onset_date=onset_date,
                    sample_date=sample_date, origin=origin, status=status, status_since=confirmed_at,
                    infectious_from=infectious_from, isolated_at=confirmed_at, notes=notes,
                    created_by=by, changed_by=by,
                )
            break
        except IntegrityError:  # two confirmations took the same number; take the next
            continue
    else:  # pragma: no cover
        raise DomainError(CaseErrorCode.ALREADY_CASE, _("Could not number the case; try again."))
    CaseStatusChange.objects.create(case=case, status=status, since=confirmed_at, note=_("confirmed"), changed_by=by)
    audit_record(actor=by, action="case.confirm", object_type="case", object_id=case.pk, person_id=person.pk,
                 detail={"code": case.code, "origin": origin})
    return case


@transaction.atomic
def case_set_status(*, case: Case, status: str, since: datetime | None = None, note: str = "", by) -> Case:
    require_perm(by, Perm.CASES_EDIT)
    if not _person_visible(by, case.person):
        raise NotFound(CaseErrorCode.NOT_FOUND, _("Case not found."))
    if status not in CaseStatus.values:
        raise DomainError(CaseErrorCode.STATUS_INVALID, _("Unknown status."), field="status")
    if case.status in FINAL_STATUSES:
        raise DomainError(CaseErrorCode.STATUS_FINAL, _("The case is closed as deceased."), field="status")
    since = since or timezone.now()
    if since > timezone.now() + timedelta(minutes=5):
        raise DomainError(CaseErrorCode.DATE_IN_FUTURE, _("This date is in the future."), field="since")
    if since < case.confirmed_at - timedelta(days=1):
        raise DomainError(CaseErrorCode.STATUS_DATE, _("The status date is before the confirmation."), field="since")
    case.status = status
    case.status_since = since
    case.changed_by = by
    case.save(update_fields=["status", "status_since", "changed_by", "changed_at"])
    CaseStatusChange.objects.create(case=case, status=status, since=since, note=note[:300], changed_by=by)
    audit_record(actor=by, action="case.status", object_type="case", object_id=case.pk, person_id=case.person_id,
                 detail={"status": status})
    return case


@transaction.atomic
def cluster_create(*, name: str, kind: str, source_description: str = "", commune=None,
                   opened_on: date | None = None, by) -> Cluster:
    require_perm(by, Perm.CASES_EDIT)
    name = (name or "").strip()
    if not name:
        raise DomainError(CaseErrorCode.CLUSTER_NAME_REQUIRED, _("A cluster needs a name."), field="name")
    if kind not in ClusterKind.values:
        raise DomainError(CaseErrorCode.CLUSTER_KIND_INVALID, _("Unknown kind of cluster."), field="kind")
    opened_on = opened_on or timezone.localdate()
    if opened_on > timezone.localdate():
        raise DomainError(CaseErrorCode.DATE_IN_FUTURE, _("This date is in the future."), field="opened_on")
    cluster = Cluster.objects.create(name=name[:200], kind=kind, source_description=source_description,
                                     commune=commune, opened_on=opened_on, created_by=by, changed_by=by)
    audit_record(actor=by, action="cluster.create", object_type="cluster", object_id=cluster.pk, detail={"name": name})
    return cluster


@transaction.atomic
def case_add_to_cluster(*, case: Case, cluster: Cluster | None, by) -> Case:
    require_perm(by, Perm.CASES_EDIT)
    if not _person_visible(by, case.person):
        raise NotFound(CaseErrorCode.NOT_FOUND, _("Case not found."))
    case.cluster = cluster
    case.changed_by = by
    case.save(update_fields=["cluster", "changed_by", "changed_at"])
    audit_record(actor=by, action="case.cluster", object_type="case", object_id=case.pk, person_id=case.person_id,
                 detail={"cluster": str(cluster.pk) if cluster else ""})
    return case
