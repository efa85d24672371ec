"""Where a case isolates today, from its isolation order in force (lachan.cases.isolation): how the cases read the
quarantine domain's isolation orders (registered in lachan.workflows.apps), and the same rule for the operations
centre's count of cases in isolation."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from lachan.cases.isolation import PLACED_BY_ORDER, IsolationOrders
from lachan.cases.models import Case
from lachan.quarantine.models import Order, OrderKind, OrderStatus, Setting


def order_in_force_q(on: date) -> Q:
    """Orders in force on the day: active, started (one starting tomorrow is not yet), not over."""
    return Q(status=OrderStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on)


def in_facility_q(on: date) -> Q:
    """In a facility on the day: a facility order, unless its facility-then-home regime sent them home."""
    return Q(setting=Setting.FACILITY) & (Q(home_from__isnull=True) | Q(home_from__gt=on))


def isolation_orders_in_force(on: date) -> QuerySet[Order]:
    return Order.objects.filter(order_in_force_q(on), kind=OrderKind.ISOLATION)


ISOLATION_ORDERS = IsolationOrders(in_force=isolation_orders_in_force, in_facility=in_facility_q)


def isolated_case_q() -> Q:
    """A filter on Order: the orders whose person's case is placed by its order (not in hospital, recovered or
    deceased), i.e. those the cases list shows at home or in a facility (lachan.cases.isolation); and those of a
    person with no case on record (an order made without one: still someone isolating)."""
    cases = Case.objects.filter(person_id=OuterRef("person_id"))
    return Q(Exists(cases.filter(status__in=PLACED_BY_ORDER))) | ~Q(Exists(cases))
