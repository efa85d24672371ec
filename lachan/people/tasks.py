"""The people domain's task moved beside its function, to lachan.people.duplicates (issue 13). Task rows queued,
failed or retried before the move name it by this module's path (django-tasks stores `module.qualname`), so this
alias stays until every such row is pruned: remove it in a release made more than core.scheduled.TASK_RESULT_DAYS
(14) days after the move."""

from .duplicates import find_duplicates_task

__all__ = ["find_duplicates_task"]
