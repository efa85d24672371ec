"""The daily risk levels (DESIGN §4: cases → risk): the inputs that other domains hold, gathered for every commune
at once, handed to the risk domain's computation (lachan.risk.services.levels_compute), which adds populations and
the vaccination and capacity values entered by the province and aggregates upward.

- Community cases: cases of origin "community" (not those detected in people already in quarantine) confirmed in
  the policy's window of days ending on the assessed day (local days), counted by the commune where the person
  lives; those linked to no cluster are counted apart (Decision 2686: a case whose source was not traced).
- Clusters: those open on any day of the window (opened on or before the day, not closed before its first day),
  by kind, counted in the commune the cluster is in (a cluster with no commune is left out and counted).
Two aggregate queries, whatever the number of communes.

The daily job (06:30) assesses the day before: its window is complete by then."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from lachan.accounts.jurisdiction import scope_for
from lachan.cases.models import Case, CaseOrigin, Cluster
from lachan.geo.models import AdminUnit
from lachan.risk.services import LevelsSummary, UnitInputs, levels_compute, policy_window_days, risk_policy


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def risk_inputs_gather(*, on: date, days: int) -> tuple[dict[int, UnitInputs], dict[str, int]]:
    """Per commune (id): community cases of the `days` ending on `on` by residence, those linked to no cluster, and
    the clusters open in the window by kind. Also a few totals for the summary."""
    first = on - timedelta(days=days - 1)
    cases = (Case.objects.filter(origin=CaseOrigin.COMMUNITY, confirmed_at__gte=_local_midnight(first),
                                 confirmed_at__lt=_local_midnight(on + timedelta(days=1)))
             .values_list("person__commune_id")
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


def risk_levels_compute(*, on: date, by=None, tree: str | None = None, root: AdminUnit | None = None,
                        policy=None, save: bool = True) -> LevelsSummary:
    """Every unit's level on `on` from the platform's data (on demand, or by the daily job). Communes with no
    case and no cluster have none to report: they get zero cases (known, not missing)."""
    tree = tree or settings.LACHAN_ADMIN_TREE
    if root is None and by is not None:
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
    return str(risk_levels_compute(on=timezone.localdate() - timedelta(days=1)))
