"""The background worker: runs queued tasks (django_tasks_db) and, in a thread, the periodic scheduler.

Production runs one or more of these next to the web server (`manage.py worker`); several are safe:
tasks are claimed with row locks and each periodic job runs once per period (core.ScheduledRun).
Another thread writes the worker's beat (core.workers), so that a task it leaves running when it is killed is
recovered.
"""

import logging
import os
import signal
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.utils import timezone

from lachan.core import workers
from lachan.core.scheduler import next_tick_delay, registered_jobs, scheduler_tick

logger = logging.getLogger("lachan.scheduler")


def scheduler_loop(stop: threading.Event, interval: float) -> None:
    """Tick every `interval` seconds until `stop` is set; errors are logged, never fatal."""
    while not stop.is_set():
        try:
            close_old_connections()
            ran = scheduler_tick()
            if ran:
                logger.info("Scheduler ran: %s", ", ".join(ran))
        except Exception:  # the database may be briefly unavailable; try again next tick
            logger.exception("Scheduler tick failed")
        finally:
            connections.close_all()  # this thread's connections only
        stop.wait(next_tick_delay(interval))


def parent_watchdog(parent_pid: int) -> None:
    """Stop (gracefully, via SIGTERM) when the process that started us is gone, e.g. `serve` was killed."""
    while os.getppid() == parent_pid:
        threading.Event().wait(2)
    logger.warning("Parent process %s is gone; stopping the worker", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)


class Command(BaseCommand):
    help = "Run background tasks and the periodic scheduler (the production worker process)."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="queues to work on, comma-separated ('*' = all)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls of an empty queue")
        parser.add_argument("--tick", type=float, default=30.0, help="seconds between scheduler ticks")
        parser.add_argument("--no-scheduler", action="store_true", help="only run tasks (another worker schedules)")
        parser.add_argument("--parent-pid", type=int, default=None, help="stop when this process exits (used by serve)")

    def handle(self, *, queue_name, interval, tick, no_scheduler, parent_pid, verbosity, **options):
        if parent_pid:
            threading.Thread(target=parent_watchdog, args=(parent_pid,), name="watchdog", daemon=True).start()
        if not no_scheduler:
            stop = threading.Event()
            thread = threading.Thread(target=scheduler_loop, args=(stop, tick), name="scheduler", daemon=True)
            thread.start()
            jobs = ", ".join(job.name for job in registered_jobs())
            self.stdout.write(f"Scheduler: ticking every {tick:g} s; jobs: {jobs}")
        # The first beat before any task is claimed: a task of this worker always has a beat to be judged by.
        worker_id, started_at = workers.worker_id_new(), timezone.now()
        workers.worker_beat(worker_id=worker_id, started_at=started_at)
        beating = threading.Event()
        threading.Thread(target=workers.beat_loop, args=(beating,), name="beat", daemon=True,
                         kwargs={"worker_id": worker_id, "started_at": started_at}).start()
        self.stdout.write(f"Worker {worker_id}: running tasks from queues {queue_name!r}")
        try:
            # The task loop owns the main thread: it installs the SIGTERM/SIGINT handlers for a clean stop.
            call_command(
                "db_worker", queue_name=queue_name, interval=interval, reload=False, startup_delay=False,
                worker_id=worker_id, verbosity=verbosity,
            )
        finally:
            beating.set()
            workers.worker_gone(worker_id)
