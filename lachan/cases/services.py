"""Writes for cases: confirm an F0, move its status, group cases into clusters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_person, is_system
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.parsers import text_field
from lachan.core.policies import policy_rules
from lachan.core.updates import model_update
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.models import Person

from .access import require_perm
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
from .scope import case_scope_q, cluster_scope_q

RECONFIRM_AFTER_DAYS = 90  # a new confirmation within this time is the same infection
DEFAULT_DAYS_BEFORE_ONSET = 2
CLUSTER_FIELDS = ("name", "kind", "source_description", "commune")
SOURCE_MAX = 2000
MAX_CODES = 200  # case codes added to a cluster at once
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


def _person_visible(user, person: Person) -> bool:
    if is_system(user):
        return True
    return Person.objects.active().filter(scope_for(user).person_q(), pk=person.pk).exists()


def infectious_days_before(on: date) -> int:
    """The policy's days before onset (or sample); the tracing policy owns the number."""
    rules = policy_rules("tracing", on)
    if rules is None:
        return DEFAULT_DAYS_BEFORE_ONSET
    return int(rules.get("infectious_days_before_onset", DEFAULT_DAYS_BEFORE_ONSET))


def infectious_window_start(*, onset_date: date | None, sample_date: date) -> date:
    anchor = onset_date or sample_date
    return anchor - timedelta(days=infectious_days_before(anchor))


def _code_prefix(person: Person) -> str:
    parts = (person.commune.path or "").split("/")
    province = parts[1] if len(parts) > 1 else "00"
    return f"F0-{province}-"


def _last_number(prefix: str) -> int:
    last = Case.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    return int(last.rsplit("-", 1)[1]) if last else 0


def _next_code(person: Person) -> str:
    prefix = _code_prefix(person)
    return f"{prefix}{_last_number(prefix) + 1:06d}"


def _check_confirmation(*, person: Person | None, onset_date: date | None, sample_date: date | None, origin: str,
                        confirmed_at: datetime, now: datetime, by) -> None:
    """The checks of a new F0 that need no lock (DomainError for the first problem)."""
    if person is None or person.merged_into_id or not _person_visible(by, person):
        raise NotFound(CaseErrorCode.PERSON_NOT_FOUND, _("Person not found."), field="person")
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


def _check_not_a_case(person: Person, previous: Case | None, confirmed_at: datetime) -> None:
    if previous is not None and (
        previous.status in ACTIVE_STATUSES or previous.confirmed_at > confirmed_at - timedelta(days=RECONFIRM_AFTER_DAYS)
    ):
        raise DomainError(
            CaseErrorCode.ALREADY_CASE,
            _("%(name)s is already case %(code)s (confirmed %(date)s).")
            % {"name": person.full_name, "code": previous.code, "date": timezone.localdate(previous.confirmed_at)},
            field="person",
        )


def _new_case(*, person: Person, commune_id: int, onset_date: date | None, sample_date: date, origin: str,
              confirmed_at: datetime, notes: str, code: str, by) -> Case:
    status = CaseStatus.ISOLATING_FACILITY if origin == CaseOrigin.IN_QUARANTINE else CaseStatus.ISOLATING_HOME
    return Case(person=person, commune_id=commune_id, code=code, confirmed_at=confirmed_at, onset_date=onset_date,
                sample_date=sample_date, origin=origin, status=status, status_since=confirmed_at,
                infectious_from=infectious_window_start(onset_date=onset_date, sample_date=sample_date),
                isolated_at=confirmed_at, notes=notes, created_by=as_user(by), changed_by=as_user(by))


def _confirmed(cases: list[Case], *, by) -> None:
    """What follows the rows of new cases: their first status and the audit trail."""
    CaseStatusChange.objects.bulk_create([CaseStatusChange(case=case, status=case.status, since=case.confirmed_at,
                                                           note=_("confirmed"), changed_by=as_user(by)) for case in cases])
    for case in cases:
        audit_record(actor=by, action="case.confirm", object_type="case", object_id=case.pk, person_id=case.person_id,
                     detail={"code": case.code, "origin": case.origin})


@transaction.atomic
def case_confirm(
    *, person: Person, onset_date: date | None, sample_date: date | None, origin: str,
    confirmed_at: datetime | None = None, notes: str = "", by,
) -> Case:
    """A new F0. The infectious window follows the tracing policy in force; isolation defaults to now."""
    require_perm(by, Perm.CASES_EDIT)
    now = timezone.now()
    confirmed_at = confirmed_at or now
    _check_confirmation(person=person, onset_date=onset_date, sample_date=sample_date, origin=origin,
                        confirmed_at=confirmed_at, now=now, by=by)
    # Lock the person so two simultaneous confirmations cannot both pass the check below.
    # The commune is read under the lock: the case's is the person's as it is now.
    commune_id = Person.objects.select_for_update().filter(pk=person.pk).values_list("commune_id", flat=True).first()
    _check_not_a_case(person, Case.objects.filter(person=person).order_by("-confirmed_at").first(), confirmed_at)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = _new_case(person=person, commune_id=commune_id, onset_date=onset_date, sample_date=sample_date,
                                 origin=origin, confirmed_at=confirmed_at, notes=notes, code=_next_code(person), by=by)
                case.save(force_insert=True)
            break
        except IntegrityError:  # two confirmations took the same number; take the next
            continue
    else:  # pragma: no cover
        raise DomainError(CaseErrorCode.ALREADY_CASE, _("Could not number the case; try again."))
    _confirmed([case], by=by)
    return case


@dataclass(frozen=True)
class CaseToConfirm:
    person: Person
    sample_date: date
    origin: str
    confirmed_at: datetime
    notes: str = ""
    onset_date: date | None = None


@transaction.atomic
def cases_confirm_many(*, items: list[CaseToConfirm], by) -> list[Case]:
    """Many new F0s at once (a lab file's positives), as case_confirm would confirm each, with a few queries
    for all. All or nothing: a DomainError names the item it is about (params["index"])."""
    require_perm(by, Perm.CASES_EDIT)
    if not items:
        return []
    now = timezone.now()
    for index, item in enumerate(items):
        try:
            _check_confirmation(person=item.person, onset_date=item.onset_date, sample_date=item.sample_date,
                                origin=item.origin, confirmed_at=item.confirmed_at, now=now, by=by)
        except DomainError as exc:
            exc.params["index"] = index
            raise
    ids = [item.person.pk for item in items]
    seen: set = set()
    for index, pk in enumerate(ids):
        if pk in seen:
            raise DomainError(CaseErrorCode.ALREADY_CASE, _("A person is named twice."), field="person", index=index)
        seen.add(pk)
    communes = dict(Person.objects.select_for_update().filter(pk__in=ids).values_list("pk", "commune_id"))
    latest: dict = {}
    for case in Case.objects.filter(person_id__in=ids).order_by("-confirmed_at"):
        latest.setdefault(case.person_id, case)
    for index, item in enumerate(items):
        try:
            _check_not_a_case(item.person, latest.get(item.person.pk), item.confirmed_at)
        except DomainError as exc:
            exc.params["index"] = index
            raise
    for _attempt in range(5):
        numbers: dict[str, int] = {}
        cases = []
        for item in items:
            prefix = _code_prefix(item.person)
            if prefix not in numbers:
                numbers[prefix] = _last_number(prefix)
            numbers[prefix] += 1
            cases.append(_new_case(person=item.person, commune_id=communes[item.person.pk], onset_date=item.onset_date,
                                   sample_date=item.sample_date, origin=item.origin, confirmed_at=item.confirmed_at, notes=item.notes,
                                   code=f"{prefix}{numbers[prefix]:06d}", by=by))
        try:
            with transaction.atomic():
                Case.objects.bulk_create(cases)
            break
        except IntegrityError:  # another confirmation took a number meanwhile; number again
            continue
    else:  # pragma: no cover
        raise DomainError(CaseErrorCode.ALREADY_CASE, _("Could not number the case; try again."))
    _confirmed(cases, by=by)
    return cases


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
    case.changed_by = as_user(by)
    case.save(update_fields=["status", "status_since", "changed_by", "changed_at"])
    CaseStatusChange.objects.create(case=case, status=status, since=since, note=note[:300], changed_by=as_user(by))
    audit_record(actor=by, action="case.status", object_type="case", object_id=case.pk, person_id=case.person_id,
                 detail={"status": status})
    return case


def _cluster_text(value, *, field: str, limit: int, lines: bool = False) -> str:
    return text_field(value, field=field, limit=limit, code=CaseErrorCode.CLUSTER_TEXT_TOO_LONG, lines=lines)


def _cluster_name(value) -> str:
    name = _cluster_text(value, field="name", limit=200)
    if not name:
        raise DomainError(CaseErrorCode.CLUSTER_NAME_REQUIRED, _("A cluster needs a name."), field="name")
    return name


def _cluster_reason(value) -> str:
    reason = _cluster_text(value, field="reason", limit=300)
    if not reason:
        raise DomainError(CaseErrorCode.CLUSTER_REASON_REQUIRED, _("Give the reason."), field="reason")
    return reason


def _cluster_kind(value) -> str:
    if value not in ClusterKind.values:
        raise DomainError(CaseErrorCode.CLUSTER_KIND_INVALID, _("Unknown kind of cluster."), field="kind")
    return value


def _cluster_commune(value, *, by) -> AdminUnit:
    """A commune of the deployment's tree (unit, pk or official code) inside the actor's jurisdiction."""
    unit = None
    if isinstance(value, AdminUnit):
        unit = value
    elif isinstance(value, int) or (isinstance(value, str) and value.strip()):
        lookup = {"pk": value} if isinstance(value, int) else {"code": value.strip()}
        unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, **lookup).first()
    if unit is None or unit.level != AdminLevel.COMMUNE:
        raise DomainError(CaseErrorCode.CLUSTER_COMMUNE_REQUIRED, _("Choose the commune of the cluster."),
                          field="commune")
    if not is_system(by) and not unit_in_scope(scope_for(by), unit):
        raise DomainError(CaseErrorCode.CLUSTER_COMMUNE_OUT_OF_SCOPE,
                          _("%(commune)s is outside your jurisdiction.") % {"commune": unit.label}, field="commune")
    return unit


def cluster_managed_by(cluster: Cluster, user) -> bool:
    """Whether the user's jurisdiction holds the cluster's commune: only it edits, closes and reopens the
    cluster; others who see it through their residents' cases may add their cases to it."""
    if is_system(user):
        return True
    if not is_person(user):
        return False
    return cluster.commune is None or unit_in_scope(scope_for(user), cluster.commune)


def _cluster_locked(cluster: Cluster, by, *, manage: bool = True) -> Cluster:
    """The cluster re-read under a row lock, if the actor may see it (else 404, as for a read) and,
    with `manage`, if it lies in the actor's jurisdiction (else 403)."""
    current = Cluster.objects.select_for_update().filter(cluster_scope_q(by), pk=cluster.pk).first()
    if current is None:
        raise NotFound(CaseErrorCode.CLUSTER_NOT_FOUND, _("Cluster not found."))
    if manage and not cluster_managed_by(current, by):
        raise PermissionDenied(CaseErrorCode.CLUSTER_NOT_MANAGED,
                               _("Only the health service of %(commune)s's jurisdiction can change this cluster.")
                               % {"commune": current.commune.label})
    return current


def _refuse_closed(cluster: Cluster) -> None:
    if cluster.closed_on is not None:
        raise DomainError(CaseErrorCode.CLUSTER_CLOSED,
                          _("The cluster was closed on %(date)s; reopen it first.")
                          % {"date": cluster.closed_on.strftime("%d/%m/%Y")}, field="cluster")


@transaction.atomic(durable=True)
def cluster_create(*, name: str, kind: str, source_description: str = "", commune=None,
                   opened_on: date | None = None, by) -> Cluster:
    require_perm(by, Perm.CASES_EDIT)
    name = _cluster_name(name)
    kind = _cluster_kind(kind)
    unit = _cluster_commune(commune, by=by)
    source = _cluster_text(source_description, field="source_description", limit=SOURCE_MAX, lines=True)
    opened_on = opened_on or timezone.localdate()
    if opened_on > timezone.localdate():
        raise DomainError(CaseErrorCode.DATE_IN_FUTURE, _("This date is in the future."), field="opened_on")
    cluster = Cluster.objects.create(name=name, kind=kind, source_description=source,
                                     commune=unit, opened_on=opened_on, created_by=as_user(by), changed_by=as_user(by))
    audit_record(actor=by, action="cluster.create", object_type="cluster", object_id=cluster.pk,
                 detail={"name": name, "kind": kind, "commune": unit.code})
    return cluster


@transaction.atomic(durable=True)
def cluster_update(*, cluster: Cluster, by, **changes: Any) -> Cluster:
    """Change the given fields among CLUSTER_FIELDS."""
    require_perm(by, Perm.CASES_EDIT)
    unknown = sorted(set(changes) - set(CLUSTER_FIELDS))
    if unknown:
        raise DomainError(CaseErrorCode.CLUSTER_FIELD_UNKNOWN,
                          _("%(field)s cannot be changed.") % {"field": unknown[0]}, field=unknown[0])
    current = _cluster_locked(cluster, by)
    cleaned: dict[str, Any] = {}
    if "name" in changes:
        cleaned["name"] = _cluster_name(changes["name"])
    if "kind" in changes:
        cleaned["kind"] = _cluster_kind(changes["kind"])
    if "source_description" in changes:
        cleaned["source_description"] = _cluster_text(changes["source_description"], field="source_description",
                                                     limit=SOURCE_MAX, lines=True)
    if "commune" in changes:
        cleaned["commune"] = _cluster_commune(changes["commune"], by=by)
    changed = model_update(current, cleaned, changed_by=as_user(by))
    if changed:
        audit_record(actor=by, action="cluster.update", object_type="cluster", object_id=current.pk,
                     detail={"fields": changed})
    return current


@transaction.atomic(durable=True)
def cluster_close(*, cluster: Cluster, closed_on: date | None, reason: str, by) -> Cluster:
    """Close the cluster on a day: not in the future, not before it opened nor before its last case.
    Active cases do not block closing (the pages warn about them)."""
    require_perm(by, Perm.CASES_EDIT)
    current = _cluster_locked(cluster, by)
    if current.closed_on is not None:
        raise DomainError(CaseErrorCode.CLUSTER_ALREADY_CLOSED, _("The cluster is already closed."),
                          field="closed_on")
    if closed_on is None:
        raise DomainError(CaseErrorCode.CLUSTER_CLOSE_DATE_REQUIRED, _("Enter the date the cluster closed."),
                          field="closed_on")
    if closed_on > timezone.localdate():
        raise DomainError(CaseErrorCode.DATE_IN_FUTURE, _("This date is in the future."), field="closed_on")
    if closed_on < current.opened_on:
        raise DomainError(CaseErrorCode.CLUSTER_CLOSE_BEFORE_OPEN,
                          _("The cluster opened on %(date)s; it cannot close before.")
                          % {"date": current.opened_on.strftime("%d/%m/%Y")}, field="closed_on")
    last = Case.objects.filter(cluster=current).aggregate(last=Max("confirmed_at"))["last"]
    if last is not None and closed_on < timezone.localdate(last):
        raise DomainError(CaseErrorCode.CLUSTER_CLOSE_BEFORE_LAST_CASE,
                          _("Its last case was confirmed on %(date)s; the cluster cannot close before.")
                          % {"date": timezone.localdate(last).strftime("%d/%m/%Y")}, field="closed_on")
    reason = _cluster_reason(reason)
    current.closed_on = closed_on
    current.closed_reason = reason
    current.changed_by = as_user(by)
    current.save()
    audit_record(actor=by, action="cluster.close", object_type="cluster", object_id=current.pk,
                 detail={"closed_on": closed_on.isoformat(), "reason": reason})
    return current


@transaction.atomic(durable=True)
def cluster_reopen(*, cluster: Cluster, reason: str, by) -> Cluster:
    """A closed cluster with a new case is reopened; the closing and the reason are kept in the audit trail."""
    require_perm(by, Perm.CASES_EDIT)
    current = _cluster_locked(cluster, by)
    if current.closed_on is None:
        raise DomainError(CaseErrorCode.CLUSTER_NOT_CLOSED, _("The cluster is open."), field="reason")
    reason = _cluster_reason(reason)
    detail = {"was_closed_on": current.closed_on.isoformat(), "closed_reason": current.closed_reason,
              "reason": reason}
    current.closed_on = None
    current.closed_reason = ""
    current.changed_by = as_user(by)
    current.save()
    audit_record(actor=by, action="cluster.reopen", object_type="cluster", object_id=current.pk, detail=detail)
    return current


def parse_case_codes(codes: str | Iterable[str]) -> list[str]:
    """Codes typed or pasted: separated by spaces, commas, semicolons or lines; upper-cased, each once."""
    parts = [codes] if isinstance(codes, str) else list(codes or [])
    seen: dict[str, None] = {}
    for part in parts:
        for code in _CODE_SEPARATORS.split(str(part or "")):
            if code:
                seen.setdefault(code.upper(), None)
    return list(seen)


@transaction.atomic(durable=True)
def cluster_add_cases(*, cluster: Cluster, codes: str | Iterable[str], move: bool = False, by) -> list[Case]:
    """Put cases (by code) into the cluster: all of them or, if any code is bad, none.
    A case already in another cluster is moved only when `move` is set."""
    require_perm(by, Perm.CASES_EDIT)
    current = _cluster_locked(cluster, by, manage=False)  # a case of one's own may join anyone's cluster
    _refuse_closed(current)
    wanted = parse_case_codes(codes)
    if not wanted:
        raise DomainError(CaseErrorCode.CLUSTER_CODES_REQUIRED, _("Enter at least one case code."), field="codes")
    if len(wanted) > MAX_CODES:
        raise DomainError(CaseErrorCode.CLUSTER_TOO_MANY_CODES,
                          _("At most %(n)d case codes at once.") % {"n": MAX_CODES}, field="codes")
    visible = Case.objects.filter(code__in=wanted)
    if not is_system(by):
        visible = visible.filter(case_scope_q(scope_for(by)))
    found = {c.code: c for c in visible.select_for_update(of=("self",))}
    others = dict(Cluster.objects.filter(
        pk__in={c.cluster_id for c in found.values() if c.cluster_id not in (None, current.pk)}
    ).values_list("pk", "name"))
    errors: list[DomainError] = []
    for code in wanted:
        case = found.get(code)
        if case is None:  # unknown or outside the jurisdiction: the same answer, nothing revealed
            errors.append(DomainError(CaseErrorCode.CLUSTER_CASE_NOT_FOUND,
                                      _("No case %(code)s in your jurisdiction.") % {"code": code},
                                      field="codes", case_code=code))
        elif case.cluster_id in others and not move:
            errors.append(DomainError(CaseErrorCode.CLUSTER_CASE_IN_OTHER,
                                      _("%(code)s is already in the cluster %(cluster)s.")
                                      % {"code": code, "cluster": others[case.cluster_id]},
                                      field="codes", case_code=code))
    if errors:
        raise ValidationFailed(errors)
    added = [found[code] for code in wanted if found[code].cluster_id != current.pk]
    now = timezone.now()
    for case in added:
        previous = case.cluster_id
        case.cluster = current
        case.changed_by = as_user(by)
        case.changed_at = now
        audit_record(actor=by, action="case.cluster", object_type="case", object_id=case.pk, person_id=case.person_id,
                     detail={"cluster": str(current.pk), "from": str(previous or "")})
    Case.objects.bulk_update(added, ["cluster", "changed_by", "changed_at"])
    return added


@transaction.atomic(durable=True)
def case_add_to_cluster(*, case: Case, cluster: Cluster | None, by) -> Case:
    require_perm(by, Perm.CASES_EDIT)
    if not _person_visible(by, case.person):
        raise NotFound(CaseErrorCode.NOT_FOUND, _("Case not found."))
    if cluster is not None and cluster.pk != case.cluster_id:
        _refuse_closed(_cluster_locked(cluster, by, manage=False))
    case.cluster = cluster
    case.changed_by = as_user(by)
    case.save(update_fields=["cluster", "changed_by", "changed_at"])
    audit_record(actor=by, action="case.cluster", object_type="case", object_id=case.pk, person_id=case.person_id,
                 detail={"cluster": str(cluster.pk) if cluster else ""})
    return case
