"""Telling a person their quarantine or isolation order: an SMS with its dates, where it is served and the link
of their daily check-in page (`order_notify`); many new orders at once (`orders_notify_new`), by the background worker
(`orders_notify_task`) past a few hundred. Each order is told once (`Order.told_at`)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from lachan.accounts.actors import is_system, system_actor
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError
from lachan.core.task_retries import retryable
from lachan.notifications.services import notification_queue

from .. import links
from ..errors import QuarantineErrorCode
from ..models import Order
from .selectors import order_reachable, require_perm_or_citizen

logger = logging.getLogger("lachan.quarantine.monitoring")

ORDER_NOTICE_TEMPLATE = "quarantine.order_notice"


@transaction.atomic
def order_notify(*, order: Order, by=None, base_url: str = ""):
    """Queue the SMS telling the person their order (dates, where) and the link of their phone page.
    `base_url`: the site's address (https://…), put before the link's path."""
    require_perm_or_citizen(by, Perm.QUARANTINE_EDIT)
    if not is_system(by) and (getattr(by, "is_citizen", False) or not order_reachable(by, order)):
        raise DomainError(QuarantineErrorCode.ORDER_NOT_FOUND, _("Quarantine order not found."))
    if not order.is_active:
        raise DomainError(QuarantineErrorCode.ORDER_NOT_ACTIVE, _("This order has ended: there is nothing to tell."))
    phone = order.person.phone or order.person.phone_alt
    if not phone:
        raise DomainError(QuarantineErrorCode.NO_PHONE, _("This person has no phone number to send the order to."),
                          field="phone")
    url = (base_url or settings.PUBLIC_URL).rstrip("/") + links.link_path(order)
    message = notification_queue(
        template=ORDER_NOTICE_TEMPLATE, channel="sms", to=phone, person_id=order.person_id, by=by,
        context={"code": order.code, "kind": order.kind, "setting": order.setting,
                 "what_vi": ("cach ly F0" if order.kind == "isolation" else "cach ly")
                 + (" tai nha" if order.setting == "home" else " tai co so"),
                 "what_en": ("Isolation" if order.kind == "isolation" else "Quarantine")
                 + (" at home" if order.setting == "home" else " in a facility"),
                 "starts": order.starts_on.strftime("%d/%m/%Y"), "ends": order.ends_on.strftime("%d/%m/%Y"),
                 "url": url})
    Order.objects.filter(pk=order.pk).update(told_at=timezone.now())
    audit_record(actor=by, action="create", object_type="quarantine_order_notice", object_id=order.pk,
                 person_id=order.person_id, detail={"order": order.code, "message": str(message.pk)})
    return message


NOTIFY_AT_ONCE_MAX = 200  # more new orders than this (a whole tracing result) are told by the background worker
NOTIFY_TASK_SIZE = 2000


def orders_notify_new(*, order_ids: list, by, base_url: str = "") -> int:
    """Tell the people of newly made orders (order_notify), at once for a few, else by background tasks queued
    in the caller's transaction (a rolled-back creation queues nothing). People without a phone are left to
    the commune station's call (the order page says so). Returns how many were told at once."""
    if len(order_ids) > NOTIFY_AT_ONCE_MAX:
        actor_id = by.pk if getattr(by, "is_authenticated", False) else None
        for start in range(0, len(order_ids), NOTIFY_TASK_SIZE):
            batch = [str(i) for i in order_ids[start:start + NOTIFY_TASK_SIZE]]
            transaction.on_commit(lambda batch=batch: orders_notify_task.enqueue(
                order_ids=batch, actor_id=actor_id, base_url=base_url))
        return 0
    return orders_notify(order_ids=order_ids, by=by, base_url=base_url)


def orders_notify(*, order_ids: list, by, base_url: str = "") -> int:
    """order_notify for each of these orders not told yet; how many were told. Telling is not what makes the order:
    one that cannot be told (no phone, ended meanwhile, no message template) is logged and left to the station's
    call, the others are told. Run again (a task whose worker was lost after it committed), it tells nobody twice:
    each order is claimed by a conditional update, which also makes two runs at once take turns."""
    told = 0
    for order in Order.objects.filter(pk__in=order_ids, told_at__isnull=True).select_related("person"):
        try:
            with transaction.atomic():
                if not Order.objects.filter(pk=order.pk, told_at__isnull=True).update(told_at=timezone.now()):
                    continue  # told meanwhile
                order_notify(order=order, by=by, base_url=base_url)
            told += 1
        except DomainError as exc:
            if exc.code not in (QuarantineErrorCode.NO_PHONE, QuarantineErrorCode.ORDER_NOT_ACTIVE):
                logger.warning("Order %s not told: %s", order.code, exc)
    return told


@retryable(aliases=("lachan.quarantine.tasks.orders_tell_task", "lachan.quarantine.monitoring.orders_tell_task"))
@task()
def orders_notify_task(*, order_ids: list[str], actor_id: int | None, base_url: str = "") -> int:
    """Tell the people of a bulk creation's orders (orders_notify_new), retried if it fails (it is all or nothing).
    Rows queued before issue 13 name it lachan.quarantine.tasks.orders_tell_task, later ones
    lachan.quarantine.monitoring.orders_tell_task (both still import it)."""
    from lachan.accounts.models import User

    with transaction.atomic():
        actor = (User.objects.filter(pk=actor_id).first() if actor_id else None) or system_actor("quarantine.orders_tell")
        told = 0
        for start in range(0, len(order_ids), 100):
            told += orders_notify(order_ids=order_ids[start:start + 100], by=actor, base_url=base_url)
        return told


# Rows queued before the rename name the task lachan.quarantine.tasks.orders_tell_task or
# lachan.quarantine.monitoring.orders_tell_task (django-tasks stores `module.qualname` and imports it): the old
# name stays an alias until those rows are pruned (see lachan.quarantine.tasks).
orders_tell_task = orders_notify_task
