"""Periodic jobs of the notifications app (found by core.scheduler.autodiscover). Job names are stored: never
rename."""

from lachan.core.scheduler import periodic

from .services import messages_send_due


@periodic("notifications.send_due", every_minutes=1)
def send_due() -> int:
    return messages_send_due()
