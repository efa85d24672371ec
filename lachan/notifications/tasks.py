"""Background tasks of the outbox: thin, the work is in services."""

from django_tasks import task

from .services import message_send, messages_send


@task(queue_name="notifications")
def send_message_task(message_id: str) -> str | None:
    message = message_send(message_id=message_id)
    return message.status if message else None


@task(queue_name="notifications")
def send_messages_task(message_ids: list[str]) -> int:
    """A batch queued together (an F0's notices): one task row instead of hundreds."""
    return messages_send(message_ids=message_ids)
