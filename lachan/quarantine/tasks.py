"""The quarantine task moved beside its function, to lachan.quarantine.monitoring.notify, and is now called
orders_notify_task (issue 13); orders_tell_task is its old name there. Task rows queued,
failed or retried before the move name it by this module's path (django-tasks stores `module.qualname`), so this
alias stays until every such row is pruned: remove it in a release made more than core.scheduled.TASK_RESULT_DAYS
(14) days after the move."""

from .monitoring import orders_tell_task

__all__ = ["orders_tell_task"]
