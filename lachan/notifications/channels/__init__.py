"""Channels: one interface, one plug-in per way of reaching a person, chosen in settings by name.

A channel sends one stored message and says how it went: a ChannelResult with the provider's id,
TemporaryFailure (try again later: timeouts, 5xx) or PermanentFailure (retrying cannot help: 4xx,
a refused address).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from lachan.notifications.models import Message


@dataclass(frozen=True)
class ChannelResult:
    provider_id: str = ""


class ChannelFailure(Exception):
    pass


class TemporaryFailure(ChannelFailure):
    pass


class PermanentFailure(ChannelFailure):
    pass


class Channel:
    def __init__(self, name: str):
        self.name = name

    def send(self, message: Message) -> ChannelResult:
        raise NotImplementedError


def configured_channels() -> dict[str, str]:
    return dict(getattr(settings, "LACHAN_NOTIFICATION_CHANNELS", {}))


def channel_for(name: str) -> Channel:
    """The channel configured for `name` ("email", "sms"); KeyError if none is."""
    path = configured_channels()[name]
    return import_string(path)(name=name)
