"""A case's isolation state on a day — one rule for the cases list (its labels and its filter), the case page, the
API and the operations centre's count: in hospital, recovered or deceased from the case's status; otherwise
(isolating at home / in a facility as far as its status goes) where its isolation order in force that day puts
it, or no order in force (an order starting tomorrow is not yet in force, one that ended yesterday no longer).

The rule is written once, as database conditions (`isolation_q`): the list filters on them in its query, with
the orders in force as EXISTS subqueries (a person has at most one order in force: quarantine_one_active), so
that it stays one indexed query at 1,000,000 people; the labels are the same conditions in a CASE
(`isolation_expression`). Orders are the quarantine domain's: a workflow registers how to read its isolation
orders in force (lachan.workflows.quarantine_orders.isolation), the cases do not import it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Case, CaseStatus


class Isolation(models.TextChoices):
    NONE = "none", _("no isolation order in force")
    HOME = "home", _("isolating at home")
    FACILITY = "facility", _("isolating in a facility")
    HOSPITAL = "hospital", _("in hospital")
    RECOVERED = "recovered", _("recovered")
    DECEASED = "deceased", _("deceased")


# The statuses that say where a case is by themselves; the others (isolating at home / in a facility, the status
# a case gets when confirmed) are placed by the isolation order in force.
BY_STATUS = {CaseStatus.HOSPITAL: Isolation.HOSPITAL, CaseStatus.RECOVERED: Isolation.RECOVERED,
             CaseStatus.DECEASED: Isolation.DECEASED}
PLACED_BY_ORDER = tuple(s for s in CaseStatus.values if s not in BY_STATUS)
# The case statuses' former names, still accepted by the list's filter (links and API clients made before).
FILTER_ALIASES = {CaseStatus.ISOLATING_HOME.value: Isolation.HOME, CaseStatus.ISOLATING_FACILITY.value: Isolation.FACILITY}


@dataclass(frozen=True)
class IsolationOrders:
    """How the quarantine domain's isolation orders are read: `in_force(day)` the isolation orders in force that
    day (a queryset with `person_id`), `in_facility(day)` a filter on them: those placing the person in a
    facility that day."""

    in_force: Callable[[date], QuerySet]
    in_facility: Callable[[date], Q]


_providers: list[IsolationOrders] = []


def register_isolation_orders(provider: IsolationOrders) -> IsolationOrders:
    _providers[:] = [provider]  # one quarantine domain; registering again (a second ready()) replaces it
    return provider


def _order_exists(on: date, *, facility: bool | None = None) -> Exists | None:
    """EXISTS an isolation order of the case's person in force on the day (in a facility, or not, if asked)."""
    if not _providers:
        return None
    provider = _providers[0]
    orders = provider.in_force(on).filter(person_id=OuterRef("person_id"))
    if facility is True:
        orders = orders.filter(provider.in_facility(on))
    elif facility is False:
        orders = orders.exclude(provider.in_facility(on))
    return Exists(orders.values("pk"))


def isolation_q(state: str, *, on: date | None = None) -> Q:
    """A filter on Case: the cases whose isolation state on the day (today by default) is `state`. The six
    conditions exclude one another, so every case is in exactly one."""
    on = on or timezone.localdate()
    state = FILTER_ALIASES.get(state, state)
    for status, by_status in BY_STATUS.items():
        if state == by_status:
            return Q(status=status)
    placed = Q(status__in=PLACED_BY_ORDER)
    if state not in (Isolation.HOME, Isolation.FACILITY, Isolation.NONE):
        return Q(pk__in=[])
    facility = {Isolation.HOME: False, Isolation.FACILITY: True, Isolation.NONE: None}[state]
    exists = _order_exists(on, facility=facility)
    if exists is None:  # no quarantine domain: nobody is under an order
        return placed if state == Isolation.NONE else Q(pk__in=[])
    return placed & (Q(~exists) if state == Isolation.NONE else Q(exists))


def isolation_filter_value(value: str) -> str:
    """The isolation state a list's `status` parameter asks for ("" for any, or an unknown value)."""
    value = FILTER_ALIASES.get(value, value)
    return value if value in Isolation.values else ""


def isolation_expression(*, on: date | None = None) -> models.Case:
    """The isolation state on the day as an annotation (the same conditions as `isolation_q`)."""
    on = on or timezone.localdate()
    return models.Case(*(When(isolation_q(state, on=on), then=Value(state)) for state in Isolation.values
                         if state != Isolation.NONE),
                       default=Value(Isolation.NONE.value), output_field=models.CharField())


def with_isolation(queryset: QuerySet[Case], *, on: date | None = None) -> QuerySet[Case]:
    """The cases with `isolation_state` annotated (read by `isolation_attach` without another query)."""
    return queryset.annotate(isolation_state=isolation_expression(on=on))


def isolation_states(cases: list[Case], *, on: date | None = None) -> dict:
    """case id → Isolation, for the cases given (one query for all)."""
    if not cases:
        return {}
    rows = with_isolation(Case.objects.filter(pk__in=[c.pk for c in cases]), on=on).values_list("pk", "isolation_state")
    return {pk: Isolation(state) for pk, state in rows}


def isolation_attach(cases: list[Case], *, on: date | None = None) -> list[Case]:
    """The cases with `isolation` (an Isolation) set, for the pages: from the annotation of `with_isolation`
    when the cases were read with it, else read now."""
    missing = [case for case in cases if getattr(case, "isolation_state", None) is None]
    states = isolation_states(missing, on=on)
    for case in cases:
        state = getattr(case, "isolation_state", None)
        case.isolation = Isolation(state) if state is not None else states[case.pk]
    return cases
