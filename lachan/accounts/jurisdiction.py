"""Where a user may look. Every selector that reads personal data starts from `scope_for(user)`.

Administrative jurisdictions (province, district, commune) cover the people who live in the unit.
Place jurisdictions (laboratory, enterprise, checkpoint, venue) cover the people linked to the place;
which people those are is known by the domain that owns the place, which registers a provider here
(so this layer does not import the domains above it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from django.db.models import Q, QuerySet

from lachan.core.db import values_in_q
from lachan.geo.models import AdminLevel, AdminUnit

from .actors import is_system
from .roles import Role

PlacePeopleProvider = Callable[[UUID], QuerySet]
_place_people: dict[str, PlacePeopleProvider] = {}


def register_place_people(place_kind: str, provider: PlacePeopleProvider) -> None:
    """A domain says which person ids a user bound to one of its places may see."""
    _place_people[place_kind] = provider


@dataclass(frozen=True)
class Scope:
    kind: str  # "unit", "place", "self", "none"
    unit_path: str = ""
    unit_id: int | None = None
    place_id: UUID | None = None
    place_kind: str = ""
    user_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.kind == "none"

    def communes(self) -> QuerySet:
        """The communes in the unit (ids), as a query."""
        if self.kind != "unit":
            return AdminUnit.objects.none().values("id")
        return AdminUnit.objects.filter(
            Q(path=self.unit_path) | Q(path__startswith=self.unit_path + "/"), level=AdminLevel.COMMUNE
        ).values("id")

    def commune_ids(self) -> list[int]:
        # A literal list, not a subquery: SQLite's planner weighs a list by its length and reads a
        # province-wide page off the name index, while for a subquery it drives from the communes and
        # sorts everyone. Read once per Scope (scope_for keeps a user's for the request: a page builds its
        # jurisdiction's filters a dozen times), not cached in the process, so a reloaded tree is never seen stale.
        return list(self._commune_ids)

    @cached_property
    def _commune_ids(self) -> tuple[int, ...]:
        return tuple(self.communes().values_list("id", flat=True))

    def commune_q(self, field: str = "commune") -> Q:
        """A filter for records located by a commune foreign key."""
        if self.kind == "unit":
            return values_in_q(f"{field}_id", self.commune_ids())
        return Q(pk__in=[])

    def person_q(self, *, person_field: str = "", commune_field: str = "commune") -> Q:
        """A filter for people (person_field="") or for records that belong to a person."""
        prefix = f"{person_field}__" if person_field else ""
        if self.kind == "unit":
            return values_in_q(f"{prefix}{commune_field}_id", self.commune_ids())
        if self.kind == "self":
            return Q(**{f"{prefix}account_id": self.user_id})
        if self.kind == "place" and self.place_kind in _place_people:
            ids = _place_people[self.place_kind](self.place_id)
            return Q(**{f"{prefix}pk__in" if prefix else "pk__in": ids})
        return Q(pk__in=[])


def province_scope() -> Scope:
    """The deployment's whole province (what the system actor reaches); none before its units are loaded."""
    from django.conf import settings

    unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=settings.LACHAN_PROVINCE_CODE).first()
    if unit is None:
        return Scope(kind="none")
    return Scope(kind="unit", unit_path=unit.path, unit_id=unit.pk)


def scope_for(user) -> Scope:
    """Deny by default: None, anonymous, inactive (and the public reader) reach nothing; the system actor the
    whole province."""
    if is_system(user):
        return province_scope()
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(kind="none")
    # The user object lives for one request (or one task): its scope is kept on it, for as long as what decides it
    # is unchanged.
    key = (user.pk, user.role, user.jurisdiction_unit_id, user.jurisdiction_place_id)
    kept = getattr(user, "_lachan_scope", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    scope = _scope_of(user)
    user._lachan_scope = (key, scope)
    return scope


def _scope_of(user) -> Scope:
    if user.role == Role.CITIZEN:
        return Scope(kind="self", user_id=user.pk)
    if user.jurisdiction_unit_id:
        unit = user.jurisdiction_unit
        return Scope(kind="unit", unit_path=unit.path, unit_id=unit.pk)
    if user.jurisdiction_place_id:
        place = user.jurisdiction_place
        return Scope(kind="place", place_id=place.pk, place_kind=place.kind)
    return Scope(kind="none")


def unit_in_scope(scope: Scope, unit: AdminUnit) -> bool:
    return scope.kind == "unit" and (unit.path == scope.unit_path or unit.path.startswith(scope.unit_path + "/"))


def scope_is_province(user) -> bool:
    """Whether the user's jurisdiction is a whole province (what province-level decisions, such as adopting a
    policy version, require)."""
    scope = scope_for(user)
    return scope.kind == "unit" and AdminUnit.objects.filter(pk=scope.unit_id, level=AdminLevel.PROVINCE).exists()
