"""Periodic jobs of the people app (found by core.scheduler.autodiscover). Job names are stored: never rename."""

from lachan.core.scheduler import periodic

from .duplicates import find_duplicates_task


@periodic("people.find_duplicates", every="daily", at="03:00")
def find_duplicates() -> None:
    # The nightly job only enqueues: a pass over a million people is a worker's task.
    find_duplicates_task.enqueue()
