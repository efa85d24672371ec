"""Background tasks of the laboratory: thin, the work is in services."""

from django.db import transaction
from django_tasks import task

from lachan.accounts.actors import system_actor
from lachan.core import request_context


@task()
def results_tell_task(*, sample_ids: list[str], actor_id: int | None, detail: dict, import_id: str | None,
                      context: dict) -> int:
    """Tell the people of a big file's released samples their results (lachan.labs.results.results_tell),
    as the lab staff member who released them, from where they did it (for the audit trail)."""
    from lachan.accounts.models import User

    from .imports import import_told
    from .results import results_tell

    token = request_context.activate(request_context.RequestContext(**context))
    try:
        with transaction.atomic():
            actor = (User.objects.filter(pk=actor_id).first() if actor_id else None) or system_actor("labs.results_tell")
            told, reached = results_tell(sample_keys=sample_ids, by=actor, detail=detail)
            if import_id:
                import_told(import_id=import_id, told=told, reached=reached)
        return told
    finally:
        request_context.deactivate(token)
