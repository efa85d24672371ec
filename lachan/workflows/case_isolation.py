"""Where a case isolates today, from its isolation order in force (lachan.cases.isolation): the provider the
cases pages use, and the same rule for the operations centre's count of cases in isolation."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from lachan.cases.isolation import Isolation
from lachan.quarantine.models import Order, OrderKind, OrderStatus, Setting


def order_in_force_q(on: date) -> Q:
    """Orders in force on the day: active, started (one starting tomorrow is not yet), not over."""
    return Q(status=OrderStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on)


def in_facility_q(on: date) -> Q:
    """In a facility on the day: a facility order, unless its facility-then-home regime sent them home."""
    return Q(setting=Setting.FACILITY) & (Q(home_from__isnull=True) | Q(home_from__gt=on))


def isolation_places(*, person_ids: set, on: date) -> dict:
    """Registered with lachan.cases.isolation: person id → home or facility, for those with an isolation order
    in force on the day."""
    rows = (Order.objects.filter(order_in_force_q(on), kind=OrderKind.ISOLATION, person_id__in=person_ids)
            .values_list("person_id", "setting", "home_from"))
    return {person: Isolation.FACILITY if setting == Setting.FACILITY and (home_from is None or home_from > on)
            else Isolation.HOME for person, setting, home_from in rows}
