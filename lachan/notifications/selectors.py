"""Reads of the outbox. Not scoped by jurisdiction: the outbox is province-wide and only roles bound to
the province hold notifications.view (notifications sits below accounts and cannot ask for a scope)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.auditing import record_read
from lachan.core.errors import NotFound
from lachan.core.pagination import page_of as core_page_of

from .errors import NotificationError
from .models import Message

PERM_VIEW = "notifications.view"


def can_view(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_perm_code(PERM_VIEW)))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def messages_list(
    *, status: str | None = None, channel: str | None = None, date_from: date | None = None,
    date_to: date | None = None, to: str | None = None, template: str | None = None, person_id=None,
) -> QuerySet[Message]:
    qs = Message.objects.all()
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if date_from:
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    if to:
        qs = qs.filter(to=to.strip())
    if template:
        qs = qs.filter(template_code=template.strip())
    if person_id:
        qs = qs.filter(person_id=person_id)
    return qs.order_by("-id")


PERSON_FILTERS = ("to", "template", "person_id")  # a template names a result ("labs.result_positive")


def outbox_audited(*, user, rows, filters: dict) -> None:
    """A list of the outbox filtered by recipient, person or template is a read of those people: one audit event
    per person shown (one naming the filter when nobody is)."""
    named = {key: str(filters[key]) for key in PERSON_FILTERS if filters.get(key)}
    if named:
        record_read(actor=user, action="message.list", object_type="person",
                    person_ids=list(dict.fromkeys(row.person_id for row in rows if row.person_id)),
                    detail={"filters": named})


def message_audited(*, user, message: Message) -> None:
    record_read(actor=user, action="message.view", object_type="message", object_id=message.pk,
                person_ids=[message.person_id] if message.person_id else [],
                detail={"template": message.template_code})


def message_get(*, message_id) -> Message:
    try:
        return Message.objects.get(id=message_id)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise NotFound(NotificationError.NOT_FOUND, _("No such message.")) from None


def page_of(qs: QuerySet, *, page: int, size: int = 50) -> tuple[list, bool]:
    """One page and whether there is a next one (see core.pagination)."""
    result = core_page_of(qs, page=page, size=size)
    return result.items, result.has_next
