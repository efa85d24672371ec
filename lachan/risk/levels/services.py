"""Writes of the risk module: a day's levels of every unit of a tree (levels_compute), an official's override
(level_override, level_override_clear) and the inputs a province enters (risk_input_record).

levels_compute is given the inputs that other domains hold (community cases by residence, clusters: gathered by
lachan.workflows.risk_levels) and completes them with what this domain and geo hold: the units' populations and the
vaccination and capacity values entered here (a unit without its own value takes its nearest ancestor's; the
result names where each came from). It works on the whole tree at once: one read of the units, one of the day's
rows, one of the entered values, the rules in memory (lachan.risk.levels), then one DELETE and one bulk INSERT of
the day's computed rows. Overridden rows are kept and only their computed values refreshed; the override wins."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_system
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for, scope_is_province, unit_in_scope
from lachan.accounts.roles import Perm
from lachan.core.db import bulk_insert, chunked
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.jsontext import JsonError, json_read
from lachan.core.models import Policy
from lachan.core.numbers import is_ascii_digits
from lachan.core.policies import policy_in_force, policy_rules, policy_supersede
from lachan.geo.models import AdminTree, AdminUnit

from ..access import require_perm
from ..errors import RiskErrorCode as Code
from ..errors import RulesInvalid, json_error
from ..models import COVERAGE_KINDS, RiskAssessment, RiskInput, RiskInputKind, RiskLevel
from ..policy import POLICY_KIND, validate_rules, window_days
from .rules import Node, Outcome, UnitInputs, assess

__all__ = ["UnitInputs", "LevelsSummary", "levels_compute", "level_override", "level_override_clear",
           "risk_input_record", "policy_window_days", "rules_from_text", "rules_check", "day_check", "period_check",
           "risk_policy_adopt", "TRIAL_MAX_DAYS"]


def _in_jurisdiction(user, unit: AdminUnit) -> bool:
    return is_system(user) or unit_in_scope(scope_for(user), unit)


def risk_policy(on: date) -> Policy:
    try:
        return policy_in_force(POLICY_KIND, on)
    except NotFound:
        raise NotFound(Code.POLICY_MISSING, _("No risk-level policy is in force on %(date)s.")
                       % {"date": on.strftime("%d/%m/%Y")}) from None


def policy_window_days(on: date, policy: Policy | None = None) -> int:
    """The days of cases the version in force on `on` looks back over (the workflow gathers that many)."""
    return window_days(policy.rules if policy is not None else policy_rules(POLICY_KIND, on))


# ---- the tree and what this domain knows of it ---------------------------------------------------------------

def _units_queryset(tree: str, root: AdminUnit | None) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.filter(tree=tree)
    if root is not None:
        units = units.filter(Q(pk=root.pk) | Q(path__startswith=root.path + "/"))
    return units


def _load_nodes(tree: str, root: AdminUnit | None) -> dict[int, Node]:
    nodes: dict[int, Node] = {}
    rows = _units_queryset(tree, root).values_list("id", "parent_id", "level", "code", "name", "path", "latitude",
                                                  "longitude", "population")
    for uid, parent_id, level, code, name, path, lat, lon, population in rows.iterator(chunk_size=5000):
        nodes[uid] = Node(uid, parent_id, level, code, name, lat, lon, population, depth=path.count("/"))
    for node in nodes.values():
        parent = nodes.get(node.parent_id)
        if parent is not None:
            parent.children.append(node.id)
    return nodes


def _ancestors(root: AdminUnit | None) -> list[tuple[int, int | None, str]]:
    """(id, parent id, code) of the units above `root`, top first: their entered values reach it."""
    if root is None:
        return []
    codes = root.path.split("/")[1:-1]
    rows = AdminUnit.objects.filter(tree=root.tree, code__in=codes).values_list("id", "parent_id", "code", "path")
    return [(uid, parent_id, code) for uid, parent_id, code, _path in sorted(rows, key=lambda r: r[3].count("/"))]


def _entered(tree: str, on: date, nodes: Mapping[int, Node], ancestors) -> dict[int, dict[str, dict[str, Any]]]:
    """Per unit: the value of each kind in force on `on` (its own latest as of that day, else its nearest
    ancestor's), with where it came from."""
    known = set(nodes) | {a[0] for a in ancestors}
    own: dict[int, dict[str, dict[str, Any]]] = {}
    codes = {a[0]: a[2] for a in ancestors} | {uid: n.code for uid, n in nodes.items()}
    rows = (RiskInput.objects.filter(unit__tree=tree, as_of__lte=on).order_by("as_of", "id")
            .values_list("unit_id", "kind", "value", "as_of"))
    for unit_id, kind, value, as_of in rows:
        if unit_id in known:
            own.setdefault(unit_id, {})[kind] = {"value": value, "unit": codes[unit_id], "as_of": as_of.isoformat()}
    if not own:
        return {}
    resolved: dict[int, dict[str, dict[str, Any]]] = {}
    chain = [(uid, parent_id) for uid, parent_id, _code in ancestors]
    chain += [(n.id, n.parent_id) for n in sorted(nodes.values(), key=lambda n: n.depth)]
    for uid, parent_id in chain:
        inherited = {k: {**v, "inherited": True} for k, v in resolved.get(parent_id, {}).items()}
        values = {**inherited, **own.get(uid, {})}
        if values:
            resolved[uid] = values
    return resolved


def _complete(given: UnitInputs | None, entered: dict[str, dict[str, Any]] | None) -> UnitInputs:
    """The inputs given, with the entered coverage and capacity where the caller gave none."""
    given = given or UnitInputs()
    if not entered:
        return given
    coverage = dict(given.coverage)
    sources = dict(given.sources)
    for kind in COVERAGE_KINDS:
        if kind not in coverage and kind in entered:
            coverage[kind] = entered[kind]["value"]
            sources[kind] = entered[kind]
    capacity = given.capacity_met
    if capacity is None and RiskInputKind.CAPACITY_MET in entered:
        capacity = entered[RiskInputKind.CAPACITY_MET]["value"] >= 0.5
        sources[RiskInputKind.CAPACITY_MET.value] = entered[RiskInputKind.CAPACITY_MET]
    return replace(given, coverage=coverage, capacity_met=capacity, sources=sources)


def _previous_levels(on: date):
    def previous(unit_ids: list[int], days: int) -> dict[int, tuple[date, int]]:
        latest: dict[int, tuple[date, int]] = {}
        for chunk in chunked(unit_ids, 900):
            rows = (RiskAssessment.objects.filter(unit_id__in=chunk, on__gte=on - timedelta(days=days), on__lt=on,
                                                  level__isnull=False)
                    .order_by("on").values_list("unit_id", "on", "level"))
            for unit_id, day, level in rows:
                latest[unit_id] = (day, level)
        return latest

    return previous


def _boundaries(unit_ids: list[int]) -> dict[int, Any]:
    """Official boundaries only: an approximate area (cells around centres) says nothing of who borders whom."""
    shapes: dict[int, Any] = {}
    for chunk in chunked(unit_ids, 900):
        shapes.update(AdminUnit.objects.filter(pk__in=chunk, boundary__isnull=False, boundary_approximate=False)
                      .values_list("id", "boundary"))
    return shapes


# ---- computing a day -------------------------------------------------------------------------------------------

@dataclass
class LevelsSummary:
    on: date
    policy: str
    method: str
    units: int = 0
    levels: dict[int, int] = field(default_factory=dict)  # units at each level that applies (override wins)
    not_assessed: int = 0
    overridden: int = 0  # overrides kept
    missing: dict[str, int] = field(default_factory=dict)  # units lacking each input
    ignored_inputs: int = 0  # inputs given for units outside the tree computed
    saved: bool = True
    seconds: float = 0.0
    totals: dict[str, int] = field(default_factory=dict)  # what the caller gathered (e.g. community cases)
    results: dict[int, Outcome] = field(default_factory=dict, repr=False)
    nodes: dict[int, Node] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        levels = ", ".join(f"{lv}: {self.levels.get(lv, 0)}" for lv in RiskLevel.values)
        missing = ", ".join(f"{k} {n}" for k, n in sorted(self.missing.items())) or "none"
        totals = "".join(f"; {k.replace('_', ' ')} {n}" for k, n in self.totals.items())
        return (f"{self.on}: {self.units} units under {self.policy} — levels {levels}; not assessed "
                f"{self.not_assessed}; overrides kept {self.overridden}; missing inputs: {missing}{totals} "
                f"({self.seconds:.2f} s)")


@transaction.atomic
def levels_compute(*, on: date, inputs: Mapping[int, UnitInputs], by, tree: str | None = None,
                   root: AdminUnit | None = None, policy: Policy | None = None, save: bool = True) -> LevelsSummary:
    """The levels of every unit of `tree` (or of `root` and the units beneath it) on `on`, under the version in
    force then (or `policy`, e.g. a province's draft tried on past data with save=False). A user computes within
    their jurisdiction (their own unit when no root is given)."""
    started = time.perf_counter()
    require_perm(by, Perm.RISK_EDIT)
    if not isinstance(on, date):
        raise DomainError(Code.DATE_INVALID, _("Give the day to assess."), field="on")
    tree = tree or settings.LACHAN_ADMIN_TREE
    if tree not in AdminTree.values:
        raise DomainError(Code.TREE_INVALID, _("Unknown administrative tree: %(tree)s") % {"tree": tree}, field="tree")
    if not is_system(by):
        scope = scope_for(by)
        if root is None and scope.kind == "unit":
            root = AdminUnit.objects.get(pk=scope.unit_id)
        if root is None or not unit_in_scope(scope, root):
            raise NotFound(Code.UNIT_NOT_FOUND, _("No such unit in your jurisdiction."), field="root")
    if root is not None and root.tree != tree:
        raise DomainError(Code.TREE_INVALID, _("The unit is not in tree %(tree)s.") % {"tree": tree}, field="root")
    policy = policy or risk_policy(on)
    problems = validate_rules(policy.rules)
    if problems:
        raise DomainError(Code.POLICY_INVALID, "; ".join(problems), field="rules")
    if save and policy.pk is None:
        raise DomainError(Code.POLICY_INVALID, _("Save the policy version before saving levels under it."),
                          field="policy")
    nodes = _load_nodes(tree, root)
    if not nodes:
        raise DomainError(Code.TREE_INVALID, _("No administrative units of tree %(tree)s are loaded.")
                          % {"tree": tree}, field="tree")
    day = RiskAssessment.objects.filter(on=on, unit__in=_units_queryset(tree, root))
    if save:
        day = day.select_for_update()  # an override made meanwhile waits for this computation
    existing = {unit_id: (pk, overridden, level)
                for pk, unit_id, overridden, level in day.values_list("id", "unit_id", "overridden", "level")}
    fixed = {unit_id: level for unit_id, (_pk, overridden, level) in existing.items() if overridden}
    entered = _entered(tree, on, nodes, _ancestors(root))
    complete = {uid: _complete(inputs.get(uid), entered.get(uid)) for uid in nodes}
    results = assess(policy.rules, nodes=nodes, inputs=complete, fixed=fixed, previous=_previous_levels(on),
                     boundaries=_boundaries)

    summary = LevelsSummary(on=on, policy=policy.version, method=policy.rules["method"], units=len(nodes),
                            overridden=len(fixed), saved=save, results=results, nodes=nodes,
                            ignored_inputs=sum(1 for uid in inputs if uid not in nodes))
    levels: Counter[int] = Counter()
    missing: Counter[str] = Counter()
    for uid, outcome in results.items():
        level = fixed.get(uid, outcome.level)
        if level is None:
            summary.not_assessed += 1
        else:
            levels[level] += 1
        missing.update(outcome.missing)
    summary.levels, summary.missing = dict(levels), dict(missing)
    if save:
        _write(on=on, policy=policy, tree=tree, root=root, results=results, existing=existing)
        audit_record(actor=by, action="risk.compute", object_type="risk.day", object_id=on.isoformat(),
                     detail={"policy": policy.version, "tree": tree, "root": root.code if root else "",
                             "units": len(nodes), "not_assessed": summary.not_assessed})
    summary.seconds = time.perf_counter() - started
    return summary


def _write(*, on: date, policy: Policy, tree: str, root: AdminUnit | None, results: Mapping[int, Outcome],
           existing: Mapping[int, tuple[int, bool, int | None]]) -> None:
    now = timezone.now()
    RiskAssessment.objects.filter(on=on, overridden=False, unit__in=_units_queryset(tree, root)).delete()
    rows, kept = [], []
    for uid, outcome in results.items():
        current = existing.get(uid)
        if current is not None and current[1]:
            kept.append(RiskAssessment(pk=current[0], computed_level=outcome.level, policy=policy,
                                       inputs=outcome.inputs, reasons=outcome.reasons, missing=outcome.missing,
                                       computed_at=now))
        else:
            rows.append({"unit_id": uid, "level": outcome.level, "computed_level": outcome.level,
                         "inputs": outcome.inputs, "reasons": outcome.reasons, "missing": outcome.missing})
    bulk_insert(RiskAssessment, rows, now=now, same={"on": on, "policy_id": policy.pk, "computed_at": now,
                                                       "overridden": False})
    if kept:
        RiskAssessment.objects.bulk_update(kept, ["computed_level", "policy", "inputs", "reasons", "missing",
                                                  "computed_at"], batch_size=200)


# ---- overrides ----------------------------------------------------------------------------------------------------

def _locked(assessment, by) -> RiskAssessment:
    row = (RiskAssessment.objects.select_for_update().filter(pk=getattr(assessment, "pk", assessment)).first())
    if row is None or not _in_jurisdiction(by, row.unit):
        raise NotFound(Code.ASSESSMENT_NOT_FOUND, _("No such assessment in your jurisdiction (it may have been "
                                                    "recomputed: reload the page)."))
    return row


def _reason(reason) -> str:
    text = " ".join(str(reason or "").split())
    if not text:
        raise DomainError(Code.REASON_REQUIRED, _("Give the reason for the override."), field="reason")
    if len(text) > 500:
        raise DomainError(Code.REASON_REQUIRED, _("The reason may be at most 500 characters."), field="reason")
    return text


def _level_value(level) -> int:
    if isinstance(level, str) and is_ascii_digits(level.strip()):
        level = int(level.strip())
    if isinstance(level, bool) or not isinstance(level, int) or level not in RiskLevel.values:
        raise DomainError(Code.LEVEL_INVALID, _("The level must be 1, 2, 3 or 4."), field="level")
    return level


@transaction.atomic(durable=True)
def level_override(*, assessment: RiskAssessment, level: int, reason: str, by) -> RiskAssessment:
    """An official sets a unit's level for a day, with a reason. It stays when the day is recomputed."""
    require_perm(by, Perm.RISK_EDIT)
    level = _level_value(level)
    reason = _reason(reason)
    row = _locked(assessment, by)
    before = row.level
    row.level, row.overridden, row.override_reason = level, True, reason
    row.override_by, row.override_at = as_user(by), timezone.now()
    row.save(update_fields=["level", "overridden", "override_reason", "override_by", "override_at"])
    audit_record(actor=by, action="risk.override", object_type="risk.assessment", object_id=row.pk,
                 detail={"unit": row.unit.code, "on": row.on.isoformat(), "from": before, "to": level,
                         "computed": row.computed_level, "reason": reason})
    return row


@transaction.atomic(durable=True)
def level_override_clear(*, assessment: RiskAssessment, reason: str, by) -> RiskAssessment:
    """Back to the computed level, with a reason."""
    require_perm(by, Perm.RISK_EDIT)
    reason = _reason(reason)
    row = _locked(assessment, by)
    if not row.overridden:
        raise DomainError(Code.NOT_OVERRIDDEN, _("This level is not overridden."), field="level")
    before = row.level
    row.level, row.overridden, row.override_reason, row.override_by, row.override_at = (
        row.computed_level, False, "", None, None)
    row.save(update_fields=["level", "overridden", "override_reason", "override_by", "override_at"])
    audit_record(actor=by, action="risk.override_clear", object_type="risk.assessment", object_id=row.pk,
                 detail={"unit": row.unit.code, "on": row.on.isoformat(), "from": before, "to": row.level,
                         "reason": reason})
    return row


# ---- entered inputs -----------------------------------------------------------------------------------------------

def _input_value(kind: str, value) -> float:
    if kind == RiskInputKind.CAPACITY_MET:
        if isinstance(value, str):
            value = {"1": True, "yes": True, "true": True, "met": True,
                     "0": False, "no": False, "false": False, "not_met": False}.get(value.strip().lower(), value)
        if isinstance(value, bool) or value in (0, 1):
            return 1.0 if value else 0.0
        raise DomainError(Code.INPUT_INVALID, _("Capacity is met (1) or not met (0)."), field="value")
    try:
        number = float(str(value).replace(",", ".").rstrip("% ")) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 <= number <= 100:
        raise DomainError(Code.INPUT_INVALID, _("Coverage is a percentage from 0 to 100."), field="value")
    return round(number, 2)


@transaction.atomic(durable=True)
def risk_input_record(*, unit: AdminUnit, kind: str, value, as_of: date, by, note: str = "") -> RiskInput:
    """A value entered for a unit as of a day (again for the same day: replaced). It applies to the unit and to the
    units beneath it that have none of their own, from the next computation on."""
    require_perm(by, Perm.RISK_EDIT)
    if not _in_jurisdiction(by, unit):
        raise NotFound(Code.UNIT_NOT_FOUND, _("No such unit in your jurisdiction."), field="unit")
    if kind not in RiskInputKind.values:
        raise DomainError(Code.INPUT_INVALID, _("Unknown input: %(kind)s.") % {"kind": kind}, field="kind")
    number = _input_value(kind, value)
    if not isinstance(as_of, date):
        raise DomainError(Code.DATE_INVALID, _("Give the date the value is as of."), field="as_of")
    if as_of > timezone.localdate():
        raise DomainError(Code.DATE_INVALID, _("The date is in the future."), field="as_of")
    note = " ".join(str(note or "").split())[:300]
    row, created = RiskInput.objects.update_or_create(unit=unit, kind=kind, as_of=as_of,
                                                      defaults={"value": number, "note": note, "by": as_user(by)})
    audit_record(actor=by, action="risk.input", object_type="risk.input", object_id=row.pk,
                 detail={"unit": unit.code, "kind": kind, "value": number, "as_of": as_of.isoformat(),
                         "replaced": not created})
    return row


# ---- days, periods and a province's own policy ------------------------------------------------------------------

TRIAL_MAX_DAYS = 62


def day_check(on, *, field: str = "on", label: str = "") -> date:
    """A day to assess: a date, not in the future."""
    if not isinstance(on, date):
        raise DomainError(Code.DATE_INVALID, _("Give the day (YYYY-MM-DD)."), field=field)
    if on > timezone.localdate():
        raise DomainError(Code.DATE_INVALID, _("%(day)s is in the future: only days that have passed can be "
                                               "assessed.") % {"day": label or on.strftime("%d/%m/%Y")}, field=field)
    return on


def period_check(start, end, *, max_days: int = TRIAL_MAX_DAYS) -> tuple[date, date]:
    """A past period of at most `max_days` days: a start, an end not before it, neither in the future."""
    day_check(start, field="start")
    day_check(end, field="end")
    if end < start:
        raise DomainError(Code.PERIOD_INVALID, _("The end (%(end)s) is before the start (%(start)s).")
                          % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")}, field="end")
    days = (end - start).days + 1
    if days > max_days:
        raise DomainError(Code.PERIOD_INVALID, _("The period has %(days)d days: at most %(max)d can be tried at once.")
                          % {"days": days, "max": max_days}, field="end")
    return start, end


def rules_from_text(text) -> Any:
    """The rules as a province writes them (JSON text); a dict or list passes through."""
    if isinstance(text, (dict, list)):
        return text
    text = str(text or "").strip()
    if not text:
        raise DomainError(Code.JSON_INVALID, _("Write the rules (JSON)."), field="rules")
    if len(text) > 20_000:
        raise DomainError(Code.JSON_INVALID, _("The rules may be at most 20,000 characters."), field="rules")
    try:
        return json_read(text)
    except JsonError as exc:
        raise json_error(exc) from None


def rules_check(rules) -> dict[str, Any]:
    """Valid rules, or every problem at once (RulesInvalid)."""
    rules = rules_from_text(rules)
    problems = validate_rules(rules)
    if problems:
        raise RulesInvalid(problems)
    return rules


def province_wide(user) -> bool:
    """Whether the user's jurisdiction is a whole province."""
    return scope_is_province(user)


_SUPERSEDE_CODES = {"policy_version": Code.POLICY_VERSION, "policy_dates": Code.POLICY_DATES,
                    "policy_overlap": Code.POLICY_OVERLAP, "policy_rules": Code.POLICY_INVALID}


@transaction.atomic(durable=True)
def risk_policy_adopt(*, version: str, valid_from: date, rules, source: str, by) -> Policy:
    """A province's own rules become the `risk` version in force from `valid_from` (the version in force then ends
    the day before). Only for those who may change levels and whose jurisdiction is the whole province; audited."""
    require_perm(by, Perm.RISK_EDIT)
    if not is_system(by) and not province_wide(by):
        raise PermissionDenied(Code.PERMISSION, _("Only the province may adopt a risk-level policy."))
    rules = rules_check(rules)
    source = " ".join(str(source or "").split())
    if not source:
        raise DomainError(Code.POLICY_INVALID, _("Give the legal source (e.g. the province's decision)."),
                          field="source")
    if len(source) > 300:
        raise DomainError(Code.POLICY_INVALID, _("The legal source may be at most 300 characters."), field="source")
    if not isinstance(valid_from, date):
        raise DomainError(Code.POLICY_DATES, _("Enter the first day of the new version."), field="valid_from")
    try:
        policy = policy_supersede(kind=POLICY_KIND, version=version, valid_from=valid_from, rules=rules,
                                  source=source, by=by)
    except DomainError as exc:
        raise DomainError(_SUPERSEDE_CODES.get(exc.code, Code.POLICY_INVALID), exc.message,
                          field=exc.field) from None
    audit_record(actor=by, action="risk.policy_adopt", object_type="core.policy", object_id=policy.pk,
                 detail={"version": policy.version, "valid_from": valid_from.isoformat(), "source": source,
                         "method": rules["method"]})
    return policy
