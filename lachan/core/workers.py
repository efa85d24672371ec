"""Background workers' signs of life, and the tasks a dead worker leaves behind.

A task run by the database worker is marked RUNNING when a worker claims it and SUCCESSFUL or FAILED when it ends.
A worker that is killed (SIGKILL by a deploy, the kernel's out-of-memory killer, its machine gone) never ends it: the
task stayed RUNNING for ever, its people untold. So each worker (`manage.py worker`) writes a beat every few seconds
(core.WorkerBeat), and the periodic job core.recover_lost_tasks marks FAILED, as "lachan.core.workers.WorkerLost",
every task still RUNNING under a worker not heard from for LEASE. From there the failed-task retries
(core.task_retries) queue the registered tasks again; their work is all or nothing and idempotent, so a run that
was killed after its work committed tells nobody twice. A task claimed by a worker that never beats (a plain
`db_worker`) is given UNKNOWN_WORKER_LEASE before it is thought lost.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

from django.db import connections
from django.utils import timezone

logger = logging.getLogger("lachan.tasks")

BEAT_EVERY = 15.0  # seconds
# Longer than any write transaction a task holds: on SQLite a beat waits for the task's write lock.
LEASE = timedelta(minutes=2)
UNKNOWN_WORKER_LEASE = timedelta(hours=1)
LOST = "lachan.core.workers.WorkerLost"
BATCH = 500


class WorkerLost(Exception):
    """The worker running a task stopped (killed, out of memory, machine gone) before it ended the task."""


def worker_id_new() -> str:
    """Unique across the pool (django_tasks_db keeps it on each task it claims), at most 64 characters."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


def worker_beat(*, worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    from .models import WorkerBeat

    now = now or timezone.now()
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=now):
        WorkerBeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:100], pid=os.getpid(),
                                  started_at=started_at, beat_at=now)


def worker_gone(worker_id: str) -> None:
    """A worker that stops cleanly (its current task ended) says so."""
    from .models import WorkerBeat

    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def beat_loop(stop: threading.Event, *, worker_id: str, started_at: datetime, every: float = BEAT_EVERY) -> None:
    """Beat every `every` seconds until `stop` is set; a failed beat (database away, locked) is tried next time."""
    while not stop.wait(every):
        try:
            worker_beat(worker_id=worker_id, started_at=started_at)
        except Exception:
            logger.warning("Worker %s could not write its beat", worker_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only


def lost_tasks_recover(*, now: datetime | None = None) -> str:
    """Mark FAILED (WorkerLost) each task still RUNNING under a worker not heard from for LEASE."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from .models import WorkerBeat

    now = now or timezone.now()
    running = list(DBTaskResult.objects.running().filter(started_at__lt=now - LEASE)
                   .order_by("started_at").values_list("id", "task_path", "worker_ids", "started_at")[:BATCH])
    last_worker = {pk: (workers[-1] if workers else "") for pk, _path, workers, _at in running}
    beats = dict(WorkerBeat.objects.filter(worker_id__in=set(last_worker.values())).values_list("worker_id", "beat_at"))
    lost = 0
    for pk, path, _workers, started_at in running:
        worker = last_worker[pk]
        beat = beats.get(worker)
        if beat is not None and beat >= now - LEASE:
            continue  # alive: a long task
        if beat is None and started_at >= now - UNKNOWN_WORKER_LEASE:
            continue  # a worker that does not beat: given longer
        heard = f"last heard of at {beat.isoformat()}" if beat else "no beat from it"
        marked = DBTaskResult.objects.filter(id=pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=LOST, return_value=None,
            traceback=f"{LOST}: worker {worker or '?'} stopped while running this task ({heard})\n")
        if marked:
            lost += 1
            logger.error("Task %s (%s) was left running by worker %s (%s); marked failed", path, pk, worker or "?",
                         heard)
    return f"{lost} tasks of lost workers marked failed"


def worker_beats_prune(*, before: datetime) -> int:
    """Beats of workers gone without a word (killed) for long."""
    from .models import WorkerBeat

    return WorkerBeat.objects.filter(beat_at__lt=before).delete()[0]
