"""The telling task moved beside its function, to lachan.labs.results.release (issue 13). Task rows queued, failed or
retried before the move name it by this module's path (django-tasks stores `module.qualname`), so this alias stays
until every such row is pruned: remove it in a release made more than core.scheduled.TASK_RESULT_DAYS (14) days
after the move."""

from .results.release import results_tell_task

__all__ = ["results_tell_task"]
