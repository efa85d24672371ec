"""Background work of the people domain: thin, the work is in duplicates.py."""

from django_tasks import task

from .duplicates import duplicates_detect_all


@task()
def find_duplicates_task() -> dict:
    return dict(duplicates_detect_all())


def enqueue_find_duplicates() -> None:
    # The nightly scheduler job only enqueues: a pass over a million people is a worker's task.
    find_duplicates_task.enqueue()
