"""System checks of the platform's own rules (`manage.py check`, and before serve, worker and migrate).

lachan.E001 — the tasks backend is the database one. "Side effects after commit" is relaxed in one place: the
people of a big result file are told by tasks queued inside the import's transaction. That is only right because
the queue is a table of the same database (a rolled-back import queues nothing, a committed one queues all); with
another backend a rolled-back import would tell people of results that were never saved."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error
from django.utils.module_loading import import_string

TAG = "lachan"


def tasks_backend_check(app_configs=None, **kwargs) -> list[Error]:
    from django_tasks_db import DatabaseBackend

    path = settings.TASKS.get("default", {}).get("BACKEND", "")
    try:
        backend = import_string(path)
    except ImportError:
        backend = None
    if isinstance(backend, type) and issubclass(backend, DatabaseBackend):
        return []
    return [Error(
        f"The tasks backend is {path!r}; Lá Chắn needs django_tasks_db.DatabaseBackend (or a subclass).",
        hint="Unset TASKS_BACKEND: tasks are queued inside transactions, which only a queue in the same "
             "database undoes with them.",
        id="lachan.E001",
    )]
