"""What follows a released laboratory result (DESIGN §4: positive result → case → tracing → quarantine →
notify), for a result entered by hand, a corrected one or a whole file.

Inside the laboratory (lachan.labs.results): each swab's outcome (a negative pool is negative for everyone in
it, a positive pool sends every member to an individual re-test, listed for their commune's station) and one
message per person through the outbox. Here, across domains: an individual positive confirms an F0 for that
person — once, however many positives arrive: a person with a current case gets no second one, the result is
linked to it — and the new cases are traced together. All in one transaction: a failure anywhere leaves no
result, no case and no message (the outbox sends after commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import system_actor
from lachan.accounts.audit import audit_record
from lachan.cases.models import ACTIVE_STATUSES, Case, CaseOrigin
from lachan.cases.services import RECONFIRM_AFTER_DAYS, CaseToConfirm, cases_confirm_many
from lachan.core.errors import DomainError
from lachan.labs.models import ColumnMapping, Laboratory, ResultImport, Sample, Swab, SwabReason
from lachan.labs.results import imports, result_correct, result_enter, result_release
from lachan.labs.results.release import PositiveSwab, Released, swabs_link_case
from lachan.people.models import Person
from lachan.quarantine.models import Order as QuarantineOrder
from lachan.quarantine.models import OrderKind
from lachan.tracing.models import CallStatus, Contact, Tier

from ..case_confirmation.services import cases_trace_and_notify

# Until the quarantine module (issue 5): an F1 marked quarantined whose last exposure is this recent when the
# sample is taken is in quarantine, so a positive is "detected in quarantine", not a community case.
QUARANTINE_DAYS = 14


@dataclass
class FollowUp:
    confirmed: list[Case] = field(default_factory=list)  # new cases
    linked: int = 0  # positives linked to a case the person already had
    notified_contacts: int = 0  # F1 and exposure notices queued by the tracing

    def counts(self) -> dict[str, int]:
        return {"cases": len(self.confirmed), "linked": self.linked, "contacts_notified": self.notified_contacts}


@dataclass
class ResultOutcome:
    sample: Sample
    released: Released | None
    follow_up: FollowUp


@dataclass
class ImportOutcome:
    record: ResultImport  # applied, or refused with its errors
    follow_up: FollowUp | None = None

    @property
    def ok(self) -> bool:
        return self.record.status == "applied"


def _current_case(cases: list[Case], at: datetime) -> Case | None:
    """The person's case a new positive belongs to (as case_confirm decides: active, or confirmed recently)."""
    for case in cases:  # newest first
        if case.status in ACTIVE_STATUSES or case.confirmed_at > at - timedelta(days=RECONFIRM_AFTER_DAYS):
            return case
    return None


def _in_quarantine(person_ids: list[UUID], first_sample: dict[UUID, datetime]) -> set[UUID]:
    """People in quarantine when their positive sample was taken: under a quarantine order that covered that
    day, or F1 contacts marked quarantined on the call list (before orders were made), recently exposed."""
    earliest = min(first_sample.values()) - timedelta(days=QUARANTINE_DAYS)
    found = set()
    for person_id, starts_on, ends_on, ended_on in QuarantineOrder.objects.filter(
            person_id__in=person_ids, kind=OrderKind.QUARANTINE,
            starts_on__lte=timezone.localdate(max(first_sample.values())),
    ).values_list("person_id", "starts_on", "ends_on", "ended_on"):
        day = timezone.localdate(first_sample[person_id])
        if starts_on <= day <= min(ends_on, ended_on or ends_on):
            found.add(person_id)
    for person_id, exposed_at, called_at in Contact.objects.filter(
            person_id__in=person_ids, tier=Tier.F1, call_status=CallStatus.QUARANTINED, exposed_at__gte=earliest
    ).values_list("person_id", "exposed_at", "called_at"):
        taken = first_sample[person_id]
        if exposed_at >= taken - timedelta(days=QUARANTINE_DAYS) and (called_at is None or called_at <= taken):
            found.add(person_id)
    return found


def cases_from_positives(positives: list[PositiveSwab], *, laboratory: str, by, now: datetime,
                         trace: bool = True) -> FollowUp:
    """Individual positives → one case per person (new, or the one they have), each result linked to it; the
    new cases traced together. Case confirmation here is system work: the released result is its authority
    (laboratory staff confirm no case by hand); the actor is kept in the audit trail."""
    follow = FollowUp()
    if not positives:
        return follow
    people = {p.pk: p for p in Person.objects.select_related("commune").filter(pk__in={s.person_id for s in positives})}
    kept_ids = {p.merged_into_id for p in people.values() if p.merged_into_id}
    if kept_ids:  # a swab registered before its person was merged counts for the person kept
        people.update({p.pk: p for p in Person.objects.select_related("commune").filter(pk__in=kept_ids)})

    def person_of(pid: UUID) -> Person:
        person = people[pid]
        while person.merged_into_id and person.merged_into_id in people:
            person = people[person.merged_into_id]
        return person

    first: dict[UUID, PositiveSwab] = {}
    for swab in sorted(positives, key=lambda s: s.collected_at):
        first.setdefault(person_of(swab.person_id).pk, swab)
    existing: dict[UUID, list[Case]] = {}
    for case in Case.objects.filter(person_id__in=list(first)).order_by("-confirmed_at"):
        existing.setdefault(case.person_id, []).append(case)
    quarantined = _in_quarantine(list(first), {pid: s.collected_at for pid, s in first.items()})
    case_of: dict[UUID, Case] = {}
    to_confirm: list[tuple[UUID, PositiveSwab]] = []
    for person_id, swab in first.items():
        case = _current_case(existing.get(person_id, []), now)
        if case is not None:
            case_of[person_id] = case
        else:
            to_confirm.append((person_id, swab))
    # A tube taken for symptoms makes a symptomatic case: its onset is the sample's day at the latest (the station
    # corrects it from the interview); the infectious window counts from two days before it.
    with_symptoms = set(Swab.objects.filter(pk__in=[swab.swab_id for _pid, swab in to_confirm],
                                            reason=SwabReason.SYMPTOMS).values_list("pk", flat=True))
    items = [CaseToConfirm(
        person=people[person_id], sample_date=timezone.localdate(swab.collected_at),
        onset_date=timezone.localdate(swab.collected_at) if swab.swab_id in with_symptoms else None,
        origin=CaseOrigin.IN_QUARANTINE if person_id in quarantined else CaseOrigin.COMMUNITY, confirmed_at=now,
        notes=_("Confirmed from the positive sample %(code)s (%(lab)s).") % {"code": swab.sample_code, "lab": laboratory})
        for person_id, swab in to_confirm]
    try:
        confirmed = cases_confirm_many(items=items, by=system_actor("labs.result_confirms_case"))
    except DomainError as exc:
        swab = to_confirm[exc.params.get("index", 0)][1]
        raise DomainError(exc.code, _("Sample %(code)s: the case cannot be confirmed: %(error)s")
                          % {"code": swab.sample_code, "error": exc.message}, field="code",
                          sample=swab.sample_code) from exc
    for (person_id, swab), case in zip(to_confirm, confirmed, strict=True):
        case_of[person_id] = case
        follow.confirmed.append(case)
        audit_record(actor=by, action="labs.case_confirm", object_type="case", object_id=case.pk, person_id=person_id,
                     detail={"case": case.code, "sample": swab.sample_code})
    links = {s.swab_id: case_of[person_of(s.person_id).pk].pk for s in positives}
    swabs_link_case(links=links)
    follow.linked = sum(1 for s in positives if case_of[person_of(s.person_id).pk] not in follow.confirmed)
    if trace and follow.confirmed:
        follow.notified_contacts = _trace(follow.confirmed, now=now)
    return follow


def _trace(cases: list[Case], *, now: datetime) -> int:
    """The one place new cases from results are traced (all of a file's together)."""
    traced = cases_trace_and_notify(cases=cases, by=system_actor("labs.result_traces_case"), now=now)
    return sum(c.notified for c in traced)


def _lab_name(sample: Sample) -> str:
    return str(sample.laboratory) if sample.laboratory_id else ""


# ---- entry points ---------------------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def lab_result_enter(*, sample: Sample, result: str, ct_value: float | None = None, tested_at: datetime | None = None,
                     release: bool = True, by, now: datetime | None = None, trace: bool = True) -> ResultOutcome:
    """A result entered by hand, released at once (or later with lab_result_release)."""
    return _lab_result_enter(sample=sample, result=result, ct_value=ct_value, tested_at=tested_at, release=release,
                             by=by, now=now, trace=trace)


def _lab_result_enter(*, sample: Sample, result: str, ct_value: float | None, tested_at: datetime | None,
                      release: bool, by, now: datetime | None, trace: bool) -> ResultOutcome:
    """lab_result_enter's work, in the caller's transaction (a test rolls it back: nothing is sent, nothing kept)."""
    now = now or timezone.now()
    sample, released = result_enter(sample=sample, result=result, ct_value=ct_value, tested_at=tested_at,
                                    release=release, by=by, now=now)
    follow = FollowUp()
    if released is not None:
        follow = cases_from_positives(released.positives, laboratory=_lab_name(sample), by=by, now=now, trace=trace)
    return ResultOutcome(sample=sample, released=released, follow_up=follow)


@transaction.atomic(durable=True)
def lab_result_release(*, sample: Sample, by, now: datetime | None = None, trace: bool = True) -> ResultOutcome:
    now = now or timezone.now()
    released = result_release(sample=sample, by=by, now=now)
    sample.refresh_from_db()
    follow = cases_from_positives(released.positives, laboratory=_lab_name(sample), by=by, now=now, trace=trace)
    return ResultOutcome(sample=sample, released=released, follow_up=follow)


@transaction.atomic(durable=True)
def lab_result_correct(*, sample: Sample, result: str, ct_value: float | None = None, reason: str, by,
                       now: datetime | None = None, trace: bool = True) -> ResultOutcome:
    """A released result corrected (with its reason). Corrected to an individual positive, the person's case
    follows as for any positive; a case confirmed from the old result is left to the epidemiologists, put before
    them by the operations centre's feed ("result_corrected")."""
    now = now or timezone.now()
    sample, released = result_correct(sample=sample, result=result, ct_value=ct_value, reason=reason, by=by, now=now)
    follow = cases_from_positives(released.positives, laboratory=_lab_name(sample), by=by, now=now, trace=trace)
    return ResultOutcome(sample=sample, released=released, follow_up=follow)


def lab_results_import(*, laboratory: Laboratory, data: bytes, filename: str, mapping: ColumnMapping | None = None,
                       release: bool = True, by, now: datetime | None = None, trace: bool = True) -> ImportOutcome:
    """A lab's result file: every row checked; all applied with what follows, or nothing (the refused file
    kept with its row errors). AlreadyImported for a file this laboratory applied before. `trace=False`
    leaves the new cases untraced: for measuring the import alone, not for use."""
    now = now or timezone.now()
    checked = imports.import_check(laboratory=laboratory, data=data, filename=filename, mapping=mapping, by=by, now=now)
    if not checked.ok:
        return ImportOutcome(record=imports.import_refused(checked=checked, by=by))
    try:
        with transaction.atomic(durable=True):
            record, released = imports.import_apply(checked=checked, release=release, by=by, now=now)
            follow = FollowUp()
            if released is not None:
                follow = cases_from_positives(released.positives, laboratory=str(laboratory), by=by, now=now,
                                              trace=trace)
                imports.import_summary_add(result_import=record, counts=follow.counts())
    except imports.AlreadyImported:
        raise
    except DomainError as exc:  # what follows failed (e.g. a case cannot be confirmed): nothing was kept
        code = exc.params.get("sample", "")
        rows = {r[4]: r[7] for r in checked.apply}
        checked.errors = [imports.RowError(rows.get(code, 0), exc.field or "", str(exc.message), code=code)]
        return ImportOutcome(record=imports.import_refused(checked=checked, by=by))
    return ImportOutcome(record=record, follow_up=follow)


@transaction.atomic(durable=True)
def lab_import_release(*, result_import: ResultImport, by, now: datetime | None = None,
                       trace: bool = True) -> FollowUp:
    """Release the results of a file imported as tested, with what follows."""
    now = now or timezone.now()
    released = imports.import_release(result_import=result_import, by=by, now=now)
    follow = cases_from_positives(released.positives, laboratory=str(result_import.laboratory), by=by, now=now,
                                  trace=trace)
    result_import.refresh_from_db()
    imports.import_summary_add(result_import=result_import, counts=follow.counts())
    return follow

