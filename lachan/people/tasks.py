"""Background work of the people domain: thin, the work is in duplicates.py."""

from django_tasks import task

from .duplicates import duplicates_detect_all


@task()
def find_duplicates_task() -> dict:
    return dict(duplicates_detect_all())
