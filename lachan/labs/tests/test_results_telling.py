"""A big file's people are told by background tasks queued with the import (nothing lost, nobody told twice);
the swab flags that the partial indexes read follow the outcome, enforced by the database."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lachan.accounts.models import AuditEvent
from lachan.labs import results
from lachan.labs.models import Result, ResultImport, Sample, Swab, SwabOutcome
from lachan.labs.results import imports, release
from lachan.labs.results.release import results_notify_task
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import csv_bytes
from lachan.notifications.models import Message

pytestmark = pytest.mark.django_db


def _import(w, rows):
    data = csv_bytes([["Mã mẫu", "Kết quả", "Ngày xét nghiệm"],
                      *[[code, result, timezone.localdate().strftime("%d/%m/%Y")] for code, result in rows]])
    checked = imports.import_check(laboratory=w.lab, data=data, filename="lon.csv", by=w.lab_user)
    assert checked.ok, checked.errors
    with transaction.atomic():
        return imports.import_apply(checked=checked, by=w.lab_user)


def _run_queued_tasks() -> int:
    """What the worker does: run each queued telling task once."""
    ran = 0
    for row in DBTaskResult.objects.filter(task_path__endswith="results_notify_task").order_by("enqueued_at"):
        results_notify_task.call(**row.args_kwargs["kwargs"])
        row.delete()
        ran += 1
    return ran


def test_big_file_told_by_tasks_queued_with_the_import(lab_world, monkeypatch):
    w = lab_world
    monkeypatch.setattr(release, "NOTIFY_AT_ONCE_MAX", 3)
    monkeypatch.setattr(release, "NOTIFY_TASK_SAMPLES", 2)
    w.make_sample("B-1", w.people[0:5], lab=w.lab)  # a negative pool of five
    w.make_sample("B-2", [w.people[5]], lab=w.lab)
    w.make_sample("B-3", [w.people[6]], lab=w.lab)
    w.people[6].phone = ""  # no mobile number: not told by SMS, still in the audit trail
    w.people[6].save(update_fields=["phone"])
    record, released = _import(w, [("B-1", "Âm tính"), ("B-2", "Dương tính"), ("B-3", "Âm tính")])
    # The results themselves are in at once; the telling is queued in the same transaction.
    assert released.outcomes == {SwabOutcome.NEGATIVE: 6, SwabOutcome.POSITIVE: 1}
    assert [p.sample_code for p in released.positives] == ["B-2"]
    assert released.telling == 7 and released.notified == 0
    assert Message.objects.count() == 0 and not AuditEvent.objects.filter(action="labs.result").exists()
    assert record.summary["telling"] == 7 and record.summary["notified"] == 0
    assert DBTaskResult.objects.filter(task_path__endswith="results_notify_task").count() == 2  # 3 samples, 2 a task

    assert _run_queued_tasks() == 2
    assert Message.objects.filter(template_code="labs.result_negative").count() == 5
    assert Message.objects.filter(template_code="labs.result_positive").count() == 1
    assert AuditEvent.objects.filter(action="labs.result", actor=w.lab_user).count() == 7
    summary = ResultImport.objects.get(pk=record.pk).summary
    assert summary["notified"] == 6 and summary["told_so_far"] == 7  # one without a mobile number
    told = Swab.objects.filter(sample__code__in=["B-1", "B-2"])
    assert all(s.notified_at for s in told) and Swab.objects.get(sample__code="B-3").notified_at is None

    # A task run again (a retried worker) tells nobody twice.
    results_notify_task.call(sample_ids=[str(Sample.objects.get(code="B-1").pk)], actor_id=w.lab_user.pk, detail={},
                             import_id=None, context={})
    assert Message.objects.count() == 6


def test_a_telling_task_that_failed_is_run_again(lab_world, monkeypatch):
    """The database away during the telling: the task fails with nothing told, is queued again by the retry job,
    and its second run tells everyone."""
    from django.db import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker

    from lachan.core.task_retries import failed_tasks_retry

    w = lab_world
    monkeypatch.setattr(release, "NOTIFY_AT_ONCE_MAX", 1)
    w.make_sample("R-1", w.people[0:3], lab=w.lab)
    _import(w, [("R-1", "Âm tính")])
    real, calls = release.results_notify, []

    def away_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(release, "results_notify", away_once)
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test", excluded_queue_names=[])
    worker.run_task(DBTaskResult.objects.get(task_path__endswith="results_notify_task"))
    assert DBTaskResult.objects.get().status == "FAILED" and Message.objects.count() == 0
    now = timezone.now()
    assert failed_tasks_retry(now=now) == "1 failed tasks queued again, 0 given up"
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == now + timedelta(minutes=5)
    worker.run_task(retry)
    assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"
    assert Message.objects.filter(template_code="labs.result_negative").count() == 3 and len(calls) == 2


def test_small_file_told_at_once(lab_world):
    w = lab_world
    w.make_sample("S-1", w.people[0:2], lab=w.lab)
    record, released = _import(w, [("S-1", "Âm tính")])
    assert released.notified == 2 and released.telling == 0 and "telling" not in record.summary
    assert Message.objects.count() == 2 and not DBTaskResult.objects.exists()


def test_flags_follow_the_outcome(lab_world):
    w = lab_world
    pool = w.make_sample("F-1", w.people[0:3], lab=w.lab)
    alone = w.make_sample("F-2", [w.people[4]], lab=w.lab)
    _import(w, [("F-1", "Dương tính"), ("F-2", "Âm tính")])
    assert {(s.outcome, s.voided, s.retest_due) for s in pool.swabs.all()} == {(SwabOutcome.RETEST, False, True)}
    # Corrected to negative: the flags cleared with the outcome, and everyone told again.
    sample, released = results.result_correct(sample=pool, result=Result.NEGATIVE, reason="Nhầm ống", by=w.lab_user)
    assert {(s.outcome, s.voided, s.retest_due) for s in pool.swabs.all()} == {(SwabOutcome.NEGATIVE, False, False)}
    assert released.notified == 3
    # The database refuses flags that contradict the outcome.
    swab = alone.swabs.get()
    for wrong in ({"voided": True}, {"retest_due": True}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Swab.objects.filter(pk=swab.pk).update(**wrong)
    with pytest.raises(IntegrityError), transaction.atomic():
        Swab.objects.filter(pk=swab.pk).update(outcome=SwabOutcome.INCONCLUSIVE)
