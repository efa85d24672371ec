"""Failed background work tried again (core.task_retries): after 5 minutes, 30 minutes and 2 hours, then given up
and logged; each failure handled once; only registered tasks, only the last day's failures."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks import task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from lachan.core import task_retries
from lachan.core.models import TaskRetry
from lachan.core.task_retries import failed_tasks_retry, retryable, retryable_tasks

pytestmark = pytest.mark.django_db

RUNS: list[dict] = []
FAIL = {"times": 0}


@task()
def flaky_task(*, batch: list[str], actor_id: int | None) -> int:
    RUNS.append({"batch": batch, "actor_id": actor_id})
    if FAIL["times"] > 0:
        FAIL["times"] -= 1
        raise OperationalError("server closed the connection unexpectedly")
    return len(batch)


@task()
def other_task() -> None:
    raise RuntimeError("not registered: left alone")


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    monkeypatch.setattr(task_retries, "_retryable", {})
    RUNS.clear()
    FAIL["times"] = 0
    retryable(flaky_task)


def worker_run(row: DBTaskResult) -> DBTaskResult:
    """What the worker does with a task that is due."""
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
           worker_id="test", excluded_queue_names=[]).run_task(row)
    row.refresh_from_db()
    return row


def test_a_failed_task_is_queued_again_with_its_arguments_after_a_pause():
    FAIL["times"] = 1
    first = worker_run(DBTaskResult.objects.get(id=flaky_task.enqueue(batch=["a", "b"], actor_id=7).id))
    assert first.status == "FAILED"
    now = timezone.now()
    assert failed_tasks_retry(now=now) == "1 failed tasks queued again, 0 given up"
    retry = DBTaskResult.objects.exclude(id=first.id).get()
    assert retry.status == "READY" and retry.args_kwargs["kwargs"] == {"batch": ["a", "b"], "actor_id": 7}
    assert retry.run_after == now + timedelta(minutes=5) and retry.task_path == first.task_path
    assert not DBTaskResult.objects.ready().filter(id=retry.id).exists()  # not before its time
    # Handled once: the next tick queues nothing more.
    assert failed_tasks_retry(now=now) == "0 failed tasks queued again, 0 given up"
    assert worker_run(retry).status == "SUCCESSFUL" and RUNS[-1] == {"batch": ["a", "b"], "actor_id": 7}
    assert TaskRetry.objects.get(failed_result_id=first.id).retry_result_id == retry.id


def test_pauses_grow_then_the_task_is_given_up_and_logged(caplog):
    FAIL["times"] = 10
    row = worker_run(DBTaskResult.objects.get(id=flaky_task.enqueue(batch=["x"], actor_id=None).id))
    now = timezone.now()
    pauses = []
    for _ in range(3):
        assert failed_tasks_retry(now=now).startswith("1 failed tasks queued again")
        row = DBTaskResult.objects.get(id=TaskRetry.objects.get(failed_result_id=row.id).retry_result_id)
        pauses.append(row.run_after - now)
        row = worker_run(row)
        assert row.status == "FAILED"
    assert pauses == [timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    with caplog.at_level("ERROR", logger="lachan.tasks"):
        assert failed_tasks_retry(now=now) == "0 failed tasks queued again, 1 given up"
    assert "failed 4 times; given up" in caplog.text and "OperationalError" in caplog.text
    assert len(RUNS) == 4 and DBTaskResult.objects.count() == 4
    assert failed_tasks_retry(now=now) == "0 failed tasks queued again, 0 given up"


def test_only_registered_tasks_and_recent_failures_are_retried():
    worker_run(DBTaskResult.objects.get(id=other_task.enqueue().id))
    FAIL["times"] = 1
    old = worker_run(DBTaskResult.objects.get(id=flaky_task.enqueue(batch=[], actor_id=None).id))
    DBTaskResult.objects.filter(id=old.id).update(finished_at=timezone.now() - timedelta(days=2))
    assert failed_tasks_retry() == "0 failed tasks queued again, 0 given up"
    assert DBTaskResult.objects.count() == 2 and not TaskRetry.objects.exists()


def test_bad_registrations_are_refused():
    with pytest.raises(ValueError):
        retryable(other_task, attempts=0)
    with pytest.raises(ValueError):
        retryable(other_task, attempts=9)
    assert other_task.module_path not in retryable_tasks()


def test_the_telling_tasks_are_retried(monkeypatch):
    # The real registry, as the apps filled it.
    monkeypatch.undo()
    paths = retryable_tasks()
    assert paths["lachan.labs.results.release.results_notify_task"] == 3
    assert paths["lachan.labs.tasks.results_tell_task"] == 3  # rows failed before the task moved
    assert paths["lachan.quarantine.monitoring.notify.orders_notify_task"] == 3
    assert paths["lachan.quarantine.monitoring.orders_tell_task"] == 3  # rows failed before the sub-package
    assert paths["lachan.quarantine.tasks.orders_tell_task"] == 3  # rows failed before the move


def test_old_handled_failures_are_pruned_with_the_task_results():
    from lachan.core.scheduled import prune_task_results

    old = TaskRetry.objects.create(failed_result_id="0190f3c4-0000-7000-8000-000000000001", task_path="x", attempt=1)
    TaskRetry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=20))
    recent = TaskRetry.objects.create(failed_result_id="0190f3c4-0000-7000-8000-000000000002", task_path="x", attempt=1)
    prune_task_results()
    assert list(TaskRetry.objects.values_list("pk", flat=True)) == [recent.pk]
