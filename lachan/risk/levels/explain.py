"""The reasons of an assessment in words, in the reader's language. An assessment stores its reasons as codes with
their numbers ({"code": "matrix", "band": "20–<50", "column": "met", "level": 2}), so that a page shows them in
Vietnamese or English and a changed wording changes every past result too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lachan.core.numbers import number_text

from ..models import RiskInputKind


def input_label(name: str) -> str:
    labels = {
        **{k.value: str(k.label) for k in RiskInputKind},
        "cases": _("community cases of the window"),
        "population": _("population"),
        "untraceable": _("cases linked to no cluster"),
        "neighbours": _("neighbouring communes (no boundaries, no distance rule)"),
        "commune_levels": _("levels of some communes beneath"),
        "unit_levels": _("levels of some units beneath"),
    }
    return labels.get(name, name)


def _number(value) -> str:
    return number_text(value)  # 100,000 and 2.5 in English, 100.000 and 2,5 in Vietnamese


def _levels(levels: list[int]) -> str:
    return _(" or ").join(str(lv) for lv in levels)


def _no_cases(r: dict[str, Any]) -> str:
    return _("No community case in the last %(days)d days: 0 per 100,000 per week.") % {"days": r["window_days"]}


def _rate(r: dict[str, Any]) -> str:
    return _("%(cases)d community cases in %(days)d days for %(population)s people: %(rate)s per %(per)s per "
             "week.") % {"cases": r["cases"], "days": r["window_days"], "population": _number(r["population"]),
                         "rate": number_format(r["rate"], decimal_pos=1), "per": _number(r["per"])}


def _vaccination(r: dict[str, Any]) -> str:
    parts = []
    for c in r.get("criteria", []):
        value = _("not entered") if c["value"] is None else f"{c['value']:g} %"
        parts.append(_("%(input)s: %(value)s (needs %(min)s %%)") % {
            "input": input_label(c["input"]), "value": value, "min": f"{c['min']:g}"})
    state = {True: _("Vaccination criterion met"), False: _("Vaccination criterion not met"),
             None: _("Vaccination criterion unknown")}[r.get("met")]
    return f"{state}: {'; '.join(parts)}."


def _matrix(r: dict[str, Any]) -> str:
    column = _("vaccination met") if r["column"] == "met" else _("vaccination not met")
    return _("Band %(band)s with %(column)s: level %(level)d.") % {"band": r["band"], "column": column,
                                                                   "level": r["level"]}


def _matrix_either(r: dict[str, Any]) -> str:
    return _("Band %(band)s gives level %(level)d whether or not the vaccination criterion is met.") % r


def _cannot_assess(r: dict[str, Any]) -> str:
    if r.get("levels"):
        return _("Cannot be assessed: the level would be %(levels)s depending on the missing inputs.") % {
            "levels": _levels(r["levels"])}
    return _("Cannot be assessed: an input the rule needs is missing.")


def _capacity_met(r: dict[str, Any]) -> str:
    return _("Treatment capacity met: the level stands.")


def _capacity_missing(r: dict[str, Any]) -> str:
    return _("Treatment capacity not entered: the capacity rule was not applied.")


def _capacity_missing_not_met(r: dict[str, Any]) -> str:
    return _("Treatment capacity not entered: treated as not met, as this policy says.")


def _capacity_raised(r: dict[str, Any]) -> str:
    return _("Treatment capacity not met: raised from level %(from)d to %(level)d.") % r


def _capacity_not_lowered(r: dict[str, Any]) -> str:
    return _("Treatment capacity not met: not lowered from level %(previous)d of %(previous_on)s "
             "(the matrix gives %(from)d).") % r


def _capacity_no_change(r: dict[str, Any]) -> str:
    if r.get("previous"):
        return _("Treatment capacity not met: the level of %(previous_on)s (%(previous)d) was not higher.") % r
    return _("Treatment capacity not met: no earlier level to keep.")


def _cluster_very_high(r: dict[str, Any]) -> str:
    kinds = ", ".join(f"{kind} ({n})" for kind, n in sorted(r["kinds"].items()))
    return _("Cluster open in the last %(days)d days of unknown source or in an industrial park, school or "
             "supermarket (%(kinds)s): level 4.") % {"days": r["window_days"], "kinds": kinds}


def _untraceable(r: dict[str, Any]) -> str:
    return ngettext("%(n)d community case linked to no cluster (source not traced): level 3.",
                    "%(n)d community cases linked to no cluster (source not traced): level 3.",
                    r["cases"]) % {"n": r["cases"]}


def _bordering(r: dict[str, Any]) -> str:
    if r.get("by") == "distance":
        return _("Next to %(name)s at level 4 (centres %(km)s km apart, within %(within_km)s km; no boundaries "
                 "imported): level 3.") % {**r, "km": _number(r["km"]), "within_km": _number(r["within_km"])}
    return _("Borders %(name)s at level 4: level 3.") % r


def _known_source(r: dict[str, Any]) -> str:
    return ngettext("%(n)d community case, of known source: level 2.",
                    "%(n)d community cases, all of known source: level 2.", r["cases"]) % {"n": r["cases"]}


def _no_community_cases(r: dict[str, Any]) -> str:
    return _("No community case in the last %(days)d days: level 1.") % {"days": r["window_days"]}


def _shares(r: dict[str, Any]) -> str:
    if r.get("needed_count") is not None:
        return _("%(count)d of %(of)d communes at level %(min_level)d or above (needs %(needed_count)d): "
                 "level %(level)d.") % r
    return _("%(count)d of %(of)d communes (%(pct)s %%) at level %(min_level)d or above (needs %(needed)s %%): "
             "level %(level)d.") % {**r, "pct": number_text(r["share"] * 100, 0),
                                                  "needed": _number(round(r["needed_share"] * 100, 2))}


def _shares_otherwise(r: dict[str, Any]) -> str:
    return _("No rule on the communes' levels reached: level %(level)d.") % r


def _highest(r: dict[str, Any]) -> str:
    return _("Highest level beneath: %(level)d (%(name)s).") % r


def _unassessed_beneath(r: dict[str, Any]) -> str:
    return _("%(count)d of %(of)d units beneath could not be assessed and are left out.") % r


# One small function per reason code (a code belongs to one method of the policy: the matrix of Resolution 128,
# the clusters of Decision 2686, or the upward rules).
_REASONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "no_cases": _no_cases,
    "rate": _rate,
    "vaccination": _vaccination,
    "matrix": _matrix,
    "matrix_either": _matrix_either,
    "cannot_assess": _cannot_assess,
    "capacity_met": _capacity_met,
    "capacity_missing": _capacity_missing,
    "capacity_missing_not_met": _capacity_missing_not_met,
    "capacity_raised": _capacity_raised,
    "capacity_not_lowered": _capacity_not_lowered,
    "capacity_no_change": _capacity_no_change,
    "cluster_very_high": _cluster_very_high,
    "untraceable": _untraceable,
    "bordering": _bordering,
    "known_source": _known_source,
    "no_community_cases": _no_community_cases,
    "shares": _shares,
    "shares_otherwise": _shares_otherwise,
    "highest": _highest,
    "unassessed_beneath": _unassessed_beneath,
}


def reason_text(reason: dict[str, Any]) -> str:
    code = reason.get("code")
    text = _REASONS.get(code)
    return text(reason) if text else str(code)


def reasons_text(reasons: list[dict[str, Any]]) -> list[str]:
    return [reason_text(r) for r in reasons]
