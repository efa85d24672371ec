"""An in-memory channel for tests: records what it sent and can be told to fail."""

from __future__ import annotations

from . import Channel, ChannelResult, PermanentFailure, TemporaryFailure


class FakeChannel(Channel):
    # Class-level so every instance (channels are built per send) shares one state.
    sent: list = []
    fail_times: int = 0
    fail_permanently: bool = False

    @classmethod
    def reset(cls, *, fail_times: int = 0, fail_permanently: bool = False) -> None:
        cls.sent = []
        cls.fail_times = fail_times
        cls.fail_permanently = fail_permanently

    def send(self, message) -> ChannelResult:
        cls = type(self)
        if cls.fail_permanently:
            raise PermanentFailure("fake: address refused")
        if cls.fail_times > 0:
            cls.fail_times -= 1
            raise TemporaryFailure("fake: gateway unavailable")
        cls.sent.append({"channel": self.name, "to": message.to, "subject": message.subject, "body": message.body})
        return ChannelResult(provider_id=f"fake-{len(cls.sent)}")
