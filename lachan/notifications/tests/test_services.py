from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from lachan.core.errors import DomainError
from lachan.notifications import services
from lachan.notifications.models import Message, MessageStatus, MessageTemplate, mask_address
from lachan.notifications.services import (
    MAX_ATTEMPTS,
    backoff_delay,
    message_retry,
    message_send,
    messages_send_due,
    notification_queue,
)

pytestmark = pytest.mark.django_db


def queue_sms(**kw):
    args = {"template": "test.hello", "channel": "sms", "to": "0912345678", "context": {"name": "An"}}
    args.update(kw)
    return notification_queue(**args)


def test_queued_message_is_sent_after_commit(fake_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue_sms()
    assert message.status == MessageStatus.QUEUED
    assert message.body == "La Chan: tin nhan thu. Xin chao An!"
    assert fake_channel.sent == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.provider_message_id == "fake-1"
    assert fake_channel.sent == [
        {"channel": "sms", "to": "0912345678", "subject": "", "body": "La Chan: tin nhan thu. Xin chao An!"}
    ]


def test_rolled_back_transaction_sends_nothing(fake_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                queue_sms()
                raise RuntimeError("the caller's work failed")
    assert callbacks == []
    assert fake_channel.sent == []
    assert not Message.objects.exists()


def test_phone_forms_are_normalised(fake_channel):
    assert queue_sms(to="+84 912 345 678").to == "0912345678"
    assert queue_sms(to="84912345678").to == "0912345678"
    assert queue_sms(to="091.234.5678").to == "0912345678"
    # core.phones, as everywhere (issue 13): old 11-digit numbers are delivered, 0084 and "/" read
    assert queue_sms(to="01662345678").to == "0362345678"
    assert queue_sms(to="0084 912 345 678").to == "0912345678"
    assert queue_sms(to="0912/345/678").to == "0912345678"


@pytest.mark.parametrize(
    "kw, code",
    [
        ({"template": "no.such.template"}, "notifications.unknown_template"),
        ({"to": "not-an-email", "channel": "email"}, "notifications.bad_address"),
        ({"to": "an@", "channel": "email"}, "notifications.bad_address"),
        ({"to": "+1 415 555 0100"}, "notifications.bad_address"),
        ({"to": "0212345678"}, "notifications.bad_address"),  # landline prefix
        ({"to": "09123456789"}, "notifications.bad_address"),  # 11 digits
        ({"to": "0501234567"}, "notifications.bad_address"),  # 050: no network's prefix
        ({"to": ""}, "notifications.bad_address"),
        ({"channel": "pigeon"}, "notifications.unknown_channel"),
        ({"language": "fr"}, "notifications.unknown_language"),
        ({"context": {}}, "notifications.bad_context"),  # {{ name }} missing
        ({"context": {"name": object()}}, "notifications.bad_context"),  # not JSON
    ],
)
def test_bad_input_is_a_clear_error_and_stores_nothing(fake_channel, kw, code):
    with pytest.raises(DomainError) as exc:
        queue_sms(**kw)
    assert exc.value.code == code
    assert str(exc.value.message)
    assert not Message.objects.exists()


def test_broken_template_text_is_a_domain_error(fake_channel):
    MessageTemplate.objects.create(code="broken", channel="sms", language="vi", body="{% if %}")
    with pytest.raises(DomainError) as exc:
        queue_sms(template="broken")
    assert exc.value.code == "notifications.bad_template"


@pytest.mark.parametrize(
    "channel, language, to, subject, body_part",
    [
        ("sms", "vi", "0912345678", "", "ma xac thuc cua ban la 123456, hieu luc 5 phut"),
        ("sms", "en", "0912345678", "", "your verification code is 123456, valid for 5 minutes"),
        ("email", "vi", "an@example.vn", "Lá Chắn: mã xác thực 123456", "Mã xác thực của bạn là 123456"),
        ("email", "en", "an@example.vn", "Lá Chắn: verification code 123456", "Your verification code is 123456"),
    ],
)
def test_templates_render_per_language(fake_channel, channel, language, to, subject, body_part):
    message = notification_queue(
        template="account.otp", channel=channel, to=to, language=language, context={"code": "123456", "minutes": 5}
    )
    assert message.subject == subject
    assert body_part in message.body
    assert message.sensitive and message.context == {}  # the code is not kept in the context
    if channel == "sms":
        assert len(message.body) <= 160


def test_seeded_sms_templates_fit_one_sms():
    for template in MessageTemplate.objects.filter(channel="sms"):
        assert len(template.body) <= 130, template  # room for the variables
        assert template.body.isascii(), template


def test_newest_active_version_is_used(fake_channel):
    MessageTemplate.objects.filter(code="test.hello", channel="sms", language="en").update(active=False)
    MessageTemplate.objects.create(code="test.hello", channel="sms", language="en", version=2, body="Hi {{ name }} v2")
    message = queue_sms(language="en")
    assert (message.body, message.template_version) == ("Hi An v2", 2)


def test_generic_email_without_optional_values(fake_channel):
    message = notification_queue(template="person.generic", channel="email", to="An@Example.VN",
                                 context={"text": "Ket qua xet nghiem cua ban la am tinh."})
    assert message.to == "An@example.vn"
    assert message.subject == "Lá Chắn: thông báo"
    assert message.body.startswith("Kính gửi Quý vị,")
    assert "<" not in message.body


def test_no_html_escaping_in_plain_text(fake_channel):
    message = queue_sms(context={"name": "<An & Bình>"})
    assert message.body.endswith("<An & Bình>!")


def test_sensitive_body_removed_once_sent(fake_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_queue(template="account.otp", channel="sms", to="0912345678",
                                     context={"code": "654321", "minutes": 5})
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert "654321" in fake_channel.sent[0]["body"]
    assert "654321" not in message.body


# --- sending, retries, back-off ---

def test_backoff_doubles_with_jitter():
    for attempts, minutes in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16)]:
        assert backoff_delay(attempts, rand=0.5) == timedelta(minutes=minutes)
        assert backoff_delay(attempts, rand=0.0) == timedelta(minutes=minutes * 0.8)
        assert backoff_delay(attempts, rand=1.0) == timedelta(minutes=minutes * 1.2)
    assert timedelta(seconds=48) <= backoff_delay(1) <= timedelta(seconds=72)


def test_temporary_failure_schedules_retry_with_backoff(fake_channel):
    message = queue_sms()
    fake_channel.fail_times = 2
    before = timezone.now()
    message = message_send(message_id=message.id)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1
    assert "gateway unavailable" in message.last_error
    assert before + timedelta(seconds=47) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=73)

    message = message_send(message_id=message.id)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 2)
    assert before + timedelta(seconds=95) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=145)

    message = message_send(message_id=message.id)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")
    assert len(fake_channel.sent) == 1


def test_max_attempts_then_dead(fake_channel):
    message = queue_sms()
    fake_channel.fail_times = 100
    for attempt in range(1, MAX_ATTEMPTS + 1):
        message = message_send(message_id=message.id)
        assert message.attempts == attempt
    assert message.status == MessageStatus.DEAD
    assert message.next_attempt_at is None
    assert message_send(message_id=message.id).attempts == MAX_ATTEMPTS  # dead is not sent again
    assert fake_channel.sent == []


def test_permanent_failure_is_dead_at_once(fake_channel):
    message = queue_sms()
    fake_channel.fail_permanently = True
    message = message_send(message_id=message.id)
    assert (message.status, message.attempts) == (MessageStatus.DEAD, 1)
    assert "refused" in message.last_error


def test_send_is_idempotent(fake_channel):
    message = queue_sms()
    first = message_send(message_id=message.id)
    second = message_send(message_id=message.id)
    assert first.status == second.status == MessageStatus.SENT
    assert second.attempts == 1
    assert len(fake_channel.sent) == 1


def test_a_message_claimed_by_another_worker_is_not_sent(fake_channel):
    message = queue_sms()
    Message.objects.filter(id=message.id).update(status=MessageStatus.SENDING)
    assert message_send(message_id=message.id).status == MessageStatus.SENDING
    assert fake_channel.sent == []


def test_send_unknown_message_is_harmless(fake_channel):
    assert message_send(message_id="0190f0f0-0000-7000-8000-000000000000") is None


def test_task_runs_twice_sends_once(fake_channel):
    from lachan.notifications.tasks import send_message_task

    message = queue_sms()
    assert send_message_task.enqueue(str(message.id)).return_value == "sent"
    assert send_message_task.enqueue(str(message.id)).return_value == "sent"
    assert len(fake_channel.sent) == 1


def test_sweep_enqueues_due_retries_once(fake_channel, django_capture_on_commit_callbacks):
    message = queue_sms()
    fake_channel.fail_times = 1
    message = message_send(message_id=message.id)
    assert message.status == MessageStatus.FAILED
    not_due = queue_sms(to="0987654321")  # fresh: its own task sends it, not the sweep
    assert messages_send_due() == 0

    later = message.next_attempt_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due(now=later) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due(now=later) == 0
    not_due.refresh_from_db()
    assert not_due.status == MessageStatus.QUEUED


def test_sweep_enqueues_a_message_whose_task_was_lost(fake_channel, django_capture_on_commit_callbacks):
    queue_sms()  # callbacks are not run: the task was never enqueued
    later = timezone.now() + services.CLAIM_TIMEOUT + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert messages_send_due(now=later) == 1
        assert messages_send_due(now=later) == 0  # not enqueued twice while it waits
    assert len(callbacks) == 1


def test_sweep_takes_back_a_message_stuck_in_sending(fake_channel, django_capture_on_commit_callbacks):
    message = queue_sms()
    Message.objects.filter(id=message.id).update(status=MessageStatus.SENDING, attempts=1)
    later = timezone.now() + services.CLAIM_TIMEOUT + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_send_due(now=later) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


def test_retry_dead_message(fake_channel, django_capture_on_commit_callbacks):
    message = queue_sms()
    fake_channel.fail_permanently = True
    message = message_send(message_id=message.id)
    fake_channel.reset()
    with django_capture_on_commit_callbacks(execute=True):
        message = message_retry(message=message)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    with pytest.raises(DomainError) as exc:
        message_retry(message=message)
    assert exc.value.code == "notifications.not_retryable"


def test_channel_is_chosen_from_settings(settings, fake_channel, caplog):
    settings.LACHAN_NOTIFICATION_CHANNELS = {
        "email": "lachan.notifications.channels.fake.FakeChannel",
        "sms": "lachan.notifications.channels.log.LogChannel",
    }
    sms = queue_sms()
    email = queue_sms(channel="email", to="an@example.vn")
    with caplog.at_level("INFO", logger="lachan.notifications"):
        sms = message_send(message_id=sms.id)
    email = message_send(message_id=email.id)
    assert sms.status == email.status == MessageStatus.SENT
    assert sms.provider_message_id == f"log-{sms.id}"
    assert "Xin chao An" in caplog.text
    assert [m["to"] for m in fake_channel.sent] == ["an@example.vn"]


def test_channel_removed_from_settings_makes_message_dead(settings, fake_channel):
    message = queue_sms()
    settings.LACHAN_NOTIFICATION_CHANNELS = {"email": "lachan.notifications.channels.fake.FakeChannel"}
    message = message_send(message_id=message.id)
    assert message.status == MessageStatus.DEAD
    assert "no channel" in message.last_error


def test_mask_address():
    assert mask_address("0912345612") == "09******12"
    assert mask_address("nguyen.an@example.com") == "ng*******@example.com"
    assert mask_address("a@x.vn") == "a*@x.vn"
