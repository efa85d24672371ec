"""Who may see which orders and facilities; shared by the selectors (reads) and the services (which re-check
on write).

An order belongs to its `commune` (the home's for home quarantine, the facility's otherwise): unit users
(province, district, commune station) see the orders of the communes in their unit. Facilities are not
personal data: a unit user sees those in their unit and, for a commune station, those of its district
(the district runs the facilities its communes send people to)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Q

from lachan.accounts.actors import is_system, permission_check
from lachan.accounts.jurisdiction import Scope, scope_for, unit_in_scope
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.models import Person
from lachan.people.selectors import person_search_q

from .errors import QuarantineErrorCode
from .models import OrderStatus, Setting

# System work (user None) may do anything; a person only what their role allows.
require_perm = permission_check(QuarantineErrorCode.PERMISSION)


def is_province(scope: Scope) -> bool:
    return scope.kind == "unit" and scope.unit_path == f"{settings.LACHAN_ADMIN_TREE}/{settings.LACHAN_PROVINCE_CODE}"


def order_scope_q(user, scope: Scope | None = None, *, prefix: str = "") -> Q:
    """A filter on Order (or, with prefix "order__", on a record of an order): staff see the orders of the
    communes in their unit, a citizen their own."""
    if is_system(user):
        return Q()
    scope = scope or scope_for(user)
    if is_province(scope):
        return Q()  # the deployment's province: every commune (no list of them in the query)
    if scope.kind == "unit":
        return Q(**{f"{prefix}commune_id__in": scope.commune_ids()})
    if scope.kind == "self":
        return Q(**{f"{prefix}person__account_id": scope.user_id})
    return Q(pk__in=[])


def commune_in_jurisdiction(user, commune: AdminUnit) -> bool:
    return is_system(user) or unit_in_scope(scope_for(user), commune)


def _facility_area(scope: Scope) -> str:
    """The path under which a user sees facilities: their unit, or a commune's parent (its district)."""
    if scope.kind != "unit":
        return ""
    parts = scope.unit_path.split("/")
    unit = AdminUnit.objects.filter(pk=scope.unit_id).only("level", "parent_id").first()
    if unit is not None and unit.level == AdminLevel.COMMUNE and len(parts) > 2:
        return "/".join(parts[:-1])
    return scope.unit_path


def facility_scope_q(user, scope: Scope | None = None) -> Q:
    """A filter on Facility."""
    if is_system(user):
        return Q()
    scope = scope or scope_for(user)
    area = _facility_area(scope)
    if not area:
        return Q(pk__in=[])
    return Q(place__commune__path=area) | Q(place__commune__path__startswith=area + "/")


def facility_managed_by(facility, user) -> bool:
    """Whether the facility's commune lies in the user's jurisdiction: only then may they change it."""
    return commune_in_jurisdiction(user, facility.place.commune)


def order_in_force_q(on: date) -> Q:
    """Orders in force on the day: active, started (one starting tomorrow is not yet), not over."""
    return Q(status=OrderStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on)


def in_facility_q(on: date) -> Q:
    """In a facility on the day: a facility order, unless its facility-then-home regime sent them home."""
    return Q(setting=Setting.FACILITY) & (Q(home_from__isnull=True) | Q(home_from__gt=on))


def order_text_q(query: str, *, order: str = "", person: str = "") -> Q:
    """A search on the person (name with or without diacritics, CCCD, phone) or the order's number, as the people
    search reads it. `order`: the path to the order ("order__" from an alert); `person`: the path to the person
    when it is not the order's (an alert without an order)."""
    raw = (query or "").strip()[:100]
    if not raw:
        return Q()
    if raw.upper().startswith("QD-"):
        return Q(**{f"{order}code__istartswith": raw.upper()})
    by_code = Q(**{f"{order}code__iexact": raw})
    search = person_search_q(raw)
    if search is None:
        return by_code
    person = person or f"{order}person"
    name = f"{person}__search_name"
    if isinstance(search, list):
        where = Q()
        for word in search:
            where &= Q(**{f"{name}__startswith": word}) | Q(**{f"{name}__contains": " " + word})
        return where | by_code
    return Q(**{f"{person}__in": Person.objects.filter(search).values("pk")}) | by_code
