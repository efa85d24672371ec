"""Background work that failed, tried again: a task registered here (its work all or nothing, so a failed run left
nothing behind) is queued again after a pause when the worker marks it failed: 5 minutes, then 30, then 2 hours.
After its last attempt it is given up, logged as an error for the people who run the platform, and stays failed
in the task results (the admin site shows them). Without this, a database restart during a lab file's telling
would leave its people untold. The periodic job core.retry_failed_tasks does it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger("lachan.tasks")

BACKOFF = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
LOOKBACK = timedelta(days=1)  # older failures are left to a person: the world has moved on
BATCH = 100

_retryable: dict[str, int] = {}  # task path -> attempts after the first


def retryable(task=None, *, attempts: int = len(BACKOFF), aliases: tuple[str, ...] = ()):
    """Register a task to be tried again when it fails; returns the task (usable as a decorator, bare or called).
    Only for tasks that are atomic and idempotent: a retry runs with the same arguments. `aliases`: the older
    paths of a task that moved (rows failed before the move name it so; the alias module still imports it)."""
    if not 1 <= attempts <= len(BACKOFF):
        raise ValueError(f"attempts must be between 1 and {len(BACKOFF)}")
    if task is None:
        return lambda task: retryable(task, attempts=attempts, aliases=aliases)
    for path in (task.module_path, *aliases):
        _retryable[path] = attempts
    return task


def retryable_tasks() -> dict[str, int]:
    return dict(_retryable)


def failed_tasks_retry(*, now: datetime | None = None) -> str:
    """Queue again each failed run of a registered task (of the last day, not handled yet), or give it up after its
    last attempt. One TaskRetry row per failed run makes each handled once."""
    from django_tasks_db.models import DBTaskResult

    from .models import TaskRetry

    if not _retryable:
        return "no task is retried"
    now = now or timezone.now()
    failed = list(DBTaskResult.objects.failed()
                  .filter(task_path__in=list(_retryable), finished_at__gte=now - LOOKBACK)
                  .exclude(id__in=TaskRetry.objects.values("failed_result_id"))
                  .order_by("finished_at")[:BATCH])
    earlier = dict(TaskRetry.objects.filter(retry_result_id__in=[row.id for row in failed])
                   .values_list("retry_result_id", "attempt"))
    queued = given_up = 0
    for row in failed:
        attempt = earlier.get(row.id, 0) + 1
        try:
            with transaction.atomic():
                if attempt > _retryable[row.task_path]:
                    TaskRetry.objects.create(failed_result_id=row.id, task_path=row.task_path, attempt=attempt)
                    given_up += 1
                    logger.error("Task %s (%s) failed %d times; given up: %s", row.task_path, row.id, attempt,
                                 row.exception_class_path)
                    continue
                task = row.task.using(run_after=now + BACKOFF[attempt - 1])
                retry = task.enqueue(*row.args_kwargs.get("args", []), **row.args_kwargs.get("kwargs", {}))
                TaskRetry.objects.create(failed_result_id=row.id, task_path=row.task_path, attempt=attempt,
                                         retry_result_id=retry.id)
                queued += 1
                logger.warning("Task %s (%s) failed (%s); attempt %d queued for %s", row.task_path, row.id,
                               row.exception_class_path, attempt + 1, timezone.localtime(now + BACKOFF[attempt - 1]))
        except IntegrityError:  # handled meanwhile by another worker's tick
            continue
    return f"{queued} failed tasks queued again, {given_up} given up"
