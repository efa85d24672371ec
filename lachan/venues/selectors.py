"""Reads of venues and check-ins.

Venue lists are scoped: owners see their own venues, unit staff the venues in their jurisdiction.
`checkins_of_person` and `checkins_overlapping` are system reads for the tracing engine (no user
scoping): tracing decides who may trigger it and scopes what it shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_person, is_system
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.roles import Role
from lachan.core.errors import NotFound
from lachan.geo.models import AdminLevel

from .errors import VenueErrorCode
from .models import CheckIn, Venue
from .policy import checkin_rules


class CheckInRow(NamedTuple):
    person_id: UUID
    venue_id: UUID
    checked_in_at: datetime
    checked_out_at: datetime


_ROW = ("person_id", "venue_id", "checked_in_at", "checked_out_at")


def checkins_of_person(*, person_id: UUID, start: datetime, end: datetime) -> list[CheckInRow]:
    """A person's visits that overlap [start, end] (their own check-ins, for a case's exposure places).
    System read: not scoped by user."""
    max_stay = checkin_rules(start.date()).max_stay
    rows = (
        CheckIn.objects.filter(person_id=person_id, checked_in_at__gte=start - max_stay, checked_in_at__lte=end,
                               checked_out_at__gt=start)
        .order_by("checked_in_at").values_list(*_ROW)
    )
    return [CheckInRow(*row) for row in rows]


def checkins_overlapping(*, venue_id: UUID, start: datetime, end: datetime,
                         max_stay_minutes: int | None = None) -> list[CheckInRow]:
    """Check-ins at a venue whose stay overlaps [start, end]. A range scan on (venue, checked_in_at)
    bounded by the longest possible stay (ADR 0002), read off the covering index. System read."""
    if max_stay_minutes is None:
        max_stay_minutes = checkin_rules(start.date()).max_stay_minutes
    rows = (
        CheckIn.objects.filter(venue_id=venue_id, checked_in_at__gte=start - timedelta(minutes=max_stay_minutes),
                               checked_in_at__lte=end, checked_out_at__gt=start)
        .order_by("checked_in_at").values_list(*_ROW)
    )
    return [CheckInRow(*row) for row in rows]


def venues_in_scope(user) -> QuerySet[Venue]:
    """Venue owners: their own venues; administrative staff: the venues in their jurisdiction."""
    queryset = Venue.objects.select_related("place", "place__commune__parent", "owner")
    if is_system(user):
        return queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.role == Role.VENUE_OWNER:
        place_q = Q(place_id=user.jurisdiction_place_id) if user.jurisdiction_place_id else Q(pk__in=[])
        return queryset.filter(Q(owner=user) | place_q)
    scope = scope_for(user)
    if scope.kind == "unit":
        return queryset.filter(scope.commune_q("place__commune"))
    return queryset.none()


def venue_in_scope(user, venue: Venue) -> bool:
    """venues_in_scope(user) contains this venue, decided without a query when the venue's place and
    commune (and the user's jurisdiction unit) are loaded: the check-in API asks it on every call."""
    if is_system(user):
        return True
    if not is_person(user):
        return False
    if user.role == Role.VENUE_OWNER:
        return venue.owner_id == user.pk or (user.jurisdiction_place_id is not None
                                             and venue.place_id == user.jurisdiction_place_id)
    scope = scope_for(user)
    commune = venue.place.commune
    return commune is not None and commune.level == AdminLevel.COMMUNE and unit_in_scope(scope, commune)


def venue_list(*, user, query: str = "", kind: str = "") -> QuerySet[Venue]:
    queryset = venues_in_scope(user)
    if query:
        queryset = queryset.filter(place__name__icontains=query.strip())
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("place__name", "id")


def venue_get(*, user, venue_id: UUID | str) -> Venue:
    try:
        venue = venues_in_scope(user).filter(pk=venue_id).first()
    except (ValueError, TypeError):  # not a uuid
        venue = None
    if venue is None:
        raise NotFound(VenueErrorCode.NOT_FOUND, _("No such venue."))
    return venue


def venue_checkin_count(*, venue: Venue, since: datetime) -> int:
    return CheckIn.objects.filter(venue=venue, checked_in_at__gte=since).count()


def venues_size_to_check(*, user) -> QuerySet[Venue]:
    """The venues in the reader's reach whose check-ins contradict their size (traced as a small room, yet more
    people at once than a small room holds since the size was last confirmed), for the commune station to see."""
    from .policy import venue_size_rules_on

    rules = venue_size_rules_on()
    candidates = venues_in_scope(user).filter(crowd_peak__gte=rules.large_min_capacity)
    return venues_in_scope(user).filter(pk__in=[v.pk for v in candidates if rules.crowded(v)]).order_by(
        "place__name", "id")
