import pytest

from lachan.notifications.channels.fake import FakeChannel

FAKE = "lachan.notifications.channels.fake.FakeChannel"


@pytest.fixture
def fake_channel(settings):
    """Both channels go to the in-memory FakeChannel; tasks run immediately when enqueued."""
    settings.LACHAN_NOTIFICATION_CHANNELS = {"email": FAKE, "sms": FAKE}
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    FakeChannel.reset()
    yield FakeChannel
    FakeChannel.reset()

