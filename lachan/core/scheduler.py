"""Periodic jobs: a registry, and a tick that runs each due job once per period.

A job is a plain function registered with @periodic in its app's `scheduled.py` module, which autodiscover()
imports when the core app is ready (one place per app, like admin.py). Each run
claims a core.ScheduledRun row (job, period) first; the unique constraint makes a job run once per
period even when several workers tick at the same moment. Jobs run in the scheduler thread, so they
must be short: heavy work belongs in a task that the job enqueues.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger("lachan.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    every: str  # "daily" or "minutes"
    at: time | None = None  # local time of day, for daily jobs
    every_minutes: int | None = None

    def period(self, now: datetime) -> str | None:
        """The period `now` falls in, or None if the job is not due yet in it (daily before `at`)."""
        if self.every == "daily":
            local = timezone.localtime(now)
            if self.at is not None and local.time() < self.at:
                return None
            return local.date().isoformat()
        minutes = int(now.timestamp() // 60)
        start = minutes - minutes % self.every_minutes
        return _utc_minute(start)


def _utc_minute(epoch_minutes: int) -> str:
    return datetime.fromtimestamp(epoch_minutes * 60, tz=UTC).strftime("%Y-%m-%dT%H:%MZ")


_registry: dict[str, Job] = {}


def periodic(name: str, *, every: str | None = None, at: str | None = None, every_minutes: int | None = None):
    """Register a function as a periodic job: every="daily", at="02:00" (local time), or every_minutes=N."""
    if (every is None) == (every_minutes is None):
        raise ValueError("give either every='daily' or every_minutes=N")
    if every is not None and every != "daily":
        raise ValueError(f"unsupported schedule every={every!r}")
    if every_minutes is not None and not (1 <= every_minutes <= 1440):
        raise ValueError("every_minutes must be between 1 and 1440")
    at_time = time.fromisoformat(at) if at else None

    def register(func):
        _registry[name] = Job(
            name=name, func=func, every="daily" if every else "minutes", at=at_time, every_minutes=every_minutes,
        )
        return func

    return register


def autodiscover() -> None:
    """Import every installed app's `scheduled` module, registering its periodic jobs."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("scheduled")


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered_jobs() -> list[Job]:
    return sorted(_registry.values(), key=lambda job: job.name)


def scheduler_tick(now: datetime | None = None, *, jobs: list[Job] | None = None) -> list[str]:
    """Run every job that is due at `now` and has not run in its current period; return their names."""
    from .models import ScheduledRun

    now = now or timezone.now()
    ran = []
    for job in registered_jobs() if jobs is None else jobs:
        period = job.period(now)
        if period is None:
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, period=period)
        except IntegrityError:
            continue  # this period already ran, here or in another worker
        ok, detail = True, ""
        try:
            result = job.func()
            detail = "" if result is None else str(result)[:2000]
        except Exception:
            ok, detail = False, traceback.format_exc()[-4000:]
            logger.exception("Periodic job %s failed (period %s)", job.name, period)
        ScheduledRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), ok=ok, detail=detail)
        ran.append(job.name)
    return ran


def next_tick_delay(interval: float, now: datetime | None = None) -> float:
    """Seconds to the next tick, aligned to the interval so minute jobs run early in their minute."""
    now = now or timezone.now()
    return interval - (now.timestamp() % interval) + 0.5


def prune_runs_before(cutoff: datetime) -> int:
    from .models import ScheduledRun

    deleted, _ = ScheduledRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted


RUN_HISTORY = timedelta(days=30)
