"""Tasks left RUNNING by a worker that died are recovered (core.workers): marked failed once the worker has not
beaten for the lease, then queued again by the failed-task retries; the telling they do is told once."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from lachan.core import task_retries, workers
from lachan.core.models import WorkerBeat
from lachan.core.task_retries import failed_tasks_retry, retryable
from lachan.core.workers import LEASE, LOST, UNKNOWN_WORKER_LEASE, lost_tasks_recover, worker_beat

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


@task()
def telling_task(*, ids: list[str]) -> int:
    return len(ids)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(task_retries, "_retryable", {})


def _running(worker_id: str, *, started_ago: timedelta) -> DBTaskResult:
    row = DBTaskResult.objects.get(id=telling_task.enqueue(ids=["a"]).id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(id=row.id).update(started_at=timezone.now() - started_ago)
    return row


@pytest.mark.django_db
def test_a_task_of_a_worker_that_stopped_beating_is_marked_failed_then_queued_again(registry, caplog):
    now = timezone.now()
    worker_beat(worker_id="dead", started_at=now - timedelta(hours=1), now=now - LEASE - timedelta(seconds=1))
    worker_beat(worker_id="alive", started_at=now - timedelta(hours=1), now=now - timedelta(seconds=20))
    lost = _running("dead", started_ago=timedelta(minutes=10))
    long = _running("alive", started_ago=timedelta(minutes=50))  # a long task of a worker still beating
    fresh = _running("dead", started_ago=timedelta(seconds=30))  # claimed within the lease: not judged yet
    with caplog.at_level("ERROR", logger="lachan.tasks"):
        assert lost_tasks_recover(now=now) == "1 tasks of lost workers marked failed"
    assert "left running by worker dead" in caplog.text
    lost.refresh_from_db()
    assert lost.status == "FAILED" and lost.exception_class_path == LOST and lost.finished_at == now
    assert "worker dead stopped while running this task" in lost.traceback
    assert DBTaskResult.objects.get(id=long.id).status == "RUNNING"
    assert DBTaskResult.objects.get(id=fresh.id).status == "RUNNING"
    assert lost_tasks_recover(now=now) == "0 tasks of lost workers marked failed"  # once

    retryable(telling_task)
    assert failed_tasks_retry(now=now) == "1 failed tasks queued again, 0 given up"
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"ids": ["a"]}


@pytest.mark.django_db
def test_a_worker_that_never_beats_is_given_longer():
    now = timezone.now()
    plain = _running("plain-db-worker", started_ago=UNKNOWN_WORKER_LEASE - timedelta(minutes=1))
    assert lost_tasks_recover(now=now) == "0 tasks of lost workers marked failed"
    assert lost_tasks_recover(now=now + timedelta(minutes=2)) == "1 tasks of lost workers marked failed"
    assert DBTaskResult.objects.get(id=plain.id).status == "FAILED"


@pytest.mark.django_db
def test_beats_are_kept_per_worker_and_forgotten_when_it_stops():
    now = timezone.now()
    worker_beat(worker_id="w1", started_at=now, now=now)
    worker_beat(worker_id="w1", started_at=now, now=now + timedelta(seconds=15))
    assert WorkerBeat.objects.get().beat_at == now + timedelta(seconds=15)
    assert workers.worker_beats_prune(before=now) == 0
    workers.worker_gone("w1")
    assert not WorkerBeat.objects.exists()


def test_the_recovery_job_runs_every_minute():
    from lachan.core.scheduler import registered_jobs

    assert {job.name: job.every_minutes for job in registered_jobs()}["core.recover_lost_tasks"] == 1


# ---- a real worker process killed with SIGKILL ------------------------------------------------------------------

@pytest.fixture
def shared_db(transactional_db, tmp_path):
    """Environment for a worker process that sees the test's database: on PostgreSQL the test database itself (a
    transactional test: what the test writes is committed); on SQLite a file database, which this process then
    uses too (the test database is in memory, out of another process's reach)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="1", LACHAN_EMBEDDED="1", LACHAN_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = (f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
                               f"{s['PORT'] or 5432}/{s['NAME']}")
        yield env
        return
    path = tmp_path / "worker.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{path}"
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=600)
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield env
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory


def _wait(predicate, timeout=120.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def _worker(env, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, MANAGE, "worker", "--no-scheduler", "--interval", "0.2"], env=env,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)


def _released_sample(people: int):
    from lachan.geo.models import AdminUnit
    from lachan.labs.models import Sample, Swab
    from lachan.notifications.models import MessageTemplate
    from lachan.people.models import Person

    # A transactional test on PostgreSQL may follow one that emptied the seeded templates.
    MessageTemplate.objects.get_or_create(code="labs.result_negative", channel="sms", language="vi", defaults={
        "body": "La Chan: Mau {{ code }} ngay {{ date }}: AM TINH. {{ url }}"})
    commune = AdminUnit.objects.create(tree="2021", level=3, code="99001", name="Xã Thử", short_name="Thử",
                                       kind="Xã", path="/99/990/99001")
    sample = Sample.objects.create(code="KILL-1", pooled=True, test_type="rt_pcr", status="released",
                                   result="negative", collected_at=timezone.now() - timedelta(hours=20),
                                   released_at=timezone.now())
    for n in range(people):
        person = Person.objects.create(full_name=f"Người {n}", commune=commune, phone=f"09123450{n:02d}")
        Swab.objects.create(sample=sample, person=person, pooled=True, position=n + 1, outcome="negative")
    return sample


def test_a_worker_killed_mid_task_leaves_nobody_untold_and_nobody_told_twice(shared_db, tmp_path, registry):
    from lachan.core.tests.killable_tasks import tell_then_hang
    from lachan.labs.models import Swab
    from lachan.notifications.models import Message

    sample = _released_sample(people=4)
    hang, log = tmp_path / "hung", tmp_path / "worker.log"
    first = tell_then_hang.enqueue(sample_ids=[str(sample.pk)], hang_file=str(hang))
    worker = _worker(shared_db, log)
    try:
        assert _wait(hang.exists), log.read_text()
        # The telling committed; the task is still RUNNING when the worker is killed (out of memory, a deploy).
        assert Message.objects.filter(template_code="labs.result_negative").count() == 4
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    lost = DBTaskResult.objects.get(id=first.id)
    assert lost.status == "RUNNING"
    assert lost_tasks_recover() == "0 tasks of lost workers marked failed"  # its beat is too recent to judge

    assert lost_tasks_recover(now=timezone.now() + LEASE + timedelta(seconds=1)) == \
        "1 tasks of lost workers marked failed"
    retryable(tell_then_hang)
    assert failed_tasks_retry() == "1 failed tasks queued again, 0 given up"
    retry = DBTaskResult.objects.get(status="READY", task_path=lost.task_path)
    DBTaskResult.objects.filter(id=retry.id).update(run_after=timezone.now())  # its pause has passed

    worker = _worker(shared_db, log)
    try:
        assert _wait(lambda: DBTaskResult.objects.get(id=retry.id).status == "SUCCESSFUL"), log.read_text()
        worker.send_signal(signal.SIGTERM)  # a clean stop says so: its beat goes
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    assert DBTaskResult.objects.get(id=first.id).exception_class_path == LOST
    # Everyone told, each once: the run again found them told.
    messages = Message.objects.filter(template_code="labs.result_negative")
    assert messages.count() == 4 and len(set(messages.values_list("person_id", flat=True))) == 4
    assert not Swab.objects.filter(sample=sample, notified_at__isnull=True).exists()
    assert DBTaskResult.objects.get(id=retry.id).return_value == 0
    assert WorkerBeat.objects.count() == 1  # the killed worker's, pruned with the task results
