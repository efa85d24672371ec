"""The results' notifying task moved beside its function, to lachan.labs.results.release, and took the one verb
of the platform (results_notify_task; issue 13). Task rows queued, failed or retried before the move name it by
this module's path and its old name (django-tasks stores `module.qualname`), so this alias stays until every such
row is pruned: remove it in a release made more than core.scheduled.TASK_RESULT_DAYS (14) days after the move."""

from .results.release import results_notify_task

results_tell_task = results_notify_task  # the name stored in the rows

__all__ = ["results_tell_task"]
