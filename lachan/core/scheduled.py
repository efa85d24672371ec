"""Core periodic jobs, found by core.scheduler.autodiscover() like every app's scheduled.py."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from .scheduler import RUN_HISTORY, periodic, prune_runs_before
from .task_retries import failed_tasks_retry
from .workers import lost_tasks_recover, worker_beats_prune

TASK_RESULT_DAYS = 14


@periodic("core.prune_task_results", every="daily", at="02:00")
def prune_task_results() -> str:
    """Delete finished background-task results older than two weeks, and old scheduler runs."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    parts = []
    # Only the database backend keeps results; the immediate one (tests) has nothing to prune.
    if isinstance(task_backends["default"], DatabaseBackend):
        call_command("prune_db_task_results", queue_name="*", min_age_days=TASK_RESULT_DAYS, verbosity=0)
        parts.append(f"task results older than {TASK_RESULT_DAYS} days pruned")
    from .models import TaskRetry

    TaskRetry.objects.filter(created_at__lt=timezone.now() - timedelta(days=TASK_RESULT_DAYS)).delete()
    worker_beats_prune(before=timezone.now() - timedelta(days=TASK_RESULT_DAYS))
    runs = prune_runs_before(timezone.now() - RUN_HISTORY)
    parts.append(f"{runs} scheduler runs pruned")
    return "; ".join(parts)


@periodic("core.recover_lost_tasks", every_minutes=1)
def recover_lost_tasks() -> str:
    """Mark failed the tasks left running by a worker that stopped beating (core.workers); retried from there."""
    return lost_tasks_recover()


@periodic("core.retry_failed_tasks", every_minutes=5)
def retry_failed_tasks() -> str:
    """Queue again the failed runs of the tasks registered as retryable (core.task_retries)."""
    return failed_tasks_retry()


@periodic("core.cache_prune", every_minutes=15)
def cache_prune() -> str:
    """Delete the expired entries of the database cache (rate-limit counters of ended windows)."""
    from django.core.cache import caches

    from .cache import AtomicDatabaseCache

    cache = caches["default"]
    if not isinstance(cache, AtomicDatabaseCache):
        return "not a database cache"
    return f"{cache.prune()} expired cache entries deleted"
