"""The `risk` policy kind: how a unit's level (1 new normal … 4 very high) is decided, as versioned data
(DESIGN §5, "Risk levels"). Three methods:

matrix_4800 (Resolution 128/NQ-CP with Decision 4800/QĐ-BYT, 10/2021) and matrix_218 (Decision 218/QĐ-BYT,
01/2022, same shape): criterion 1 puts the community cases per 100,000 people per week into a band; criterion 2
(vaccination) is met when every coverage threshold is reached; the band's row of the matrix gives the level for
"met" and "not met"; criterion 3 (treatment capacity) adjusts it:

    {"method": "matrix_4800", "window_days": 7, "per": 100000,
     "bands": [{"from": 0, "to": 20, "met": 1, "not_met": 2}, …, {"from": 150, "to": null, "met": 3, "not_met": 4}],
     "vaccination": [{"input": "vax_adults_1dose", "min_percent": 70}, {"input": "vax_elderly_full", "min_percent": 80}],
     "capacity": {"when_not_met": "not_lowered", "lookback_days": 7, "when_missing": "ignore"},
     "upward": {"method": "matrix"}}

A band holds rates from `from` (included) to `to` (excluded, null: no upper end); together the bands must cover
0 … ∞ with no gap and no overlap. Capacity not met: "not_lowered" keeps the level at least the unit's latest level
of the `lookback_days` before (our reading of "if not met, the level is not lowered"), "raise_one" raises it by one,
"none" ignores the criterion. Capacity not entered: "ignore" (the matrix level stands, the result lists it as
missing) or "not_met".

clusters_2686 (Decision 2686/QĐ-BCĐQG, 05/2021): a commune's level from the nature of its clusters and cases:

    {"method": "clusters_2686", "window_days": 14,
     "very_high_cluster_kinds": ["unknown", "industrial_park", "school", "supermarket"],
     "high_if_untraceable_case": true, "high_if_bordering_very_high": true, "neighbour_within_km": 3,
     "upward": {"method": "shares", "rules": [{"level": 4, "min_level": 4, "share": 0.5}, …], "otherwise": 1}}

A cluster open in the window of a very-high kind → 4; a community case linked to no cluster, or bordering a commune
at 4 → 3; community cases (all of known source) → 2; none → 1. Bordering: the two boundaries share a point when both
are imported, else (if `neighbour_within_km` is set) their centres are that close.

`upward` says how districts and the province get theirs: "matrix" assesses them like a commune on their own totals
(matrix methods only); "shares" applies the first rule whose share (or `count`) of the communes beneath at
`min_level` or above is reached, else `otherwise`; "highest" takes the highest level of the units directly beneath.
A province's own policy is another version of one of these methods with its own numbers."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from .models import COVERAGE_KINDS

POLICY_KIND = "risk"
METHODS = {"matrix_4800": "matrix", "matrix_218": "matrix", "clusters_2686": "clusters"}
UPWARD_METHODS = {"matrix": ("matrix", "shares", "highest"), "clusters": ("shares", "highest")}
CAPACITY_NOT_MET = ("not_lowered", "raise_one", "none")
CAPACITY_MISSING = ("ignore", "not_met")
_COMMON_KEYS = {"method", "window_days", "upward", "note"}
_KEYS = {
    "matrix": _COMMON_KEYS | {"per", "bands", "vaccination", "capacity"},
    "clusters": _COMMON_KEYS | {"very_high_cluster_kinds", "high_if_untraceable_case", "high_if_bordering_very_high",
                                "neighbour_within_km"},
}
DEFAULT_WINDOW_DAYS = 7
DEFAULT_PER = 100_000


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _whole(value: Any, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def _level(value: Any) -> bool:
    return _whole(value, 1, 4)


def _fmt(value: Any) -> str:
    if value is None:
        return "∞"
    return f"{value:g}" if _number(value) else repr(value)


def band_label(band: dict[str, Any]) -> str:
    return f"{_fmt(band['from'])}–<{_fmt(band['to'])}" if band.get("to") is not None else f"≥ {_fmt(band['from'])}"


def _bands_problems(bands: Any) -> list[str]:
    if not isinstance(bands, list) or not bands:
        return [_("bands must be a non-empty list of {from, to, met, not_met}")]
    problems: list[str] = []
    clean = []
    for i, band in enumerate(bands, start=1):
        if not isinstance(band, dict):
            problems.append(_("band %(i)d must be an object") % {"i": i})
            continue
        problems += [_("band %(i)d: unknown rule %(key)s") % {"i": i, "key": key} for key in band
                     if key not in ("from", "to", "met", "not_met")]
        low, high = band.get("from"), band.get("to")
        if not _number(low) or low < 0:
            problems.append(_("band %(i)d: from must be a number ≥ 0") % {"i": i})
            continue
        if high is not None and (not _number(high) or high <= low):
            problems.append(_("band %(i)d: to must be a number above from, or null for no upper end") % {"i": i})
            continue
        for column in ("met", "not_met"):
            if not _level(band.get(column)):
                problems.append(_("band %(i)d: %(column)s must be a level from 1 to 4") % {"i": i, "column": column})
        clean.append({"from": low, "to": high})
    if problems:
        return problems
    clean.sort(key=lambda b: (b["from"], math.inf if b["to"] is None else b["to"]))
    if clean[0]["from"] > 0:
        problems.append(_("the bands leave a gap: no band covers %(band)s")
                        % {"band": f"0–<{_fmt(clean[0]['from'])}"})
    for before, after in zip(clean, clean[1:], strict=False):
        end = math.inf if before["to"] is None else before["to"]
        if after["from"] < end:
            problems.append(_("the bands overlap: %(first)s and %(second)s")
                            % {"first": band_label(before), "second": band_label(after)})
        elif after["from"] > end:
            problems.append(_("the bands leave a gap: no band covers %(band)s")
                            % {"band": f"{_fmt(end)}–<{_fmt(after['from'])}"})
    if clean[-1]["to"] is not None:
        problems.append(_("the bands leave a gap: no band covers ≥ %(from)s (the last band must have no upper end, "
                          "to: null)") % {"from": _fmt(clean[-1]["to"])})
    return problems


def _vaccination_problems(criteria: Any) -> list[str]:
    if not isinstance(criteria, list):
        return [_("vaccination must be a list of {input, min_percent}")]
    problems, seen = [], set()
    for i, criterion in enumerate(criteria, start=1):
        if not isinstance(criterion, dict):
            problems.append(_("vaccination criterion %(i)d must be an object") % {"i": i})
            continue
        problems += [_("vaccination criterion %(i)d: unknown rule %(key)s") % {"i": i, "key": key}
                     for key in criterion if key not in ("input", "min_percent")]
        name = criterion.get("input")
        if name not in COVERAGE_KINDS:
            problems.append(_("vaccination criterion %(i)d: input must be one of %(names)s")
                            % {"i": i, "names": ", ".join(COVERAGE_KINDS)})
        elif name in seen:
            problems.append(_("vaccination criterion %(i)d: %(name)s is given twice") % {"i": i, "name": name})
        seen.add(name)
        threshold = criterion.get("min_percent")
        if not _number(threshold) or not 0 <= threshold <= 100:
            problems.append(_("vaccination criterion %(i)d: min_percent must be a number from 0 to 100") % {"i": i})
    return problems


def _capacity_problems(capacity: Any) -> list[str]:
    if capacity is None:
        return []
    if not isinstance(capacity, dict):
        return [_("capacity must be an object or null")]
    problems = [_("capacity: unknown rule %(key)s") % {"key": key} for key in capacity
                if key not in ("when_not_met", "lookback_days", "when_missing")]
    if capacity.get("when_not_met", "not_lowered") not in CAPACITY_NOT_MET:
        problems.append(_("capacity.when_not_met must be one of %(names)s") % {"names": ", ".join(CAPACITY_NOT_MET)})
    if not _whole(capacity.get("lookback_days", 7), 1, 31):
        problems.append(_("capacity.lookback_days must be a whole number from 1 to 31"))
    if capacity.get("when_missing", "ignore") not in CAPACITY_MISSING:
        problems.append(_("capacity.when_missing must be one of %(names)s") % {"names": ", ".join(CAPACITY_MISSING)})
    return problems


def _upward_problems(upward: Any, engine: str) -> list[str]:
    allowed = UPWARD_METHODS[engine]
    if not isinstance(upward, dict) or upward.get("method") not in allowed:
        return [_("upward.method must be one of %(names)s") % {"names": ", ".join(allowed)}]
    method = upward["method"]
    if method != "shares":
        return [_("upward: unknown rule %(key)s") % {"key": key} for key in upward if key != "method"]
    problems = [_("upward: unknown rule %(key)s") % {"key": key} for key in upward
                if key not in ("method", "rules", "otherwise")]
    if not _level(upward.get("otherwise", 1)):
        problems.append(_("upward.otherwise must be a level from 1 to 4"))
    rules = upward.get("rules")
    if not isinstance(rules, list) or not rules:
        return [*problems, _("upward.rules must be a non-empty list of {level, min_level, share or count}")]
    for i, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            problems.append(_("upward rule %(i)d must be an object") % {"i": i})
            continue
        problems += [_("upward rule %(i)d: unknown rule %(key)s") % {"i": i, "key": key} for key in rule
                     if key not in ("level", "min_level", "share", "count")]
        if not _level(rule.get("level")) or not _level(rule.get("min_level")):
            problems.append(_("upward rule %(i)d: level and min_level must be levels from 1 to 4") % {"i": i})
        if ("share" in rule) == ("count" in rule):
            problems.append(_("upward rule %(i)d: give either share (0–1] or count") % {"i": i})
        elif "share" in rule and (not _number(rule["share"]) or not 0 < rule["share"] <= 1):
            problems.append(_("upward rule %(i)d: share must be a fraction above 0 and at most 1") % {"i": i})
        elif "count" in rule and not _whole(rule["count"], 1, 100_000):
            problems.append(_("upward rule %(i)d: count must be a whole number from 1") % {"i": i})
    return problems


def validate_rules(rules: Any) -> list[str]:
    """The problems of a version's rules (empty when valid), in the reader's language."""
    if not isinstance(rules, dict):
        return [_("rules must be an object")]
    method = rules.get("method")
    if method not in METHODS:
        return [_("unknown method %(method)s: use one of %(names)s") % {"method": repr(method),
                                                                         "names": ", ".join(METHODS)}]
    engine = METHODS[method]
    problems = [_("unknown rule for %(method)s: %(key)s") % {"method": method, "key": key} for key in rules
                if key not in _KEYS[engine]]
    if not _whole(rules.get("window_days", DEFAULT_WINDOW_DAYS), 1, 28):
        problems.append(_("window_days must be a whole number of days from 1 to 28"))
    if engine == "matrix":
        if not _whole(rules.get("per", DEFAULT_PER), 1, 10_000_000):
            problems.append(_("per must be a whole number of people (e.g. 100000)"))
        problems += _bands_problems(rules.get("bands"))
        problems += _vaccination_problems(rules.get("vaccination", []))
        problems += _capacity_problems(rules.get("capacity"))
    else:
        kinds = rules.get("very_high_cluster_kinds")
        if not isinstance(kinds, list) or not all(isinstance(k, str) and k.strip() for k in kinds):
            problems.append(_("very_high_cluster_kinds must be a list of cluster kinds"))
        for key in ("high_if_untraceable_case", "high_if_bordering_very_high"):
            if not isinstance(rules.get(key, True), bool):
                problems.append(_("%(key)s must be true or false") % {"key": key})
        km = rules.get("neighbour_within_km")
        if km is not None and (not _number(km) or not 0 < km <= 50):
            problems.append(_("neighbour_within_km must be a distance above 0 and at most 50 km, or null"))
    problems += _upward_problems(rules.get("upward"), engine)
    return problems


def engine_of(rules: dict[str, Any]) -> str:
    return METHODS[rules["method"]]


def window_days(rules: dict[str, Any] | None) -> int:
    return int((rules or {}).get("window_days", DEFAULT_WINDOW_DAYS))


def _labels():
    from django.utils.translation import gettext_lazy

    return {
        "methods": (
            ("matrix_4800", gettext_lazy("Resolution 128 / Decision 4800 matrix: cases per 100,000 per week × "
                                         "vaccination")),
            ("matrix_218", gettext_lazy("Decision 218 matrix: cases per 100,000 per week × vaccination")),
            ("clusters_2686", gettext_lazy("Decision 2686: the nature of the clusters")),
        ),
        "clusters": (
            ("unknown", gettext_lazy("unknown source")), ("industrial_park", gettext_lazy("industrial park")),
            ("school", gettext_lazy("school")), ("supermarket", gettext_lazy("supermarket or market")),
        ),
    }


def cluster_kind_labels():
    return _labels()["clusters"]


def policy_fields():
    """The schema of the risk policy for the generic policy pages (lachan.workflows.policies): the method's own
    rules exist only under it (`when`)."""
    from django.utils.translation import gettext_lazy as _

    from lachan.core.policies import PolicyField

    from .models import RiskInputKind

    labels = _labels()
    matrix = ("method", ("matrix_4800", "matrix_218"))
    clusters = ("method", ("clusters_2686",))
    matrix_only, clusters_only = _("matrix methods only"), _("Decision 2686 only")
    level = {"low": 1, "high": 4}
    return (
        PolicyField("method", "choice", _("Method"), _("How a commune's level is decided."),
                    choices=labels["methods"]),
        PolicyField("window_days", "integer", _("Window of cases"),
                    _("The days of community cases counted (7: one week); the rate is always per week."),
                    unit=_("days"), low=1, high=28, optional=True),
        PolicyField("per", "integer", _("Rate per"), _("The rate of cases is per this many people."),
                    unit=_("people"), low=1, high=10_000_000, optional=True, when=matrix, when_label=matrix_only),
        PolicyField("bands", "list", _("Bands of the rate"),
                    _("Rates from “from” (included) to “to” (excluded; empty: no upper end) give the level “met” "
                       "when vaccination is met, else “not met”. Together they cover 0 to infinity, no gap, no "
                       "overlap."), when=matrix, when_label=matrix_only, fields=(
                        PolicyField("from", "decimal", _("From"), low=0, high=1_000_000),
                        PolicyField("to", "decimal", _("To"), low=0, high=1_000_000, optional=True,
                                    blank_is_null=True, null_label=_("no upper end")),
                        PolicyField("met", "integer", _("Level, vaccination met"), **level),
                        PolicyField("not_met", "integer", _("Level, not met"), **level))),
        PolicyField("vaccination", "list", _("Vaccination criteria"),
                    _("Met when every coverage reaches its threshold."), when=matrix, when_label=matrix_only,
                    fields=(PolicyField("input", "choice", _("Coverage"),
                                        choices=tuple((k, RiskInputKind(k).label) for k in COVERAGE_KINDS)),
                            PolicyField("min_percent", "decimal", _("At least"), unit="%", low=0, high=100))),
        PolicyField("capacity", "group", _("Treatment capacity"),
                    _("What happens to the level when the capacity criterion is not met or not entered."),
                    nullable=True, null_label=_("Capacity is not a criterion under this version"), when=matrix,
                    when_label=matrix_only, fields=(
                        PolicyField("when_not_met", "choice", _("When not met"), choices=(
                            ("not_lowered", _("the level is not lowered (the latest level of the days before)")),
                            ("raise_one", _("the level is raised by one")), ("none", _("nothing")))),
                        PolicyField("lookback_days", "integer", _("Days looked back"), unit=_("days"), low=1,
                                    high=31, optional=True),
                        PolicyField("when_missing", "choice", _("When not entered"), choices=(
                            ("ignore", _("the matrix level stands")), ("not_met", _("taken as not met")))))),
        PolicyField("very_high_cluster_kinds", "choices", _("Clusters that put a commune at level 4"),
                    when=clusters, when_label=clusters_only, choices=labels["clusters"]),
        PolicyField("high_if_untraceable_case", "boolean", _("A case of unknown source gives level 3"),
                    when=clusters, when_label=clusters_only),
        PolicyField("high_if_bordering_very_high", "boolean", _("Bordering a level-4 commune gives level 3"),
                    when=clusters, when_label=clusters_only),
        PolicyField("neighbour_within_km", "decimal", _("Bordering within"),
                    _("Without imported boundaries, communes whose centres are this close border each other."),
                    unit="km", low=0.1, high=50, optional=True, blank_is_null=True,
                    null_label=_("boundaries only"), when=clusters, when_label=clusters_only),
        PolicyField("upward", "group", _("Districts and the province"), _("How they get their level."), fields=(
            PolicyField("method", "choice", _("Method"), choices=(
                ("matrix", _("assessed like a commune on their own totals (matrix methods only)")),
                ("shares", _("by the shares of the communes beneath")),
                ("highest", _("the highest level beneath")))),
            PolicyField("rules", "list", _("Shares"),
                    _("The first rule whose share (or count) of the communes beneath at “at least” or above is "
                       "reached gives its level."), when=("method", ("shares",)), fields=(
                        PolicyField("level", "integer", _("Level"), **level),
                        PolicyField("min_level", "integer", _("Communes at least at"), **level),
                        PolicyField("share", "decimal", _("Share"), low=0, high=1, optional=True),
                        PolicyField("count", "integer", _("Or count"), low=1, high=100_000, optional=True))),
            PolicyField("otherwise", "integer", _("Otherwise"), optional=True, when=("method", ("shares",)),
                        **level))),
    )
