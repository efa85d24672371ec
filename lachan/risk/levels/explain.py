"""The reasons of an assessment in words, in the reader's language. An assessment stores its reasons as codes with
their numbers ({"code": "matrix", "band": "20–<50", "column": "met", "level": 2}), so that a page shows them in
Vietnamese or English and a changed wording changes every past result too."""

from __future__ import annotations

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


def reason_text(reason: dict[str, Any]) -> str:  # noqa: C901
    code = reason.get("code")
    r = reason
    if code == "no_cases":
        return _("No community case in the last %(days)d days: 0 per 100,000 per week.") % {"days": r["window_days"]}
    if code == "rate":
        return _("%(cases)d community cases in %(days)d days for %(population)s people: %(rate)s per %(per)s per "
                 "week.") % {"cases": r["cases"], "days": r["window_days"], "population": _number(r["population"]),
                             "rate": number_format(r["rate"], decimal_pos=1), "per": _number(r["per"])}
    if code == "vaccination":
        parts = []
        for c in r.get("criteria", []):
            value = _("not entered") if c["value"] is None else f"{c['value']:g} %"
            parts.append(_("%(input)s: %(value)s (needs %(min)s %%)") % {
                "input": input_label(c["input"]), "value": value, "min": f"{c['min']:g}"})
        state = {True: _("Vaccination criterion met"), False: _("Vaccination criterion not met"),
                 None: _("Vaccination criterion unknown")}[r.get("met")]
        return f"{state}: {'; '.join(parts)}."
    if code == "matrix":
        column = _("vaccination met") if r["column"] == "met" else _("vaccination not met")
        return _("Band %(band)s with %(column)s: level %(level)d.") % {"band": r["band"], "column": column,
                                                                       "level": r["level"]}
    if code == "matrix_either":
        return _("Band %(band)s gives level %(level)d whether or not the vaccination criterion is met.") % r
    if code == "cannot_assess":
        if r.get("levels"):
            return _("Cannot be assessed: the level would be %(levels)s depending on the missing inputs.") % {
                "levels": _levels(r["levels"])}
        return _("Cannot be assessed: an input the rule needs is missing.")
    if code == "capacity_met":
        return _("Treatment capacity met: the level stands.")
    if code == "capacity_missing":
        return _("Treatment capacity not entered: the capacity rule was not applied.")
    if code == "capacity_missing_not_met":
        return _("Treatment capacity not entered: treated as not met, as this policy says.")
    if code == "capacity_raised":
        return _("Treatment capacity not met: raised from level %(from)d to %(level)d.") % r
    if code == "capacity_not_lowered":
        return _("Treatment capacity not met: not lowered from level %(previous)d of %(previous_on)s "
                 "(the matrix gives %(from)d).") % r
    if code == "capacity_no_change":
        if r.get("previous"):
            return _("Treatment capacity not met: the level of %(previous_on)s (%(previous)d) was not higher.") % r
        return _("Treatment capacity not met: no earlier level to keep.")
    if code == "cluster_very_high":
        kinds = ", ".join(f"{kind} ({n})" for kind, n in sorted(r["kinds"].items()))
        return _("Cluster open in the last %(days)d days of unknown source or in an industrial park, school or "
                 "supermarket (%(kinds)s): level 4.") % {"days": r["window_days"], "kinds": kinds}
    if code == "untraceable":
        return ngettext("%(n)d community case linked to no cluster (source not traced): level 3.",
                        "%(n)d community cases linked to no cluster (source not traced): level 3.",
                        r["cases"]) % {"n": r["cases"]}
    if code == "bordering":
        if r.get("by") == "distance":
            return _("Next to %(name)s at level 4 (centres %(km)s km apart, within %(within_km)s km; no boundaries "
                     "imported): level 3.") % {**r, "km": _number(r["km"]), "within_km": _number(r["within_km"])}
        return _("Borders %(name)s at level 4: level 3.") % r
    if code == "known_source":
        return ngettext("%(n)d community case, of known source: level 2.",
                        "%(n)d community cases, all of known source: level 2.", r["cases"]) % {"n": r["cases"]}
    if code == "no_community_cases":
        return _("No community case in the last %(days)d days: level 1.") % {"days": r["window_days"]}
    if code == "shares":
        if r.get("needed_count") is not None:
            return _("%(count)d of %(of)d communes at level %(min_level)d or above (needs %(needed_count)d): "
                     "level %(level)d.") % r
        return _("%(count)d of %(of)d communes (%(pct)s %%) at level %(min_level)d or above (needs %(needed)s %%): "
                 "level %(level)d.") % {**r, "pct": number_text(r["share"] * 100, 0),
                                                      "needed": _number(round(r["needed_share"] * 100, 2))}
    if code == "shares_otherwise":
        return _("No rule on the communes' levels reached: level %(level)d.") % r
    if code == "highest":
        return _("Highest level beneath: %(level)d (%(name)s).") % r
    if code == "unassessed_beneath":
        return _("%(count)d of %(of)d units beneath could not be assessed and are left out.") % r
    return str(code)


def reasons_text(reasons: list[dict[str, Any]]) -> list[str]:
    return [reason_text(r) for r in reasons]
