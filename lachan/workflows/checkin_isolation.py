"""A confirmed case who checks in at a venue (item 21 of issue 12): the visit stays recorded (tracing needs it),
the person is told to go home and isolate, and the commune station monitoring their isolation gets an alert
(a 'left the place of isolation' alert on the order in force, which the operations centre's feed shows)."""

from __future__ import annotations

import logging

from lachan.cases.models import ACTIVE_STATUSES, Case
from lachan.quarantine.alerts import alert_raise
from lachan.quarantine.models import AlertKind, Order, OrderStatus

logger = logging.getLogger("lachan.workflows")


def checkins_of_cases(*, checkins: list) -> set:
    """Registered on venues.hooks.on_checkins_recorded: the people among `checkins` ([(CheckIn, created)]) who
    are confirmed cases not recovered at the time of their visit. One query for the batch (two if any)."""
    people = {checkin.person_id for checkin, _created in checkins}
    confirmed: dict = {}
    for person_id, confirmed_at in (Case.objects.filter(person_id__in=people, status__in=ACTIVE_STATUSES)
                                    .values_list("person_id", "confirmed_at")):
        confirmed[person_id] = min(confirmed_at, confirmed.get(person_id, confirmed_at))
    isolate = {checkin.person_id for checkin, _created in checkins
               if checkin.person_id in confirmed and confirmed[checkin.person_id] <= checkin.checked_in_at}
    new = [checkin for checkin, created in checkins if created and checkin.person_id in isolate]
    if new:
        orders = {order.person_id: order for order in
                  Order.objects.filter(person_id__in={c.person_id for c in new}, status=OrderStatus.ACTIVE)
                  .select_related("person")}
        for checkin in new:
            order = orders.get(checkin.person_id)
            if order is None:  # a case without an order in force: the station has nothing to attach it to
                logger.warning("case person %s checked in at venue %s without an order in force",
                               checkin.person_id, checkin.venue_id)
                continue
            alert_raise(order=order, kind=AlertKind.VIOLATION, now=checkin.checked_in_at,
                        detail={"venue_id": str(checkin.venue_id), "checkin_id": checkin.pk,
                                "venue": checkin.venue.place.name if hasattr(checkin.venue, "place") else ""})
    return isolate
