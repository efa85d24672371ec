"""lachan.E001: the tasks backend must be the database one (tasks are queued inside transactions)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from lachan.core.checks import tasks_backend_check


def _tasks(backend):
    return {"default": {"BACKEND": backend, "QUEUES": ["default", "notifications"]}}


def test_the_database_backend_passes(settings):
    settings.TASKS = _tasks("django_tasks_db.DatabaseBackend")
    assert tasks_backend_check() == []


@pytest.mark.parametrize("backend", ["django_tasks.backends.immediate.ImmediateBackend", "no.such.Backend", ""])
def test_another_backend_fails(settings, backend):
    settings.TASKS = _tasks(backend)
    (error,) = tasks_backend_check()
    assert error.id == "lachan.E001"


def test_registered_with_the_system_checks(settings):
    call_command("check", tags=["lachan"])
    settings.TASKS = _tasks("django_tasks.backends.immediate.ImmediateBackend")
    with pytest.raises(SystemCheckError, match="lachan.E001"):
        call_command("check", tags=["lachan"])
