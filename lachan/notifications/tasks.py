"""The outbox's tasks moved beside their functions, to lachan.notifications.services (issue 13). Task rows
queued, failed or retried before the move name them by this module's path (django-tasks stores
`module.qualname`), so this alias stays until every such row is pruned: remove it in a release made more than
core.scheduled.TASK_RESULT_DAYS (14) days after the move."""

from .services import send_message_task, send_messages_task

__all__ = ["send_message_task", "send_messages_task"]
