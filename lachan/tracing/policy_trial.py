"""Trying draft tracing rules on past data: the most recent cases traced again under the version in force for each
and under the draft, side by side — F1/F2 per case and the people who would be added or removed. Nothing written
(find_contacts_many only reads)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.jurisdiction import scope_for
from lachan.cases.models import Case
from lachan.cases.scope import case_scope_q
from lachan.core.errors import NotFound
from lachan.core.policies import PolicyTrial, TrialTable, policy_in_force
from lachan.people.models import Person

from .engine import find_contacts_many
from .models import Tier
from .policy import DEFAULTS, rules_of

SAMPLE_CASES = 10  # two tracings each (in force, draft): a few seconds on a busy province
SAMPLE_DAYS = 14
PEOPLE_SHOWN = 100


def _tiers(found: dict) -> dict:
    return {pid: f.tier for pid, f in found.items()}


def _count(tiers: dict, tier: int) -> int:
    return sum(1 for t in tiers.values() if t == tier)


def _tier_label(tier: int | None) -> str:
    return "—" if tier is None else str(Tier(tier).label)


def tracing_policy_trial(*, rules: dict[str, Any], in_force, by, sample: int = SAMPLE_CASES) -> PolicyTrial:
    """The `sample` most recent cases of the last SAMPLE_DAYS days in `by`'s jurisdiction, traced again under their
    own version and under `rules` (already validated)."""
    now = timezone.now()
    scope = scope_for(by)
    cases = list(Case.objects.filter(case_scope_q(scope),
                                     confirmed_at__gte=now - timedelta(days=SAMPLE_DAYS))
                 .order_by("-confirmed_at")[:sample])
    trial = PolicyTrial()
    if not cases:
        trial.summary.append(_("No case was confirmed in the last %(days)d days: nothing to try the rules on.")
                             % {"days": SAMPLE_DAYS})
        return trial
    groups: dict[int, tuple[dict, list[Case]]] = {}
    for case in cases:
        try:
            policy = policy_in_force("tracing", case.infectious_from)
        except NotFound:
            policy = None
        groups.setdefault(policy.pk if policy else 0, (rules_of(policy), []))[1].append(case)
    before: dict = {}
    for group_rules, members in groups.values():
        before.update(find_contacts_many(members, group_rules, now=now))
    after = find_contacts_many(cases, {**DEFAULTS, **rules}, now=now)

    per_case, changes = [], []
    totals = {"f1": [0, 0], "f2": [0, 0], "added": 0, "removed": 0}
    for case in cases:
        old, new = _tiers(before[case.pk]), _tiers(after[case.pk])
        added = [pid for pid in new if pid not in old]
        removed = [pid for pid in old if pid not in new]
        moved = [pid for pid in new if pid in old and new[pid] != old[pid]]
        f1, f2 = (_count(old, Tier.F1), _count(new, Tier.F1)), (_count(old, Tier.F2), _count(new, Tier.F2))
        totals["f1"][0] += f1[0]
        totals["f1"][1] += f1[1]
        totals["f2"][0] += f2[0]
        totals["f2"][1] += f2[1]
        totals["added"] += len(added)
        totals["removed"] += len(removed)
        per_case.append([case.code, case.confirmed_at.date(), f"{f1[0]} → {f1[1]}", f"{f2[0]} → {f2[1]}",
                         len(added), len(removed), len(moved)])
        for pid in [*added, *removed, *moved]:
            changes.append((case.code, pid, old.get(pid), new.get(pid)))
    trial.summary.append(
        _("%(cases)d most recent cases (last %(days)d days) traced again: F1 %(f1_before)d → %(f1_after)d, "
          "F2 %(f2_before)d → %(f2_after)d; %(added)d people would be added and %(removed)d removed.")
        % {"cases": len(cases), "days": SAMPLE_DAYS, "f1_before": totals["f1"][0], "f1_after": totals["f1"][1],
           "f2_before": totals["f2"][0], "f2_after": totals["f2"][1], "added": totals["added"],
           "removed": totals["removed"]})
    trial.summary.append(_("Each case is compared with its contacts under the version in force for it, traced again "
                           "now; nothing is saved and nobody is told."))
    trial.tables.append(TrialTable(
        title=_("Cases traced again"),
        columns=[_("Case"), _("Confirmed"), _("F1 (now → draft)"), _("F2 (now → draft)"), _("Added"), _("Removed"),
                 _("Other tier")],
        rows=per_case))
    shown = changes[:PEOPLE_SHOWN]
    ids = {pid for _code, pid, _old, _new in shown}
    people = {p.pk: p for p in Person.objects.filter(scope.person_q(), pk__in=ids).select_related("commune__parent")}
    rows = []
    for code, pid, old, new in shown:
        person = people.get(pid)
        rows.append([code, person.full_name if person else _("(outside your jurisdiction)"),
                     person.commune.label if person else "", _tier_label(old), _tier_label(new)])
    if rows:
        trial.tables.append(TrialTable(
            title=_("People who would change"), columns=[_("Case"), _("Person"), _("Commune"), _("In force now"), _("Draft")],
            rows=rows, note=_("The first %(n)d of %(total)d.") % {"n": len(shown), "total": len(changes)}
            if len(changes) > len(shown) else ""))
    trial.person_ids = list(people)
    return trial
