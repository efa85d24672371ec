"""A confirmed case who checks in at a venue (item 21 of issue 12): the visit stays recorded (tracing needs it),
the person is told to go home and isolate, and the commune station gets an alert — whether or not an order is in
force for them.

Who should not be out (`cases_to_isolate`): a person with a case confirmed at or before the visit that is
  - not closed: its status is not recovered or deceased (in hospital, or isolating at home / in a facility);
  - and still in its isolation period on the day of the visit: under an order in force that day (its dates, as
    extended or moved, decide); otherwise, unless an isolation order of the case was released (completed) on or
    before that day, until the last day of the isolation regime of the quarantine policy version in force on the
    case's first day of isolation (the day it was isolated: `Case.isolated_at`), for the immunity of its latest
    isolation order (unknown, as the policy says, counts as none). When no version is in force that day the
    period cannot be told and the case is taken as still infectious (an alert too many, not one too few).
A case marked recovered, or whose period is over, checks in as anyone else.

The alert (`AlertKind.VIOLATION`, as for a person outside their geofence): on the order in force that day when
there is one (the station monitoring it, as before); otherwise an alert without an order about the person, for
the station of the person's commune (lachan.quarantine.alerts), in the same queue and the operations feed, seen
within the same jurisdiction. A person still out keeps one open alert (its repeats grow)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from lachan.cases.models import FINAL_STATUSES, Case, CaseStatus
from lachan.core.policies import policy_rules
from lachan.quarantine.models import AlertKind, Immunity, Order, OrderKind, OrderStatus
from lachan.quarantine.monitoring import alert_raise
from lachan.quarantine.policy import base_day, regime

logger = logging.getLogger("lachan.workflows")

CLOSED_STATUSES = (CaseStatus.RECOVERED, *FINAL_STATUSES)
POLICY_KIND = "quarantine"


@dataclass(frozen=True)
class _Case:
    pk: object
    code: str
    confirmed_at: object
    first_day: date  # of isolation


def _policy_last_day(case: _Case, immunity: str) -> date | None:
    """The last day of the case's isolation under the policy version in force on its first day (None: no version)."""
    rules = policy_rules(POLICY_KIND, case.first_day)
    reg = regime(rules, kind=OrderKind.ISOLATION, immunity=immunity) if rules else None
    if reg is None:
        return None
    return base_day(reg, starts_on=case.first_day, exposed_on=None) + timedelta(days=reg.days - 1)


def cases_to_isolate(*, visits: list[tuple[object, object]]) -> dict:
    """person id → (the case, the order in force on the day or None), for the visits [(person id, when)] by people
    who should not be out (the rule of the module). Two queries for a batch, whatever its size."""
    people = {person for person, _at in visits}
    cases: dict = {}
    for person_id, pk, code, confirmed_at, isolated_at in (
            Case.objects.filter(person_id__in=people).exclude(status__in=CLOSED_STATUSES)
            .values_list("person_id", "pk", "code", "confirmed_at", "isolated_at").order_by("confirmed_at")):
        cases.setdefault(person_id, []).append(_Case(pk, code, confirmed_at, timezone.localdate(isolated_at)))
    if not cases:
        return {}
    orders: dict = {}
    for order in Order.objects.filter(person_id__in=set(cases)).select_related("person").order_by("starts_on"):
        orders.setdefault(order.person_id, []).append(order)
    found: dict = {}
    for person_id, at in visits:
        day = timezone.localdate(at)
        confirmed = [case for case in cases.get(person_id, ()) if case.confirmed_at <= at]
        if not confirmed:
            continue
        case = confirmed[-1]
        own = orders.get(person_id, [])
        in_force = next((o for o in own if o.status == OrderStatus.ACTIVE and o.starts_on <= day <= o.ends_on), None)
        if in_force is not None:
            found[person_id] = (case, in_force)
            continue
        isolation = [o for o in own if o.kind == OrderKind.ISOLATION and (o.case_id in (None, case.pk))
                     and o.starts_on >= case.first_day - timedelta(days=1)]
        if any(o.status == OrderStatus.RELEASED and o.ended_on and o.ended_on <= day for o in isolation):
            continue  # completed its isolation
        immunity = isolation[-1].immunity if isolation else Immunity.NONE
        last = _policy_last_day(case, immunity)
        if last is None or day <= last:
            found[person_id] = (case, None)
    return found


def checkins_of_cases(*, checkins: list, **_signal) -> set:
    """Connected to venues.signals.checkins_recorded: the people among `checkins` ([(CheckIn, created)]) who
    should not be out (the rule of the module), told to go home; a new visit of theirs raises the station's
    alert."""
    found = cases_to_isolate(visits=[(c.person_id, c.checked_in_at) for c, _created in checkins])
    for checkin, created in checkins:
        if not created or checkin.person_id not in found:
            continue
        case, order = found[checkin.person_id]
        detail = {"venue_id": str(checkin.venue_id), "checkin_id": checkin.pk, "case": case.code,
                  "venue": checkin.venue.place.name if hasattr(checkin.venue, "place") else ""}
        if order is not None:
            alert_raise(order=order, kind=AlertKind.VIOLATION, now=checkin.checked_in_at, detail=detail)
        else:
            alert_raise(person=checkin.person, kind=AlertKind.VIOLATION, now=checkin.checked_in_at, detail=detail)
    return set(found)
