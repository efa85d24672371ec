import logging

from . import Channel, ChannelResult

logger = logging.getLogger("lachan.notifications")


class LogChannel(Channel):
    """Development: writes the message to the log instead of sending it, and calls it sent."""

    def send(self, message) -> ChannelResult:
        logger.info(
            "[%s] to %s: %s%s", self.name, message.to,
            f"{message.subject} | " if message.subject else "", message.body,
        )
        return ChannelResult(provider_id=f"log-{message.id}")
