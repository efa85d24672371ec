"""Results: entered by hand for one sample or applied from a lab file (lachan.labs.imports), released in one
step or two (tested, then released), corrected only explicitly with a reason.

A released sample's result becomes each swab's outcome (a negative pool: negative for everyone in it; a
positive pool: an individual re-test for everyone), each person is told through the outbox and the audit
trail gets one event per person. What follows beyond the laboratory (a positive person becomes a case and is
traced) is the workflow lachan.workflows.lab_results, which calls these services.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.roles import Perm
from lachan.core import request_context
from lachan.core.db import chunked, db_datetime, is_postgresql, placeholders
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.text import fold
from lachan.notifications.services import notification_queue_many
from lachan.people.identity import MOBILE_NUMBER
from lachan.people.models import Person

from .access import require_perm, user_laboratory
from .errors import LabErrorCode
from .models import (
    RETEST_OUTCOMES,
    VOIDING_OUTCOMES,
    Laboratory,
    Result,
    ResultCorrection,
    Sample,
    SampleStatus,
    Swab,
    SwabOutcome,
    SwabReason,
    TestType,
)
from .policy import lab_rules

RESULT_LOOKUP_PATH = "/ket-qua/"  # the citizens' result look-up page (sample code + date of birth)
CLOCK_SKEW = timedelta(minutes=5)  # a lab machine's clock a little ahead is not "in the future"
REASON_MAX = 300
BATCH = 5000
TEMPLATES = {
    SwabOutcome.NEGATIVE: "labs.result_negative",
    SwabOutcome.POSITIVE: "labs.result_positive",
    SwabOutcome.RETEST: "labs.pool_retest",
    SwabOutcome.INCONCLUSIVE: "labs.result_inconclusive",
}


def outcome_for(result: str, pooled: bool) -> str:
    """A person's outcome from their sample's result."""
    if result == Result.NEGATIVE:
        return SwabOutcome.NEGATIVE
    if result == Result.POSITIVE:
        return SwabOutcome.RETEST if pooled else SwabOutcome.POSITIVE
    return SwabOutcome.INCONCLUSIVE


# ---- validation, shared by the form, the API and the file import ---------------------------------------

@dataclass(frozen=True)
class SampleFacts:
    """What a result is checked against (a Sample, or a row of the import's look-up)."""

    status: str
    test_type: str
    collected_at: datetime
    swabs: int
    laboratory_id: UUID | None


_NO_CT = {"", "n a", "na", "undetermined", "undet", "khong xac dinh", "kxd", "none", "neg", "negative", "am tinh"}


def parse_ct(raw) -> float | None:
    """A Ct value as labs write it ("25.3", "25,3", 25.3); blank, "-", "N/A", "KXĐ", "undetermined", ">40": none.
    ValueError when it is something else."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", ".")
        if text.startswith(">") or fold(text) in _NO_CT or text in ("-", "—"):
            return None  # ">40": nothing amplified within the cycles run
        value = float(text)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def result_problems(facts: SampleFacts, *, result: str, ct_value: float | None, tested_at: datetime | None,
                    laboratory: Laboratory | None, rules: dict, latest: datetime) -> list[tuple[str, str, str]]:
    """(code, field, message) for everything wrong with this result for this sample; empty when it may be
    recorded. `latest`: now plus the clock skew allowed."""
    problems = []
    if facts.status == SampleStatus.REJECTED:
        problems.append((LabErrorCode.SAMPLE_REJECTED, "code", _("This sample was rejected by the laboratory; it has no result.")))
    elif facts.swabs == 0:
        problems.append((LabErrorCode.NOT_COLLECTED, "code", _("No swab was registered in this sample: it was never collected.")))
    problems.extend(laboratory_problems(facts.laboratory_id, laboratory))
    if result not in Result.values:
        problems.append((LabErrorCode.RESULT_INVALID, "result", _("Choose positive, negative, inconclusive or invalid.")))
    if ct_value is not None:
        if facts.test_type != TestType.RT_PCR:
            problems.append((LabErrorCode.CT_NOT_ALLOWED, "ct_value", _("A rapid antigen test has no Ct value.")))
        elif not rules["ct_min"] <= ct_value <= rules["ct_max"]:
            problems.append((LabErrorCode.CT_OUT_OF_RANGE, "ct_value",
                             _("The Ct value must be between %(min)s and %(max)s.")
                             % {"min": _number(rules["ct_min"]), "max": _number(rules["ct_max"])}))
    if tested_at is not None:
        if tested_at > latest:
            problems.append((LabErrorCode.DATE_IN_FUTURE, "tested_at", _("The test date is in the future.")))
        elif tested_at < facts.collected_at:
            problems.append((LabErrorCode.DATE_BEFORE_COLLECTION, "tested_at",
                             _("The test date is before the sample was collected (%(date)s).")
                             % {"date": timezone.localtime(facts.collected_at).strftime("%d/%m/%Y %H:%M")}))
    return problems


def laboratory_problems(sample_laboratory_id: UUID | None, laboratory: Laboratory | None) -> list[tuple[str, str, str]]:
    """A laboratory acts only on tubes it received or that were sent to it: a tube sent to none is received
    first (which makes it theirs). Tube codes are sequential, so "no laboratory yet" would be any tube of the
    province. `laboratory` None: not lab staff (the province), whose reach is their jurisdiction."""
    if laboratory is None or sample_laboratory_id == laboratory.pk:
        return []
    if sample_laboratory_id is None:
        return [(LabErrorCode.NOT_RECEIVED, "code",
                 _("This laboratory has not received this sample: scan it on the reception page first."))]
    return [(LabErrorCode.OTHER_LABORATORY, "code", _("This sample was sent to another laboratory."))]


def _number(value: float) -> str:
    return f"{value:g}"


def _raise(problems) -> None:
    if problems:
        raise ValidationFailed([DomainError(code, message, field=f) for code, f, message in problems])


def facts_of(sample: Sample) -> SampleFacts:
    return SampleFacts(status=sample.status, test_type=sample.test_type, collected_at=sample.collected_at,
                       swabs=sample.swabs.count(), laboratory_id=sample.laboratory_id)


# ---- what a released result sets off inside the laboratory domain ------------------------------------------

@dataclass(frozen=True)
class PositiveSwab:
    """An individual positive: the workflow confirms (or links) that person's case."""

    swab_id: UUID
    person_id: UUID
    sample_id: UUID
    sample_code: str
    collected_at: datetime


@dataclass
class Released:
    samples: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # swabs per outcome
    notified: int = 0  # people told at once
    telling: int = 0  # people (swabs) whose telling was handed to a background task: a big file
    positives: list[PositiveSwab] = field(default_factory=list)


# A hand-entered result or a small file is told at once; a lab file that releases more swabs than this is
# told by background tasks (queued in the same transaction, so none is lost), each this many samples.
TELL_AT_ONCE_MAX = 2000
TELL_TASK_SAMPLES = 5000


def results_released(*, samples: dict[UUID, tuple[str, bool, str, datetime]], by, now: datetime,
                     detail: dict | None = None, import_id: UUID | None = None, corrected: bool = False) -> Released:
    """Samples whose result was just released — sample id → (code, pooled, result, collected at): each swab's
    outcome and the positives for the workflow; each person told through the outbox and one audit event per
    person (results_tell), at once for a few hundred people, else by background tasks queued here. Runs in
    the caller's transaction; `corrected` for a result released before (its swabs may carry flags and
    notified_at). Hand-written SQL, a few statements per batch of samples: a lab file releases
    50,000 tubes holding 250,000 people, where the ORM's per-row work cost more than the writes."""
    out = Released(samples=len(samples))
    native = _native_id
    by_key = {native(pk): (pk, *facts) for pk, facts in samples.items()}
    by_outcome: dict[str, list] = defaultdict(list)
    for key, (_pk, _code, pooled, result, _at) in by_key.items():
        by_outcome[outcome_for(result, pooled)].append(key)
    at = db_datetime(now)
    for outcome, keys in by_outcome.items():
        out.outcomes[outcome] = _swabs_set_outcome(outcome, keys, at, corrected=corrected)
    for swab_id, sample_key, person_id, _phone in _swabs_of(by_outcome.get(SwabOutcome.POSITIVE, [])):
        pk, code, _pooled, _result, collected_at = by_key[sample_key]
        out.positives.append(PositiveSwab(_uuid(swab_id), _uuid(person_id), pk, code, collected_at))
    people = sum(out.outcomes.values())
    if people <= TELL_AT_ONCE_MAX:
        out.notified, _reached = results_tell(sample_keys=list(by_key), by=by, detail=detail)
        return out
    from .tasks import results_tell_task  # tasks import these services

    ctx = request_context.current()
    actor_id = by.pk if getattr(by, "is_authenticated", False) else None
    for batch in chunked(sorted(str(pk) for pk in samples), TELL_TASK_SAMPLES):
        results_tell_task.enqueue(sample_ids=batch, actor_id=actor_id, detail=detail or {},
                                  import_id=str(import_id) if import_id else None,
                                  context={"ip": ctx.ip, "user_agent": ctx.user_agent, "path": ctx.path,
                                           "channel": ctx.channel})
    out.telling = people
    return out


def _swabs_set_outcome(outcome: str, keys: list, at, *, corrected: bool) -> int:
    """Each swab of these samples gets `outcome` (a corrected one is told again: notified_at cleared); the number
    of swabs. The flags the partial indexes read (voided, retest_due) are written only where they change, so that
    turning 250,000 pending swabs negative rewrites no index entry (PostgreSQL: HOT updates; SQLite: no index
    touched). Swabs of a sample released for the first time are pending, with no flag and never told."""
    assign = "outcome = %s, changed_at = %s" + (", notified_at = NULL" if corrected else "")
    if not corrected and outcome not in RETEST_OUTCOMES:
        return _swabs_update(assign, [outcome, at], "sample_id", keys)
    if outcome in RETEST_OUTCOMES:
        voided = "TRUE" if outcome in VOIDING_OUTCOMES else "FALSE"
        return _swabs_update(f"{assign}, voided = {voided}, retest_due = NOT retest_done", [outcome, at], "sample_id",
                             keys)
    # A correction from a re-test outcome: the few swabs with a flag set get it cleared.
    flagged = _swabs_update(f"{assign}, voided = FALSE, retest_due = FALSE", [outcome, at], "sample_id", keys,
                            where="(voided OR retest_due)")
    return flagged + _swabs_update(assign, [outcome, at], "sample_id", keys, where="NOT voided AND NOT retest_due")


def results_tell(*, sample_keys: list, by, detail: dict | None = None) -> tuple[int, int]:
    """Tell everyone swabbed in these released samples their own outcome: one message per person with a
    mobile number (sent after commit), swab.notified_at set for them, and one audit event per person (so a
    person's trail is complete). Swabs already told are skipped, so a task run twice tells nobody twice.
    Returns (people told by SMS, people handled). `sample_keys`: ids as the database gives them (or uuids)."""
    keys = [_native_id(k if isinstance(k, UUID) else UUID(k)) for k in sample_keys]
    _samples_lock(keys)
    messages: dict[str, list] = defaultdict(list)
    told, people = [], []
    is_mobile = MOBILE_NUMBER.fullmatch
    contexts: dict = {}
    # Ids stay as the database gives them (hex text on SQLite): 250,000 uuids made and unmade cost seconds.
    for swab_id, sample_key, person_id, phone, outcome, code, collected_at in _swabs_to_tell(keys):
        people.append(person_id)
        if phone and is_mobile(phone) and outcome in TEMPLATES:
            context = contexts.get(sample_key)
            if context is None:  # the same dict for everyone in the tube: rendered once
                day = timezone.localtime(_aware(collected_at)).strftime("%d/%m/%Y")
                context = contexts[sample_key] = {"code": code, "date": day, "url": RESULT_LOOKUP_PATH}
            messages[outcome].append((phone, context, person_id))
            told.append(swab_id)
    actor = by if getattr(by, "is_authenticated", False) else None
    # Written in person order: the person indexes of the messages and the audit trail then grow in
    # sequence rather than at random places (about a third less time on SQLite).
    for outcome, items in messages.items():
        items.sort(key=itemgetter(2))
        notification_queue_many(template=TEMPLATES[outcome], channel="sms", items=items, by=actor)
    if told:
        _swabs_update("notified_at = %s", [db_datetime(timezone.now())], "id", told)
    people.sort()
    audit_record_many(actor=by, action="labs.result", object_type="swab", person_ids=people, detail=detail or {})
    return len(told), len(people)


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset


def _samples_lock(sample_keys: list) -> None:
    """Two tellings of the same samples at once (a task run again while a worker thought lost still ran it) take
    turns: the second reads who was told when the first has committed. SQLite needs nothing: a writing transaction
    holds the whole database from its start."""
    if not is_postgresql() or not sample_keys:
        return
    table = connection.ops.quote_name(Sample._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [sorted(sample_keys)])


def _swabs_to_tell(sample_keys: list):
    """(swab id, sample id, person id, phone, outcome, sample code, collected at) of the released samples'
    swabs not told yet."""
    qn = connection.ops.quote_name
    swab, person, sample = qn(Swab._meta.db_table), qn(Person._meta.db_table), qn(Sample._meta.db_table)
    sql = (f"SELECT w.id, w.sample_id, w.person_id, p.phone, w.outcome, s.code, s.collected_at FROM {swab} w "
           f"JOIN {person} p ON p.id = w.person_id JOIN {sample} s ON s.id = w.sample_id "
           f"WHERE s.status = %s AND w.notified_at IS NULL AND ")
    with connection.cursor() as cursor:
        for batch in chunked(sample_keys, BATCH):
            if is_postgresql():
                cursor.execute(sql + "w.sample_id = ANY(%s)", [SampleStatus.RELEASED, batch])
            else:
                cursor.execute(sql + f"w.sample_id IN ({placeholders(len(batch))})", [SampleStatus.RELEASED, *batch])
            for row in cursor.fetchall():
                collected = row[6]
                if isinstance(collected, str):  # SQLite gives text
                    collected = datetime.fromisoformat(collected)
                yield (*row[:6], collected)


def _uuid(value) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _native_id(value: UUID):
    """An id as the database returns and takes it in hand-written SQL: 32 hex digits on SQLite, a uuid on
    PostgreSQL."""
    return value if is_postgresql() else value.hex


def _swabs_of(sample_keys: list):
    """(swab id, sample id, person id, person's phone) of the samples, ids as the database gives them."""
    qn = connection.ops.quote_name
    swab, person = qn(Swab._meta.db_table), qn(Person._meta.db_table)
    sql = f"SELECT w.id, w.sample_id, w.person_id, p.phone FROM {swab} w JOIN {person} p ON p.id = w.person_id "
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(sql + "WHERE w.sample_id = ANY(%s)", [sample_keys])
            yield from cursor.fetchall()
            return
        for batch in chunked(sample_keys, BATCH):
            cursor.execute(sql + f"WHERE w.sample_id IN ({placeholders(len(batch))})", batch)
            yield from cursor.fetchall()


def _swabs_update(assignments: str, params: list, column: str, keys: list, *, where: str = "") -> int:
    """UPDATE labs_swab SET <assignments> WHERE <column> is one of `keys` (ids as the database gives them)
    [AND <where>]; the number of swabs updated."""
    table = connection.ops.quote_name(Swab._meta.db_table)
    extra = f" AND {where}" if where else ""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {column} = ANY(%s){extra}", [*params, keys])
            return cursor.rowcount
        updated = 0
        for batch in chunked(keys, BATCH):
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {column} IN ({placeholders(len(batch))}){extra}",
                           [*params, *batch])
            updated += cursor.rowcount
        return updated


def swabs_link_case(*, links: dict[UUID, UUID]) -> None:
    """swab id → the case its positive confirmed or joined."""
    by_case: dict[UUID, list[UUID]] = defaultdict(list)
    for swab_id, case_id in links.items():
        by_case[case_id].append(swab_id)
    for case_id, swab_ids in by_case.items():
        Swab.objects.filter(pk__in=swab_ids).update(case_id=case_id)


def _released_of(sample: Sample) -> dict[UUID, tuple[str, bool, str, datetime]]:
    return {sample.pk: (sample.code, sample.pooled, sample.result, sample.collected_at)}


# ---- one sample by hand ------------------------------------------------------------------------------------

def _locked(sample: Sample) -> Sample:
    locked = Sample.objects.select_for_update().filter(pk=sample.pk).first()
    if locked is None:
        raise NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("Sample not found."), field="code")
    return locked


def _laboratory_for(sample: Sample, by) -> Laboratory | None:
    """The laboratory that tested it: the sample's, else the lab staff member's own."""
    if sample.laboratory_id:
        return sample.laboratory
    return user_laboratory(by)


@transaction.atomic
def result_enter(*, sample: Sample, result: str, ct_value: float | None = None, tested_at: datetime | None = None,
                 release: bool = True, by, now: datetime | None = None) -> tuple[Sample, Released | None]:
    """Record a sample's result (status tested) and, with `release`, release it at once. A released
    result is not changed here: see result_correct."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    sample = _locked(sample)
    if sample.status == SampleStatus.RELEASED:
        raise DomainError(LabErrorCode.ALREADY_RELEASED,
                          _("This result was already released; to change it, enter a correction with its reason."),
                          field="result")
    own_lab = user_laboratory(by)
    tested_at = tested_at or now
    _raise(result_problems(facts_of(sample), result=result, ct_value=ct_value, tested_at=tested_at,
                           laboratory=own_lab, rules=lab_rules(timezone.localdate(now)), latest=now + CLOCK_SKEW))
    sample.laboratory = sample.laboratory or own_lab
    sample.status, sample.result, sample.ct_value, sample.tested_at = SampleStatus.TESTED, result, ct_value, tested_at
    if sample.received_at is None:
        sample.received_at, sample.received_by = tested_at, by if getattr(by, "is_authenticated", False) else None
    sample.changed_by = by if getattr(by, "is_authenticated", False) else None
    sample.save(update_fields=["laboratory", "status", "result", "ct_value", "tested_at", "received_at", "received_by",
                               "changed_by", "changed_at"])
    audit_record(actor=by, action="labs.result_enter", object_type="sample", object_id=sample.pk,
                 detail={"code": sample.code, "result": result, "ct": ct_value})
    released = _release(sample, by=by, now=now) if release else None
    return sample, released


def _release(sample: Sample, *, by, now: datetime) -> Released:
    sample.status, sample.released_at = SampleStatus.RELEASED, now
    sample.released_by = by if getattr(by, "is_authenticated", False) else None
    sample.save(update_fields=["status", "released_at", "released_by", "changed_at"])
    return results_released(samples=_released_of(sample), by=by, now=now, detail={"sample": sample.code})


@transaction.atomic
def result_release(*, sample: Sample, by, now: datetime | None = None) -> Released:
    """Release a result recorded as tested (the second step of a two-step release)."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    sample = _locked(sample)
    if sample.status == SampleStatus.RELEASED:
        raise DomainError(LabErrorCode.ALREADY_RELEASED, _("This result was already released."), field="result")
    _raise(laboratory_problems(sample.laboratory_id, user_laboratory(by)))
    if sample.status != SampleStatus.TESTED or not sample.result:
        raise DomainError(LabErrorCode.NOT_TESTED, _("Enter the result before releasing it."), field="result")
    return _release(sample, by=by, now=now)


@transaction.atomic
def result_correct(*, sample: Sample, result: str, ct_value: float | None = None, reason: str, by,
                   now: datetime | None = None) -> tuple[Sample, Released]:
    """Change a released result: an explicit act with its reason, kept (ResultCorrection) and audited; the
    people in the sample are told their new result."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    sample = _locked(sample)
    if sample.status != SampleStatus.RELEASED:
        raise DomainError(LabErrorCode.NOT_TESTED, _("Only a released result is corrected; change it directly."),
                          field="result")
    reason = " ".join(str(reason or "").split())
    problems = result_problems(facts_of(sample), result=result, ct_value=ct_value, tested_at=None,
                               laboratory=user_laboratory(by), rules=lab_rules(timezone.localdate(now)),
                               latest=now + CLOCK_SKEW)
    if not reason:
        problems.append((LabErrorCode.REASON_REQUIRED, "reason", _("Give the reason for the correction.")))
    elif len(reason) > REASON_MAX:
        problems.append((LabErrorCode.REASON_REQUIRED, "reason", _("At most %(n)d characters.") % {"n": REASON_MAX}))
    if not problems and result == sample.result and ct_value == sample.ct_value:
        problems.append((LabErrorCode.CORRECTION_UNCHANGED, "result", _("This is the result already released.")))
    _raise(problems)
    actor = by if getattr(by, "is_authenticated", False) else None
    ResultCorrection.objects.create(sample=sample, previous_result=sample.result, previous_ct=sample.ct_value,
                                    result=result, ct_value=ct_value, reason=reason, created_by=actor, changed_by=actor)
    audit_record(actor=by, action="labs.result_correct", object_type="sample", object_id=sample.pk,
                 detail={"code": sample.code, "from": sample.result, "to": result, "ct_from": sample.ct_value,
                         "ct_to": ct_value, "reason": reason})
    sample.result, sample.ct_value, sample.changed_by = result, ct_value, actor
    sample.save(update_fields=["result", "ct_value", "changed_by", "changed_at"])
    # Swabs already re-tested keep that mark; the outcomes themselves follow the corrected result.
    released = results_released(samples=_released_of(sample), by=by, now=now,
                                detail={"sample": sample.code, "correction": True}, corrected=True)
    return sample, released


# ---- an individual re-test after a positive pool or an unclear result --------------------------------------

@transaction.atomic
def retest_register(*, swab: Swab, code: str = "", generate_code: bool = False, collected_at: datetime | None = None,
                    by) -> Sample:
    """The individual sample of a person whose pool was positive (or whose result was unclear), registered
    as any sample of the campaign (lachan.labs.services.sample_register links it to the swab it re-tests,
    which leaves the commune's re-test list)."""
    from .services import SwabIn, sample_register

    require_perm(by, Perm.LABS_SAMPLE)
    swab = Swab.objects.select_for_update().select_related("sample").filter(pk=swab.pk).first()
    if swab is None:
        raise NotFound(LabErrorCode.SWAB_NOT_FOUND, _("Swab not found."))
    if swab.outcome not in RETEST_OUTCOMES or swab.retest_done:
        raise DomainError(LabErrorCode.RETEST_NOT_DUE, _("No re-test is due for this person."), field="code")
    first = swab.sample
    if first.campaign_id is None:
        raise DomainError(LabErrorCode.CAMPAIGN_NOT_FOUND, _("This sample belongs to no campaign; register the "
                                                             "re-test in a campaign."), field="code")
    reason = SwabReason.POOL_RETEST if swab.outcome == SwabOutcome.RETEST else swab.reason
    return sample_register(campaign=first.campaign, site=first.site, code=code, generate_code=generate_code,
                           swabs=[SwabIn(person=swab.person_id, reason=reason)], pooled=False, reason=reason,
                           collected_at=collected_at, by=by)
