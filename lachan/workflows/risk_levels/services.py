"""The daily risk levels (DESIGN §4: cases → risk): the inputs that other domains hold, gathered for every commune
at once, handed to the risk domain's computation (lachan.risk.levels.levels_compute), which adds populations and
the vaccination and capacity values entered by the province and aggregates upward.

- Community cases: cases of origin "community" (not those detected in people already in quarantine) confirmed in
  the policy's window of days ending on the assessed day (local days), counted by the commune where the person
  lives; those linked to no cluster are counted apart (Decision 2686: a case whose source was not traced).
- Clusters: those open on any day of the window (opened on or before the day, not closed before its first day),
  by kind, counted in the commune the cluster is in (a cluster with no commune is left out and counted).
Two aggregate queries, whatever the number of communes.

The daily job (06:30) assesses the day before: its window is complete by then."""

from __future__ import annotations

import time as timer
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system, system_actor
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.cases.models import Case, CaseOrigin, Cluster
from lachan.core.dates import local_midnight
from lachan.core.models import Policy
from lachan.core.policies import PolicyTrial, TrialTable
from lachan.geo.models import AdminUnit
from lachan.geo.selectors import unit_labels
from lachan.risk.levels import (
    LevelsSummary,
    UnitInputs,
    day_check,
    levels_compute,
    period_check,
    policy_window_days,
    reasons_text,
    require_perm,
    risk_policy,
    rules_check,
)
from lachan.risk.models import RiskAssessment
from lachan.risk.policy import POLICY_KIND


def risk_inputs_gather(*, on: date, days: int) -> tuple[dict[int, UnitInputs], dict[str, int]]:
    """Per commune (id): community cases of the `days` ending on `on` by residence, those linked to no cluster, and
    the clusters open in the window by kind. Also a few totals for the summary."""
    first = on - timedelta(days=days - 1)
    cases = (Case.objects.filter(origin=CaseOrigin.COMMUNITY, confirmed_at__gte=local_midnight(first),
                                 confirmed_at__lt=local_midnight(on + timedelta(days=1)))
             .values_list("commune_id")
             .annotate(n=Count("id"), untraceable=Count("id", filter=Q(cluster__isnull=True)))
             .order_by())
    counts: dict[int, list] = {}
    total = 0
    for commune_id, n, untraceable in cases:
        counts[commune_id] = [n, untraceable, {}]
        total += n
    clusters = (Cluster.objects.filter(opened_on__lte=on).filter(Q(closed_on__isnull=True) | Q(closed_on__gte=first))
                .values_list("commune_id", "kind").annotate(n=Count("id")).order_by())
    unplaced = 0
    for commune_id, kind, n in clusters:
        if commune_id is None:
            unplaced += n
            continue
        counts.setdefault(commune_id, [0, 0, {}])[2][kind] = n
    inputs = {cid: UnitInputs(cases=n, untraceable=untraceable, clusters=kinds)
              for cid, (n, untraceable, kinds) in counts.items()}
    return inputs, {"community_cases": total, "clusters_without_commune": unplaced}


def risk_levels_compute(*, on: date, by, tree: str | None = None, root: AdminUnit | None = None,
                        policy=None, save: bool = True) -> LevelsSummary:
    """Every unit's level on `on` from the platform's data (on demand, or by the daily job). Communes with no
    case and no cluster have none to report: they get zero cases (known, not missing)."""
    day_check(on)
    tree = tree or settings.LACHAN_ADMIN_TREE
    if root is None and not is_system(by):
        scope = scope_for(by)  # a user computes their jurisdiction (levels_compute checks the permission)
        root = AdminUnit.objects.filter(pk=scope.unit_id).first() if scope.kind == "unit" else None
    policy = policy or risk_policy(on)
    found, totals = risk_inputs_gather(on=on, days=policy_window_days(on, policy))
    units = AdminUnit.objects.filter(tree=tree)
    if root is not None:
        units = units.filter(Q(pk=root.pk) | Q(path__startswith=root.path + "/"))
    leaves = units.exclude(pk__in=AdminUnit.objects.filter(parent__isnull=False).values("parent_id"))
    inputs = {uid: found.get(uid) or UnitInputs(cases=0, untraceable=0)
              for uid in leaves.values_list("id", flat=True)}
    # Cases of people living outside the units assessed (another province) are not theirs to count.
    totals["cases_elsewhere"] = sum(i.cases for uid, i in found.items() if uid not in inputs)
    summary = levels_compute(on=on, inputs=inputs, by=by, tree=tree, root=root, policy=policy, save=save)
    summary.totals = totals
    return summary


def risk_levels_daily() -> str:
    """The periodic job: yesterday's levels of every unit of the deployment's tree."""
    if not AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE).exists():
        return "no administrative units loaded: nothing to assess"
    return str(risk_levels_compute(on=timezone.localdate() - timedelta(days=1),
                                   by=system_actor("workflows.risk_levels")))


# ---- a province's own rules tried on past data ----------------------------------------------------------------

TRIAL_CHANGES_SHOWN = 200


@dataclass
class TrialChange:
    on: date
    unit_code: str
    unit_name: str
    unit_level: int
    saved: int | None  # the level saved that day (None: could not be assessed)
    trial: int | None  # the level under the rules tried
    reasons: list[str]
    unit_label: str = ""  # AdminUnit.label: a commune with its district


@dataclass
class TrialDay:
    on: date
    trial: dict[int, int]  # units at each level under the rules tried (0: could not be assessed)
    saved: dict[int, int]  # units at each level saved that day (0: not assessed)
    not_computed: int  # units with no level saved that day (the day was never computed for them)
    changed: int  # units whose level would differ


@dataclass
class Trial:
    start: date
    end: date
    method: str
    units: int
    days: list[TrialDay] = field(default_factory=list)
    changes: list[TrialChange] = field(default_factory=list)  # the first TRIAL_CHANGES_SHOWN
    changes_total: int = 0
    overrides_kept: int = 0  # unit-days whose official override stands under any rules
    seconds: float = 0.0

    def totals(self) -> dict[str, Any]:
        trial, saved = Counter(), Counter()
        for day in self.days:
            trial.update(day.trial)
            saved.update(day.saved)
        return {"trial": dict(trial), "saved": dict(saved),
                "not_computed": sum(d.not_computed for d in self.days)}


def _levels(counter: Counter) -> dict[int, int]:
    return {lv: counter.get(lv, 0) for lv in (1, 2, 3, 4, 0)}


def risk_policy_trial(*, rules, start: date, end: date, by, tree: str | None = None,
                      shown: int = TRIAL_CHANGES_SHOWN) -> Trial:
    """A province's own rules (not saved) applied to every day of a past period in the caller's jurisdiction, beside
    the levels saved then: per day the units at each level both ways and which units would change, with the
    reasons under the new rules. Nothing is written. Per day one gathering of cases and clusters (two aggregate
    queries) and the computation in memory; the saved levels of the whole period in one query.

    The officials' overrides of those days stand under the new rules too (as a recomputation keeps them); the
    capacity rule "not lowered" compares with the levels saved on the days before."""
    started = timer.perf_counter()
    require_perm(by, Perm.RISK_EDIT)
    rules = rules_check(rules)
    start, end = period_check(start, end)
    draft = Policy(kind=POLICY_KIND, version=_("trial"), valid_from=start, rules=rules)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    summaries = [risk_levels_compute(on=day, by=by, tree=tree, policy=draft, save=False) for day in days]
    unit_ids = list(summaries[0].nodes) if summaries else []
    saved: dict[date, dict[int, tuple[int | None, bool]]] = {day: {} for day in days}
    rows = (RiskAssessment.objects.filter(on__gte=start, on__lte=end, unit_id__in=unit_ids)
            .values_list("on", "unit_id", "level", "overridden"))
    if len(unit_ids) > 900:  # beyond SQLite's comfortable IN list: the period's rows of the tree, filtered here
        wanted = set(unit_ids)
        rows = (RiskAssessment.objects.filter(on__gte=start, on__lte=end, unit__tree=tree or settings.LACHAN_ADMIN_TREE)
                .values_list("on", "unit_id", "level", "overridden"))
    else:
        wanted = None
    for day, unit_id, level, overridden in rows.iterator(chunk_size=5000):
        if wanted is None or unit_id in wanted:
            saved[day][unit_id] = (level, overridden)
    trial = Trial(start=start, end=end, method=rules["method"], units=len(unit_ids))
    changed_ids: list[int] = []  # the unit of each change shown, for its label
    for day, summary in zip(days, summaries, strict=True):
        of_day = saved[day]
        tried, kept = Counter(), Counter()
        changed = 0
        for uid in summary.nodes:  # in the tree's order
            outcome = summary.results[uid]
            before = of_day.get(uid)
            level = before[0] if before is not None and before[1] else outcome.level
            tried[level or 0] += 1
            if before is None:
                continue
            kept[before[0] or 0] += 1
            trial.overrides_kept += 1 if before[1] else 0
            if level != before[0]:
                changed += 1
                trial.changes_total += 1
                if len(trial.changes) < shown:
                    node = summary.nodes[uid]
                    changed_ids.append(uid)
                    trial.changes.append(TrialChange(on=day, unit_code=node.code, unit_name=node.name,
                                                     unit_level=node.level, saved=before[0], trial=level,
                                                     reasons=reasons_text(outcome.reasons)))
        trial.days.append(TrialDay(on=day, trial=_levels(tried), saved=_levels(kept),
                                   not_computed=len(summary.results) - len(of_day), changed=changed))
    labels = unit_labels(changed_ids)
    for change, uid in zip(trial.changes, changed_ids, strict=True):
        change.unit_label = labels.get(uid, change.unit_name)
    trial.seconds = timer.perf_counter() - started
    return trial


GENERIC_TRIAL_DAYS = 14  # said in the trial's help (lachan.workflows.apps)


def risk_policy_trial_recent(*, rules: dict[str, Any], in_force, by) -> PolicyTrial:
    """The `risk` kind's trial for the generic policy pages: the last GENERIC_TRIAL_DAYS days (to yesterday) as
    risk_policy_trial gives them (the risk pages try any period)."""
    end = timezone.localdate() - timedelta(days=1)
    result = risk_policy_trial(rules=rules, start=end - timedelta(days=GENERIC_TRIAL_DAYS - 1), end=end, by=by)
    trial = PolicyTrial()
    trial.summary.append(_("%(units)d units over the %(days)d days to %(end)s: %(n)d unit-days would change level "
                           "(overridden ones keep their override).")
                         % {"units": result.units, "days": len(result.days), "end": end.strftime("%d/%m/%Y"),
                            "n": result.changes_total})

    def levels(counts: dict[int, int]) -> str:
        return " · ".join(f"{lv}: {counts.get(lv, 0)}" for lv in (1, 2, 3, 4))

    trial.tables.append(TrialTable(
        title=_("Units at each level, day by day"),
        columns=[_("Day"), _("Saved then (1 · 2 · 3 · 4)"), _("Under the draft (1 · 2 · 3 · 4)"), _("Changed")],
        rows=[[d.on.strftime("%d/%m/%Y"), levels(d.saved), levels(d.trial), d.changed] for d in result.days]))
    if result.changes:
        trial.tables.append(TrialTable(
            title=_("Units that would change"),
            columns=[_("Day"), _("Unit"), _("Saved then"), _("Under the draft"), _("Why")],
            rows=[[c.on.strftime("%d/%m/%Y"), f"{c.unit_label} ({c.unit_code})", c.saved or "—", c.trial or "—",
                   "; ".join(c.reasons)] for c in result.changes],
            note=_("The first %(n)d of %(total)d.") % {"n": len(result.changes), "total": result.changes_total}
            if result.changes_total > len(result.changes) else ""))
    return trial
