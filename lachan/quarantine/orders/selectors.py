"""Reads of orders, scoped to the reader's jurisdiction (lachan.quarantine.access): the order list (filters,
search on the person), one order with its tests and history, where a facility may be opened, the people a desk
may pick, and the policy versions. Facilities and their occupancy are lachan.quarantine.facilities'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system
from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.core.models import Policy
from lachan.core.parsers import uuid_or_none
from lachan.core.policies import policy_in_force
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people import selectors as people_selectors
from lachan.people.access import people_in_scope
from lachan.people.models import Person

from ..access import facility_managed_by, order_scope_q, order_text_q, require_perm
from ..errors import QuarantineErrorCode as Code
from ..models import Facility, Order, OrderEvent, OrderKind, OrderStatus, RequiredTest, Setting
from ..policy import POLICY_KIND

__all__ = ["facility_managed_by"]  # re-exported for views and the API
DUE_CHOICES = ("today", "overdue", "due")  # ends today; ended before today and still in force; either


# ---- orders ------------------------------------------------------------------------------------------

def orders_in_scope(user) -> QuerySet[Order]:
    queryset = Order.objects.select_related("person", "commune__parent", "facility__place", "room")
    if is_system(user):
        return queryset
    return queryset.filter(order_scope_q(user))


def order_communes(*, user) -> QuerySet[AdminUnit]:
    """The communes of the user's jurisdiction (a filter of the list; where a home order may be)."""
    scope = scope_for(user)
    if scope.kind != "unit":
        return AdminUnit.objects.none()
    return (AdminUnit.objects.filter(Q(pk=scope.unit_id) | Q(path__startswith=scope.unit_path + "/"),
                                     level=AdminLevel.COMMUNE).select_related("parent").order_by("path"))


def order_list(*, user, kind: str = "", setting: str = "", status: str = "", commune: AdminUnit | int | None = None,
               due: str = "", query: str = "", facility: Facility | None = None, today: date | None = None
               ) -> QuerySet[Order]:
    """Orders the user sees, newest first. `status` "" means in force; "all" every status. `due`: "today" (last
    day today), "overdue" (last day passed, not yet released) or "due" (either): in force only."""
    require_perm(user, Perm.QUARANTINE_VIEW)
    today = today or timezone.localdate()
    queryset = orders_in_scope(user)
    if kind in OrderKind.values:
        queryset = queryset.filter(kind=kind)
    if setting in Setting.values:
        queryset = queryset.filter(setting=setting)
    if status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    elif status != "all":
        queryset = queryset.filter(status=OrderStatus.ACTIVE)
    if commune:
        queryset = queryset.filter(commune_id=commune.pk if isinstance(commune, AdminUnit) else int(commune))
    if facility is not None:
        queryset = queryset.filter(facility=facility)
    if due in DUE_CHOICES:
        queryset = queryset.filter(status=OrderStatus.ACTIVE)
        queryset = queryset.filter(ends_on=today) if due == "today" else queryset.filter(
            ends_on__lt=today) if due == "overdue" else queryset.filter(ends_on__lte=today)
    where = order_text_q(query)
    if where is None:
        return queryset.none()
    if where:
        queryset = queryset.filter(where)
    if due in DUE_CHOICES:
        return queryset.order_by("ends_on", "code")
    return queryset.order_by("-starts_on", "-code")


def orders_audited(*, user, orders, action: str = "order.list") -> None:
    """A page of orders read: one audit event per person shown."""
    person_ids = [o.person_id for o in orders]
    if person_ids:
        audit_record_many(actor=user, action=action, object_type="person", person_ids=person_ids)


def order_get(*, user, order_id, audit: bool = True, perm: str = Perm.QUARANTINE_VIEW) -> Order:
    """One order the user sees (else 404, whether or not it exists)."""
    require_perm(user, perm)
    pk = uuid_or_none(order_id)
    order = (orders_in_scope(user).select_related("policy", "person__commune__parent__parent", "commune__parent__parent", "ended_by", "created_by")
             .filter(pk=pk).first()) if pk else None
    if order is None:
        raise NotFound(Code.ORDER_NOT_FOUND, _("Order not found."))
    if audit:
        audit_record(actor=user, action="order.view", object_type="quarantine_order", object_id=order.pk,
                     person_id=order.person_id, detail={"code": order.code})
    return order


def order_by_code(*, user, code: str) -> Order | None:
    code = str(code or "").strip().upper()[:32]
    return orders_in_scope(user).filter(code=code).first() if code else None


def order_tests(order: Order) -> list[RequiredTest]:
    return list(order.tests.select_related("sample").order_by("due_on", "day"))


def order_history(order: Order) -> list[OrderEvent]:
    """The order's events, each with `changes`: (what, before, after) in the reader's words."""
    events = list(order.events.select_related("by").order_by("at", "id"))
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        before, after = detail.get("before") or {}, detail.get("after") or {}
        event.changes = [(_history_label(key), _history_value(key, before.get(key)), _history_value(key, value))
                         for key, value in after.items()] if isinstance(after, dict) else []
    return events


def _history_label(key: str) -> str:
    labels = {"setting": _("where"), "commune": _("commune"), "facility": _("facility"), "room": _("room"),
              "address": _("address"), "starts_on": _("from"), "ends_on": _("until"),
              "home_from": _("at home from"), "status": _("status"), "ended_on": _("ended on")}
    return str(labels.get(key, key))


def _history_value(key: str, value):
    """A snapshot's value as read: the label of a choice, a day as dd/mm/yyyy (the snapshot keeps ISO days)."""
    from lachan.core.dates import day_parse

    if value in (None, ""):
        return None
    if key == "setting":
        return str(dict(Setting.choices).get(value, value))
    if key == "status":
        return str(dict(OrderStatus.choices).get(value, value))
    if key in ("starts_on", "ends_on", "home_from", "ended_on"):
        day = day_parse(value)
        return day.strftime("%d/%m/%Y") if day else value
    return value


def person_orders(*, user, person_id) -> list[Order]:
    """A person's orders (newest first) that the user sees: the person page's section."""
    return list(orders_in_scope(user).filter(person_id=person_id).order_by("-starts_on"))


@dataclass
class Progress:
    day: int  # day N of the order (1 on its first day; 0 before it starts)
    days: int  # M: its length
    left: int  # days left after today
    due: bool  # its last day is today or passed (in force: to be released)
    overdue: bool


def order_progress(order: Order, today: date | None = None) -> Progress:
    today = today or timezone.localdate()
    days = (order.ends_on - order.starts_on).days + 1
    last = order.ended_on if order.status != OrderStatus.ACTIVE and order.ended_on else today
    day = max(0, min(order.day_number(min(last, order.ends_on)), days))
    active = order.status == OrderStatus.ACTIVE
    return Progress(day=day, days=days, left=max(0, (order.ends_on - today).days) if active else 0,
                    due=active and order.ends_on <= today, overdue=active and order.ends_on < today)


def order_regime_day(order: Order, on: date | None = None) -> int | None:
    """Day of the regime (from the last exposure for contacts), as the policy counts test days."""
    on = on or timezone.localdate()
    rules = order.policy.rules or {}
    regimes = rules.get(order.kind) or {}
    r = regimes.get(order.immunity if order.immunity in regimes else "none") or {}
    if r.get("count_from") == "exposure" and order.exposed_on:
        return (on - order.exposed_on).days + 1
    return order.day_number(on)


# ---- facilities (their reads are lachan.quarantine.facilities') --------------------------------------

def facility_communes(*, user) -> QuerySet[AdminUnit]:
    """Where the user may open a facility: the communes of their jurisdiction."""
    return order_communes(user=user)


# ---- people and policies -----------------------------------------------------------------------------

def person_candidates(*, user, query: str, limit: int = 20) -> list[Person]:
    """People of the user's jurisdiction matching a name, a CCCD or a phone number, best first (audited like the
    people search)."""
    require_perm(user, Perm.QUARANTINE_EDIT)
    return people_selectors.person_candidates(user=user, query=query, purpose="quarantine", limit=limit)


def person_get(*, user, person_id) -> Person | None:
    pk = uuid_or_none(person_id)
    return people_in_scope(user).select_related("commune__parent").filter(pk=pk).first() if pk else None


def policy_on(on: date | None = None) -> Policy | None:
    """The quarantine policy version in force on a day (today), or None."""
    try:
        return policy_in_force(POLICY_KIND, on or timezone.localdate())
    except NotFound:
        return None


def policy_versions() -> QuerySet[Policy]:
    return Policy.objects.filter(kind=POLICY_KIND).order_by("-valid_from")


def due_counts(*, user, today: date | None = None) -> dict[str, int]:
    """In force, due for release today and overdue, within the user's jurisdiction: the list page's cards."""
    today = today or timezone.localdate()
    queryset = Order.objects.filter(order_scope_q(user), status=OrderStatus.ACTIVE)
    row = queryset.aggregate(active=Count("pk"), due_today=Count("pk", filter=Q(ends_on=today)),
                             overdue=Count("pk", filter=Q(ends_on__lt=today)))
    row["tests_today"] = RequiredTest.objects.filter(order__in=queryset.values("pk"), due_on=today,
                                                     status="planned").count()
    return {k: v or 0 for k, v in row.items()}
