"""The only way the platform sends anything: queue a templated message in the outbox; a worker sends it.

notification_queue() stores the message in the caller's transaction and enqueues the send task only
after that transaction commits, so rolled-back work sends nothing. message_send() claims the message
with a conditional UPDATE, so a task that runs twice (or a task and the sweep) sends it once.
Failed sends are retried with exponential back-off; after MAX_ATTEMPTS the message is dead until an
operator retries it.
"""

from __future__ import annotations

import functools
import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from lachan.core.db import bulk_insert
from lachan.core.errors import DomainError
from lachan.core.ids import uuid7

from .addresses import normalize_address
from .channels import ChannelFailure, PermanentFailure, TemporaryFailure, channel_for, configured_channels
from .errors import NotificationError
from .models import Message, MessageStatus, MessageTemplate

logger = logging.getLogger("lachan.notifications")

MAX_ATTEMPTS = 6
# A claimed message not finished within this time is taken back by the sweep (worker died mid-send).
# The same delay is the back-stop for a freshly queued message whose task never ran.
CLAIM_TIMEOUT = timedelta(minutes=5)
SWEEP_BATCH = 500
SEND_BATCH = 200  # messages per background task when many are queued at once
_MISSING = "\x00missing:%s\x00"
# Plain text out (SMS, e-mail bodies): no HTML escaping; unknown variables are detected, not blanked.
# Templates write numbers with the shared helper: {{ value|number }} ("38,6" in Vietnamese), in the template's language.
_engine = Engine(autoescape=False, string_if_invalid=_MISSING, builtins=["lachan.core.templatetags.numbers"])
_SENT_REDACTED = "[removed after sending]"


def backoff_delay(attempts: int, *, rand: float | None = None) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1, 2, 4, 8, 16… minutes, ±20 % jitter."""
    base = 60 * 2 ** max(attempts - 1, 0)
    jitter = 0.8 + 0.4 * (random.random() if rand is None else rand)  # noqa: S311 (not for security)
    return timedelta(seconds=base * jitter)


def template_get(*, code: str, channel: str, language: str) -> MessageTemplate:
    template = (
        MessageTemplate.objects.filter(code=code, channel=channel, language=language, active=True)
        .order_by("-version").first()
    )
    if template is None:
        raise DomainError(
            NotificationError.UNKNOWN_TEMPLATE,
            _("There is no “%(code)s” template for %(channel)s in language “%(language)s”.")
            % {"code": code, "channel": channel, "language": language},
            field="template",
        )
    return template


@functools.lru_cache(maxsize=256)
def _compiled(text: str):
    # Keyed by the text itself, so an edited template (a new version) is compiled afresh.
    return _engine.from_string(text)


def template_render(*, template: MessageTemplate, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) rendered with `context`; DomainError if the text is broken or a variable missing."""
    rendered = []
    for text in (template.subject, template.body):
        try:
            with translation.override(template.language):
                out = _compiled(text).render(Context(context, autoescape=False))
        except TemplateSyntaxError as exc:
            raise DomainError(
                NotificationError.BAD_TEMPLATE,
                _("The template “%(code)s” cannot be rendered: %(error)s") % {"code": template.code, "error": exc},
                field="template",
            ) from exc
        if "\x00missing:" in out:
            missing = sorted({part.split("\x00")[0] for part in out.split("\x00missing:")[1:]})
            raise DomainError(
                NotificationError.BAD_CONTEXT,
                _("The template “%(code)s” needs a value for: %(names)s.")
                % {"code": template.code, "names": ", ".join(missing)},
                field="context",
            )
        rendered.append(out.strip())
    return rendered[0].replace("\n", " "), rendered[1]


@transaction.atomic
def _stored(by):
    """The account kept as who queued it: a logged-in person, else none (the system actor is not a user)."""
    return by if getattr(by, "is_authenticated", False) else None


def notification_queue(
    *, template: str, channel: str, to: str, context: dict[str, Any] | None = None,
    person_id=None, language: str = "vi", by=None,
) -> Message:
    """Render `template` for `channel` and store it in the outbox; it is sent after the caller commits."""
    context = dict(context or {})
    if channel not in configured_channels():
        raise DomainError(
            NotificationError.UNKNOWN_CHANNEL, _("Unknown notification channel “%(channel)s”.") % {"channel": channel},
            field="channel",
        )
    languages = {code for code, _name in settings.LANGUAGES}
    if language not in languages:
        raise DomainError(
            NotificationError.UNKNOWN_LANGUAGE, _("Unknown language “%(language)s”.") % {"language": language},
            field="language",
        )
    address = normalize_address(channel, to)
    tmpl = template_get(code=template, channel=channel, language=language)
    subject, body = template_render(template=tmpl, context=context)
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            NotificationError.BAD_CONTEXT, _("The message context must be plain JSON values."), field="context",
        ) from exc
    now = timezone.now()
    message = Message.objects.create(
        channel=channel, to=address, person_id=person_id, template_code=tmpl.code, template_version=tmpl.version,
        language=language, subject=subject[:200], body=body, context={} if tmpl.sensitive else context,
        sensitive=tmpl.sensitive, status=MessageStatus.QUEUED, next_attempt_at=now + CLAIM_TIMEOUT,
        created_by=_stored(by), changed_by=_stored(by),
    )
    _enqueue_after_commit(message.id)
    return message


@transaction.atomic(savepoint=False)  # a savepoint around 100,000 rows made SQLite's inserts several times slower
def notification_queue_many(
    *, template: str, channel: str, items: list[tuple[str, dict[str, Any], Any]], language: str = "vi", by=None,
) -> list:
    """notification_queue for many recipients of one template: `items` are (to, context, person_id);
    the template is looked up once, each distinct context rendered and checked once (a lab file's
    200,000 results share one context per tube) and the messages written in one statement. All or
    nothing; returns the ids of the messages queued."""
    if not items:
        return []
    if channel not in configured_channels():
        raise DomainError(
            NotificationError.UNKNOWN_CHANNEL, _("Unknown notification channel “%(channel)s”.") % {"channel": channel},
            field="channel",
        )
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise DomainError(
            NotificationError.UNKNOWN_LANGUAGE, _("Unknown language “%(language)s”.") % {"language": language},
            field="language",
        )
    tmpl = template_get(code=template, channel=channel, language=language)
    now = timezone.now()
    rendered: dict = {}
    rows = []
    last, got = None, None
    for to, context, person_id in items:
        context = context or {}
        if context is not last:  # callers pass one dict for many recipients: looked up once
            try:
                key = tuple(sorted(context.items()))
                got = rendered.get(key)
            except TypeError:  # unhashable values: rendered on their own
                key, got = None, None
            if got is None:
                got = _render_checked(tmpl, dict(context))
                if key is not None:
                    rendered[key] = got
            last = context
        rows.append({"id": uuid7(), "to": normalize_address(channel, to), "person_id": person_id, "subject": got[0],
                     "body": got[1], "context": got[2]})
    by_id = by.pk if by is not None else None
    same = {"channel": channel, "template_code": tmpl.code, "template_version": tmpl.version, "language": language,
            "sensitive": tmpl.sensitive, "status": MessageStatus.QUEUED, "attempts": 0,
            "next_attempt_at": now + CLAIM_TIMEOUT, "created_at": now, "changed_at": now, "created_by_id": by_id,
            "changed_by_id": by_id, "last_error": "", "provider_message_id": "", "sent_at": None}
    if tmpl.sensitive:
        same["context"] = {}
    # Straight to the table: an F0's notices are hundreds of rows and the ORM's preparation dominated.
    ids = bulk_insert(Message, rows, now=now, same=same)
    queued = [str(pk) for pk in ids]
    transaction.on_commit(lambda: _enqueue_many(queued), robust=True)
    return ids


def _render_checked(tmpl: MessageTemplate, context: dict) -> tuple[str, str, dict]:
    """(subject, body, the context kept with the message) for one context; DomainError if it cannot be used."""
    subject, body = template_render(template=tmpl, context=context)
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            NotificationError.BAD_CONTEXT, _("The message context must be plain JSON values."), field="context",
        ) from exc
    return subject[:200], body, {} if tmpl.sensitive else context


def _enqueue_after_commit(message_id) -> None:
    # robust: a queue that is down must not undo the caller's work; the sweep sends the message later.
    transaction.on_commit(lambda: _enqueue(message_id), robust=True)


def _enqueue(message_id) -> None:
    send_message_task.enqueue(str(message_id))


def _enqueue_many(message_ids: list[str]) -> None:
    # One transaction for all the task rows (a lab file queues a thousand): one commit, not one each.
    with transaction.atomic():
        for i in range(0, len(message_ids), SEND_BATCH):
            send_messages_task.enqueue(message_ids[i:i + SEND_BATCH])


def messages_send(*, message_ids: list[str], now: datetime | None = None) -> int:
    """Send a batch (one task for many messages); each is claimed on its own, so a retry is safe."""
    sent = 0
    for message_id in message_ids:
        message = message_send(message_id=message_id, now=now)
        sent += bool(message is not None and message.status == MessageStatus.SENT)
    return sent


def message_send(*, message_id, now: datetime | None = None) -> Message | None:
    """Send one message if it is still waiting; safe to call twice. Returns the message as it ends up."""
    now = now or timezone.now()
    claimed = Message.objects.filter(
        id=message_id, status__in=[MessageStatus.QUEUED, MessageStatus.FAILED]
    ).update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_TIMEOUT, changed_at=now)
    message = Message.objects.filter(id=message_id).first()
    if not claimed:
        if message is None:
            logger.warning("Message %s does not exist", message_id)
        return message
    try:
        channel = channel_for(message.channel)
        result = channel.send(message)
    except KeyError:
        return _mark_failed(message, f"no channel configured for “{message.channel}”", permanent=True)
    except PermanentFailure as exc:
        return _mark_failed(message, str(exc), permanent=True)
    except (TemporaryFailure, ChannelFailure) as exc:
        return _mark_failed(message, str(exc), permanent=False)
    except Exception as exc:  # a bug in a channel: retry like a temporary failure, but log it loudly
        logger.exception("Channel %s crashed sending message %s", message.channel, message.id)
        return _mark_failed(message, f"{type(exc).__name__}: {exc}", permanent=False)
    sent_at = timezone.now()
    fields = {
        "status": MessageStatus.SENT, "sent_at": sent_at, "provider_message_id": result.provider_id[:200],
        "next_attempt_at": None, "last_error": "", "changed_at": sent_at,
    }
    if message.sensitive:
        fields.update(body=_SENT_REDACTED, context={})  # a used one-time code has no reason to stay
    Message.objects.filter(id=message.id, status=MessageStatus.SENDING).update(**fields)
    message.refresh_from_db()
    return message


def _mark_failed(message: Message, error: str, *, permanent: bool) -> Message:
    now = timezone.now()
    attempts = message.attempts
    if permanent or attempts >= MAX_ATTEMPTS:
        status, next_at = MessageStatus.DEAD, None
    else:
        status, next_at = MessageStatus.FAILED, now + backoff_delay(attempts)
    logger.warning("Message %s attempt %s failed (%s): %s", message.id, attempts, status, error)
    Message.objects.filter(id=message.id, status=MessageStatus.SENDING).update(
        status=status, next_attempt_at=next_at, last_error=error[:2000], changed_at=now,
    )
    message.refresh_from_db()
    return message


def messages_send_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """The sweep (every minute): enqueue a send for every message whose (re)try time has come.

    Also takes back messages whose sender died mid-send. Pushing next_attempt_at forward while
    enqueuing keeps the next sweep from enqueuing the same message again before the worker gets to it.
    """
    now = now or timezone.now()
    stale = Message.objects.filter(status=MessageStatus.SENDING, next_attempt_at__lte=now)
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=MessageStatus.DEAD, next_attempt_at=None, last_error="the sender stopped while sending", changed_at=now,
    )
    stale.update(status=MessageStatus.FAILED, next_attempt_at=now, last_error="the sender stopped while sending",
                 changed_at=now)
    due = Q(status__in=[MessageStatus.QUEUED, MessageStatus.FAILED], next_attempt_at__lte=now)
    ids = list(Message.objects.filter(due).order_by("next_attempt_at").values_list("id", flat=True)[:limit])
    count = 0
    for message_id in ids:
        with transaction.atomic():
            if Message.objects.filter(due, id=message_id).update(next_attempt_at=now + CLAIM_TIMEOUT):
                _enqueue_after_commit(message_id)
                count += 1
    return count


@transaction.atomic(durable=True)
def message_retry(*, message: Message, by=None) -> Message:
    """Give a dead message a fresh set of attempts."""
    now = timezone.now()
    updated = Message.objects.filter(id=message.id, status=MessageStatus.DEAD).update(
        status=MessageStatus.QUEUED, attempts=0, next_attempt_at=now + CLAIM_TIMEOUT, changed_at=now, changed_by=_stored(by),
    )
    if not updated:
        raise DomainError(
            NotificationError.NOT_RETRYABLE, _("Only a message that has finally failed can be retried."),
        )
    _enqueue_after_commit(message.id)
    message.refresh_from_db()
    return message


# ---- the tasks, beside the functions they run (issue 13: no services ↔ tasks cycle) ----------------------------
# Queued rows name a task by module path: rows queued before this move name lachan.notifications.tasks, which
# re-exports these.


@task(queue_name="notifications")
def send_message_task(message_id: str) -> str | None:
    message = message_send(message_id=message_id)
    return message.status if message else None


@task(queue_name="notifications")
def send_messages_task(message_ids: list[str]) -> int:
    """A batch queued together (an F0's notices): one task row instead of hundreds."""
    return messages_send(message_ids=message_ids)
