"""Reads of quarantine and isolation facilities, scoped to the reader's jurisdiction (lachan.quarantine.access):
the list, one facility or room, and their occupancy (the beds taken on a day by the orders staying there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.core.parsers import uuid_or_none

from ..access import facility_scope_q, require_perm
from ..errors import QuarantineErrorCode as Code
from ..models import Facility, FacilityRoom, Order, OrderKind, OrderStatus


def facilities_in_scope(user) -> QuerySet[Facility]:
    return Facility.objects.select_related("place__commune__parent").filter(facility_scope_q(user))


@dataclass
class RoomUse:
    room: FacilityRoom
    beds: int
    in_use: int

    @property
    def free(self) -> int:
        return max(0, self.beds - self.in_use)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.in_use / self.beds)) if self.beds else 100


@dataclass
class FacilityUse:
    facility: Facility
    rooms: list[RoomUse]

    @property
    def beds(self) -> int:
        return sum(r.beds for r in self.rooms)

    @property
    def in_use(self) -> int:
        return sum(r.in_use for r in self.rooms)

    @property
    def free(self) -> int:
        return sum(r.free for r in self.rooms)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.in_use / self.beds)) if self.beds else 0


def _in_facility_on(today: date) -> Q:
    """Orders staying in their room on a day: in force, started, not yet gone home nor ended."""
    return (Q(status=OrderStatus.ACTIVE, room__isnull=False, starts_on__lte=today)
            & (Q(home_from__isnull=True, ends_on__gte=today) | Q(home_from__gt=today)))


def facilities_occupancy(facilities, *, on: date | None = None) -> list[FacilityUse]:
    """Each facility's rooms with their beds and the people in them on a day (today)."""
    on = on or timezone.localdate()
    facilities = list(facilities)
    rooms = list(FacilityRoom.objects.filter(facility__in=facilities).order_by("facility_id", "name"))
    used = dict(Order.objects.filter(_in_facility_on(on), room__in=rooms).values("room_id")
                .annotate(n=Count("pk")).values_list("room_id", "n").order_by())
    by_facility: dict = {f.pk: [] for f in facilities}
    for room in rooms:
        by_facility[room.facility_id].append(RoomUse(room=room, beds=room.beds, in_use=used.get(room.pk, 0)))
    return [FacilityUse(facility=f, rooms=by_facility[f.pk]) for f in facilities]


def facility_list(*, user, query: str = "", isolation: bool | None = None, active: bool | None = True
                  ) -> QuerySet[Facility]:
    require_perm(user, Perm.QUARANTINE_VIEW)
    queryset = facilities_in_scope(user)
    if query and query.strip():
        queryset = queryset.filter(place__name__icontains=query.strip()[:100])
    if isolation is not None:
        queryset = queryset.filter(for_isolation=isolation)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset.order_by("place__name", "pk")


def facility_get(*, user, facility_id, perm: str = Perm.QUARANTINE_VIEW) -> Facility:
    require_perm(user, perm)
    pk = uuid_or_none(facility_id)
    facility = facilities_in_scope(user).filter(pk=pk).first() if pk else None
    if facility is None:
        raise NotFound(Code.FACILITY_NOT_FOUND, _("Facility not found."))
    return facility


def room_get(*, user, room_id, perm: str = Perm.QUARANTINE_VIEW) -> FacilityRoom:
    require_perm(user, perm)
    pk = uuid_or_none(room_id)
    room = (FacilityRoom.objects.select_related("facility__place__commune__parent")
            .filter(pk=pk, facility__in=facilities_in_scope(user)).first()) if pk else None
    if room is None:
        raise NotFound(Code.ROOM_NOT_FOUND, _("Room not found."))
    return room


def facility_choices(*, user, kind: str) -> list[FacilityUse]:
    """The active facilities a user may send people of an order kind to, with their free beds today."""
    queryset = facilities_in_scope(user).filter(is_active=True, for_isolation=kind == OrderKind.ISOLATION)
    return facilities_occupancy(queryset.order_by("place__name"))
