"""Reads of lockdown areas. A unit user sees the areas held by their unit or beneath it, and those held by the
units above it (a district's lockdown covers its communes). Lockdown areas are public notices, not personal data:
reading them is not audited, and the citizens' map shows the ones in force."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound

from ..access import require_lockdown_perm
from ..errors import LockdownErrorCode as Code
from ..models import LockdownArea


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(2, len(parts))]


def lockdown_areas_in_scope(user) -> QuerySet[LockdownArea]:
    rows = LockdownArea.objects.select_related("unit__parent")
    if is_system(user):
        return rows
    require_lockdown_perm(user, Perm.RISK_VIEW)
    scope = scope_for(user)
    if scope.kind != "unit":
        return rows.none()
    return rows.filter(Q(unit__path=scope.unit_path) | Q(unit__path__startswith=scope.unit_path + "/")
                       | Q(unit__path__in=_ancestor_paths(scope.unit_path)))


def in_force_q(on: date) -> Q:
    """Areas in force on a day: started, not past their last day, not lifted by then."""
    return (Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))
            & (Q(lifted_on__isnull=True) | Q(lifted_on__gt=on)))


def lockdown_areas_in_force(*, user, on: date) -> QuerySet[LockdownArea]:
    return lockdown_areas_in_scope(user).filter(in_force_q(on))


def lockdown_area_get(*, user, pk) -> LockdownArea:
    rows = lockdown_areas_in_scope(user)
    try:
        return rows.get(pk=pk)
    except (LockdownArea.DoesNotExist, ValueError, TypeError, ValidationError):  # a malformed uuid too
        raise NotFound(Code.NOT_FOUND, _("No such lockdown area in your jurisdiction.")) from None
