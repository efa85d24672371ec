"""Where a case isolates today, from its isolation order in force (lachan.cases.isolation): how the cases read the
quarantine domain's isolation orders (registered in lachan.workflows.apps). The operations centre counts cases in
isolation by the same rule (lachan.quarantine.access.order_in_force_q, in_facility_q)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from lachan.cases.isolation import IsolationOrders
from lachan.quarantine.access import in_facility_q, order_in_force_q
from lachan.quarantine.models import Order, OrderKind


def isolation_orders_in_force(on: date) -> QuerySet[Order]:
    return Order.objects.filter(order_in_force_q(on), kind=OrderKind.ISOLATION)


ISOLATION_ORDERS = IsolationOrders(in_force=isolation_orders_in_force, in_facility=in_facility_q)
