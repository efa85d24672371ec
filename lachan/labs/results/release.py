"""A released result's consequences inside the laboratory domain: each swab's outcome (a negative pool:
negative for everyone in it; a positive pool: an individual re-test for everyone), each person told through the
outbox, one audit event per person, the positives handed to the workflow (lachan.workflows.lab_results).

Side effects wait for the commit, except the telling tasks of a big result file: they are queued in the import's
transaction, which is valid because the task queue is a table of the same database (a rolled-back import queues
nothing). The telling task is declared here, beside the function it runs (issue 13).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from lachan.accounts.actors import system_actor
from lachan.accounts.audit import audit_record_many
from lachan.core import request_context
from lachan.core.db import chunked, db_datetime, is_postgresql, placeholders
from lachan.core.parsers import uuid_or_none
from lachan.core.phones import MOBILE_NUMBER
from lachan.core.task_retries import retryable
from lachan.notifications.services import notification_queue_many
from lachan.people.models import Person

from ..models import (
    RETEST_OUTCOMES,
    VOIDING_OUTCOMES,
    Result,
    ResultImport,
    Sample,
    SampleStatus,
    Swab,
    SwabOutcome,
)

RESULT_LOOKUP_PATH = "/ket-qua/"  # the citizens' result look-up page (sample code + date of birth)
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
NOTIFY_AT_ONCE_MAX = 2000
NOTIFY_TASK_SAMPLES = 5000


def results_released(*, samples: dict[UUID, tuple[str, bool, str, datetime]], by, now: datetime,
                     detail: dict | None = None, import_id: UUID | None = None, corrected: bool = False) -> Released:
    """Samples whose result was just released — sample id → (code, pooled, result, collected at): each swab's
    outcome and the positives for the workflow; each person told through the outbox and one audit event per
    person (results_notify), at once for a few hundred people, else by background tasks queued here. Runs in
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
        out.positives.append(PositiveSwab(uuid_or_none(swab_id), uuid_or_none(person_id), pk, code, collected_at))
    people = sum(out.outcomes.values())
    if people <= NOTIFY_AT_ONCE_MAX:
        out.notified, _reached = results_notify(sample_keys=list(by_key), by=by, detail=detail)
        return out
    ctx = request_context.current()
    actor_id = by.pk if getattr(by, "is_authenticated", False) else None
    for batch in chunked(sorted(str(pk) for pk in samples), NOTIFY_TASK_SAMPLES):
        results_notify_task.enqueue(sample_ids=batch, actor_id=actor_id, detail=detail or {},
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


def results_notify(*, sample_keys: list, by, detail: dict | None = None) -> tuple[int, int]:
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
    for swab_id, sample_key, person_id, phone, outcome, code, collected_at in _swabs_to_notify(keys):
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


# ---- the notifying task, beside the function it runs (issue 13: no results ↔ tasks cycle) --------------------
# Queued rows name a task by module path: rows queued before this move name lachan.labs.tasks.results_tell_task,
# which re-exports it (and its retries are registered under both paths). Stored names keep the old verb: that
# path, the system actor "labs.results_tell" of the audit rows, the summary keys "telling" and "told_so_far".


@retryable(aliases=("lachan.labs.tasks.results_tell_task",))  # told even if the database was away a while
@task()
def results_notify_task(*, sample_ids: list[str], actor_id: int | None, detail: dict, import_id: str | None,
                        context: dict) -> int:
    """Tell the people of a big file's released samples their results (results_notify), as the lab staff member
    who released them, from where they did it (for the audit trail)."""
    from lachan.accounts.models import User

    token = request_context.activate(request_context.RequestContext(**context))
    try:
        with transaction.atomic():
            actor = (User.objects.filter(pk=actor_id).first() if actor_id else None) or system_actor("labs.results_tell")
            told, reached = results_notify(sample_keys=sample_ids, by=actor, detail=detail)
            if import_id:
                import_notified(import_id=import_id, told=told, reached=reached)
        return told
    finally:
        request_context.deactivate(token)


def import_notified(*, import_id, told: int, reached: int) -> None:
    """A telling task's counts added to its file's summary: people told by SMS, people handled ("told" counts
    only those with a mobile number; the page shows the telling going on until everyone was handled)."""
    with transaction.atomic():
        record = ResultImport.objects.select_for_update().filter(pk=import_id).first()
        if record is not None:
            summary = record.summary
            record.summary = {**summary, "notified": summary.get("notified", 0) + told,
                              "told_so_far": summary.get("told_so_far", 0) + reached}
            record.save(update_fields=["summary", "changed_at"])


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


def _swabs_to_notify(sample_keys: list):
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
