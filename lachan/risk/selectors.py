"""Reads of risk levels, scoped to the reader's jurisdiction: a unit user sees the assessments of their unit and
of the units beneath it (levels are not personal data: reading them is not audited)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.geo.models import AdminUnit

from .errors import RiskErrorCode as Code
from .models import RiskAssessment, RiskInput
from .services import require_perm


def unit_scope_q(user, field: str = "unit") -> Q:
    """A filter on a model located by an AdminUnit foreign key: the user's unit and those beneath it."""
    if user is None:
        return Q()
    scope = scope_for(user)
    if scope.kind != "unit":
        return Q(pk__in=[])
    return Q(**{f"{field}__path": scope.unit_path}) | Q(**{f"{field}__path__startswith": scope.unit_path + "/"})


def assessments_in_scope(user) -> QuerySet[RiskAssessment]:
    require_perm(user, Perm.RISK_VIEW)
    return RiskAssessment.objects.filter(unit_scope_q(user)).select_related("unit", "policy")


def levels_of_day(*, user, on: date, admin_level: int | None = None, within: AdminUnit | None = None,
                  level: int | None = None) -> QuerySet[RiskAssessment]:
    """The assessments of a day in the user's jurisdiction, optionally of one administrative level, beneath one
    unit, or at one risk level (0: not assessed)."""
    rows = assessments_in_scope(user).filter(on=on)
    if admin_level:
        rows = rows.filter(unit__level=admin_level)
    if within is not None:
        rows = rows.filter(Q(unit=within) | Q(unit__path__startswith=within.path + "/"))
    if level is not None:
        rows = rows.filter(level__isnull=True) if level == 0 else rows.filter(level=level)
    return rows.order_by("unit__path")


def latest_day(*, user, on_or_before: date | None = None) -> date | None:
    """The last day assessed in the user's jurisdiction (what a map shows by default)."""
    rows = assessments_in_scope(user)
    if on_or_before is not None:
        rows = rows.filter(on__lte=on_or_before)
    return rows.order_by("-on").values_list("on", flat=True).first()


def unit_history(*, user, unit: AdminUnit, start: date | None = None, end: date | None = None
                 ) -> QuerySet[RiskAssessment]:
    """One unit's assessments, newest first."""
    require_perm(user, Perm.RISK_VIEW)
    if user is not None and not unit_in_scope(scope_for(user), unit):
        raise NotFound(Code.UNIT_NOT_FOUND, _("No such unit in your jurisdiction."), field="unit")
    rows = RiskAssessment.objects.filter(unit=unit).select_related("policy", "override_by")
    if start is not None:
        rows = rows.filter(on__gte=start)
    if end is not None:
        rows = rows.filter(on__lte=end)
    return rows.order_by("-on")


def assessment_get(*, user, pk) -> RiskAssessment:
    try:
        return assessments_in_scope(user).select_related("override_by").get(pk=int(pk))
    except (RiskAssessment.DoesNotExist, TypeError, ValueError):
        raise NotFound(Code.ASSESSMENT_NOT_FOUND, _("No such assessment in your jurisdiction.")) from None


def inputs_of_unit(*, user, unit: AdminUnit) -> QuerySet[RiskInput]:
    """The values entered for a unit, newest first."""
    require_perm(user, Perm.RISK_VIEW)
    if user is not None and not unit_in_scope(scope_for(user), unit):
        raise NotFound(Code.UNIT_NOT_FOUND, _("No such unit in your jurisdiction."), field="unit")
    return RiskInput.objects.filter(unit=unit).select_related("by").order_by("-as_of", "kind")
