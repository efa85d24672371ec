"""Who may see which campaigns and samples; shared by selectors (reads) and services (which re-check on write).

Unit users (province, district, commune) see the campaigns whose area overlaps their unit (inside it, or
containing it: a commune station samples for a district-wide screening), the samples collected at sites in
their unit and the samples of people who live there. Laboratory staff see their laboratory's campaigns and
samples. Other place users (an enterprise) see the samples of their people.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from lachan.accounts.actors import is_system, permission_check
from lachan.accounts.jurisdiction import Scope, scope_for, unit_in_scope
from lachan.geo.models import AdminUnit, PlaceKind

from .errors import LabErrorCode
from .models import Campaign, Laboratory, Swab

# The system actor may do anything; a person only what their role allows; nobody else anything.
require_perm = permission_check(LabErrorCode.PERMISSION)


def _ancestor_paths(path: str) -> list[str]:
    """"2021/82/815/28435" → ["2021/82", "2021/82/815"] (the tree prefix alone is not a unit)."""
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(2, len(parts))]


def user_laboratory(user) -> Laboratory | None:
    """The laboratory a lab staff account is bound to."""
    if not getattr(user, "jurisdiction_place_id", None):
        return None
    if getattr(user.jurisdiction_place, "kind", "") != PlaceKind.LABORATORY:
        return None
    return Laboratory.objects.select_related("place").filter(place_id=user.jurisdiction_place_id).first()


def campaign_scope_q(user, scope: Scope | None = None) -> Q:
    if is_system(user):
        return Q()
    scope = scope or scope_for(user)
    if scope.kind == "unit":
        return (Q(unit__path=scope.unit_path) | Q(unit__path__startswith=scope.unit_path + "/")
                | Q(unit__path__in=_ancestor_paths(scope.unit_path)))
    if scope.kind == "place" and scope.place_kind == PlaceKind.LABORATORY:
        return Q(laboratory__place_id=scope.place_id)
    return Q(pk__in=[])


def campaign_managed_by(campaign: Campaign, user) -> bool:
    """Whether the campaign's area lies in the user's jurisdiction: only then may they change it."""
    return is_system(user) or unit_in_scope(scope_for(user), campaign.unit)


def commune_in_jurisdiction(user, commune: AdminUnit) -> bool:
    return is_system(user) or unit_in_scope(scope_for(user), commune)


def sample_scope_q(user, scope: Scope | None = None) -> Q:
    """A filter on Sample."""
    if is_system(user):
        return Q()
    scope = scope or scope_for(user)
    if scope.kind == "place" and scope.place_kind == PlaceKind.LABORATORY:
        return Q(laboratory__place_id=scope.place_id)
    if scope.kind == "none":
        return Q(pk__in=[])
    if scope.kind == "unit" and scope.unit_path == f"{settings.LACHAN_ADMIN_TREE}/{settings.LACHAN_PROVINCE_CODE}":
        return Q()  # the deployment's province: every site and every resident is in it (no subquery over all swabs)
    with_people_here = Swab.objects.filter(scope.person_q(person_field="person")).values("sample_id")
    if scope.kind == "unit":
        return Q(site__commune_id__in=scope.commune_ids()) | Q(pk__in=with_people_here)
    return Q(pk__in=with_people_here)


def swab_scope_q(user, scope: Scope | None = None) -> Q:
    """A filter on Swab: whose swabs a user may see by name (laboratory staff: those of their samples)."""
    if is_system(user):
        return Q()
    scope = scope or scope_for(user)
    if scope.kind == "place" and scope.place_kind == PlaceKind.LABORATORY:
        return Q(sample__laboratory__place_id=scope.place_id)
    return scope.person_q(person_field="person")
