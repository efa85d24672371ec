"""Reads of risk levels, scoped to the reader's jurisdiction: a unit user sees the assessments of their unit and
of the units beneath it (levels are not personal data: reading them is not audited)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system, may
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.roles import Perm
from lachan.core.errors import NotFound
from lachan.core.models import Policy
from lachan.core.text import fold
from lachan.geo.models import AdminLevel, AdminUnit

from ..access import require_perm
from ..errors import RiskErrorCode as Code
from ..models import RiskAssessment, RiskInput
from ..policy import POLICY_KIND
from .services import province_wide


def unit_scope_q(user, field: str = "unit") -> Q:
    """A filter on a model located by an AdminUnit foreign key: the user's unit and those beneath it."""
    if is_system(user):
        return Q()
    scope = scope_for(user)
    if scope.kind != "unit":
        return Q(pk__in=[])
    return Q(**{f"{field}__path": scope.unit_path}) | Q(**{f"{field}__path__startswith": scope.unit_path + "/"})


def assessments_in_scope(user) -> QuerySet[RiskAssessment]:
    require_perm(user, Perm.RISK_VIEW)
    return RiskAssessment.objects.filter(unit_scope_q(user)).select_related("unit", "policy")


def _units_named(user, query: str) -> list[int]:
    """Ids of the units in the user's jurisdiction whose name holds `query`, with or without diacritics, or whose
    code it is (a province has a few hundred units, the country ~11,000: folded here, not in SQL)."""
    folded = fold(query)
    units = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE)
    if not is_system(user):
        scope = scope_for(user)
        if scope.kind != "unit":
            return []
        units = units.filter(Q(path=scope.unit_path) | Q(path__startswith=scope.unit_path + "/"))
    query = query.strip()
    return [uid for uid, name, code in units.values_list("id", "name", "code").iterator(chunk_size=5000)
            if code == query or (folded and folded in fold(name))]


def levels_of_day(*, user, on: date, admin_level: int | None = None, within: AdminUnit | None = None,
                  level: int | None = None, query: str = "") -> QuerySet[RiskAssessment]:
    """The assessments of a day in the user's jurisdiction, optionally of one administrative level, beneath one
    unit, at one risk level (0: not assessed), or of units whose name holds `query`."""
    rows = _day_filtered(user=user, on=on, admin_level=admin_level, within=within, query=query)
    if level is not None:
        rows = rows.filter(level__isnull=True) if level == 0 else rows.filter(level=level)
    return rows.select_related("unit__parent").order_by("unit__path")


def _day_filtered(*, user, on: date, admin_level: int | None, within: AdminUnit | None, query: str):
    rows = assessments_in_scope(user).filter(on=on)
    if admin_level:
        rows = rows.filter(unit__level=admin_level)
    if within is not None:
        rows = rows.filter(Q(unit=within) | Q(unit__path__startswith=within.path + "/"))
    if query.strip():
        rows = rows.filter(unit_id__in=_units_named(user, query))
    return rows


def level_counts(*, user, on: date, admin_level: int | None = None, within: AdminUnit | None = None,
                 query: str = "") -> dict[int, int]:
    """Units of the day at each level that applies (1–4) and not assessed (0), under the same filters."""
    rows = _day_filtered(user=user, on=on, admin_level=admin_level, within=within, query=query)
    counts = dict.fromkeys((1, 2, 3, 4, 0), 0)
    for level, n in rows.order_by().values_list("level").annotate(n=Count("id")):
        counts[level or 0] += n
    return counts


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
    if not is_system(user) and not unit_in_scope(scope_for(user), unit):
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
    if not is_system(user) and not unit_in_scope(scope_for(user), unit):
        raise NotFound(Code.UNIT_NOT_FOUND, _("No such unit in your jurisdiction."), field="unit")
    return RiskInput.objects.filter(unit=unit).select_related("by").order_by("-as_of", "kind")


def unit_get(*, user, code: str) -> AdminUnit:
    """A unit of the deployment's tree by its official code, in the user's jurisdiction."""
    require_perm(user, Perm.RISK_VIEW)
    code = str(code or "").strip()[:10]
    unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=code).select_related("parent").first()
    if unit is None or (not is_system(user) and not unit_in_scope(scope_for(user), unit)):
        raise NotFound(Code.UNIT_NOT_FOUND, _("No unit with code %(code)s in your jurisdiction.") % {"code": code},
                       field="unit")
    return unit


def within_choices(*, user) -> list[AdminUnit]:
    """The units a list may be narrowed to: the user's own and those above the communes beneath it."""
    scope = scope_for(user)
    if scope.kind != "unit":
        return []
    return list(AdminUnit.objects.filter(Q(pk=scope.unit_id) | Q(path__startswith=scope.unit_path + "/"))
                .exclude(level=AdminLevel.COMMUNE).order_by("path"))


def recent_history(*, user, unit: AdminUnit, days: int = 60, end: date | None = None) -> list[RiskAssessment]:
    """The unit's assessments of the `days` days ending on `end` (default today), newest first."""
    end = end or timezone.localdate()
    return list(unit_history(user=user, unit=unit, start=end - timedelta(days=days - 1), end=end))


def policy_versions(*, user) -> list[Policy]:
    """Every version of the risk policy, newest first (policies are public rules, but the page is staff's)."""
    require_perm(user, Perm.RISK_VIEW)
    return list(Policy.objects.filter(kind=POLICY_KIND).select_related("created_by").order_by("-valid_from"))


def policy_get(*, user, pk) -> Policy:
    require_perm(user, Perm.RISK_VIEW)
    try:
        return Policy.objects.get(kind=POLICY_KIND, pk=int(pk))
    except (Policy.DoesNotExist, TypeError, ValueError):
        raise NotFound(Code.POLICY_MISSING, _("No such risk policy version.")) from None


def policy_on(on: date | None = None) -> Policy | None:
    """The version in force on a day (default today), or None."""
    on = on or timezone.localdate()
    return (Policy.objects.filter(kind=POLICY_KIND, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("-valid_from").first())


def may_adopt(*, user) -> bool:
    """Whether the user may adopt a risk policy version: allowed to change levels, for the whole province."""
    return may(user, Perm.RISK_EDIT) and (is_system(user) or province_wide(user))
