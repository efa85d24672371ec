"""The rules of a `risk` policy version applied to every unit of a tree at once, in memory, from the inputs given
(lachan.risk.policy describes the rules). No database access: the service loads the tree and the earlier levels
and hands them in, so a version can be tried on past data without saving anything.

Missing inputs: a unit's level is computed from what is there only when the rule decides without the missing
value (no community case needs no population: the rate is 0; vaccination unknown is enough when the band gives
the same level either way or another criterion already fails); otherwise the unit "cannot be assessed" (level
None) and the reasons give the levels it could have. Every missing input is listed, even where it did not matter.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..policy import DEFAULT_PER, band_label, engine_of, window_days


@dataclass(frozen=True)
class UnitInputs:
    """What is known of a unit for a day. On a commune: its community cases of the window by place of residence
    (`cases`), those linked to no cluster (`untraceable`), the clusters open in the window located in it by kind.
    Above the communes `cases` None means the sum of the communes beneath. `population` None: the unit's own
    figure. Coverage (% by input kind) and capacity: entered by the province (lachan.risk.models.RiskInput)."""

    cases: int | None = None
    untraceable: int | None = None
    clusters: Mapping[str, int] = field(default_factory=dict)
    population: int | None = None
    coverage: Mapping[str, float] = field(default_factory=dict)
    capacity_met: bool | None = None
    sources: Mapping[str, Any] = field(default_factory=dict)  # where each entered value came from


@dataclass
class Node:
    id: int
    parent_id: int | None
    level: int
    code: str
    name: str
    latitude: float | None
    longitude: float | None
    population: int | None
    depth: int = 0
    children: list[int] = field(default_factory=list)


@dataclass
class Outcome:
    level: int | None
    inputs: dict[str, Any]
    reasons: list[dict[str, Any]]
    missing: list[str]


PreviousLevels = Callable[[list[int], int], dict[int, tuple[date, int]]]  # (unit ids, lookback days) → latest
Boundaries = Callable[[list[int]], dict[int, Any]]  # unit ids → GeoJSON geometry of those that have one


def _add_missing(missing: list[str], name: str) -> None:
    if name not in missing:
        missing.append(name)


def _vaccination_met(rules: dict[str, Any], given: UnitInputs, missing: list[str],
                     reasons: list[dict[str, Any]]) -> bool | None:
    """Criterion 2: every threshold reached → met; one known below → not met; else unknown."""
    checks, met = [], True
    for criterion in rules.get("vaccination", []):
        value = given.coverage.get(criterion["input"])
        ok = None if value is None else value >= criterion["min_percent"]
        checks.append({"input": criterion["input"], "value": value, "min": criterion["min_percent"], "met": ok})
        if value is None:
            _add_missing(missing, criterion["input"])
    if any(c["met"] is False for c in checks):
        met = False
    elif any(c["met"] is None for c in checks):
        met = None
    if checks:
        reasons.append({"code": "vaccination", "met": met, "criteria": checks})
    return met


def _band_level(rules: dict[str, Any], rate: float, met: bool | None, inputs: dict[str, Any],
                reasons: list[dict[str, Any]]) -> int | None:
    """The matrix: the band of the rate, and its column by the vaccination criterion (None: it depends on it)."""
    band = next(b for b in rules["bands"]
                if b["from"] <= rate and (b["to"] is None or rate < b["to"]))
    label = band_label(band)
    inputs["band"] = label
    if met is None and band["met"] != band["not_met"]:
        reasons.append({"code": "cannot_assess", "band": label, "levels": sorted({band["met"], band["not_met"]})})
        return None
    if met is None:
        level = band["met"]
        reasons.append({"code": "matrix_either", "band": label, "level": level})
    else:
        level = band["met" if met else "not_met"]
        reasons.append({"code": "matrix", "band": label, "column": "met" if met else "not_met", "level": level})
    return level


def _capacity_adjust(level: int, capacity: bool | None, when_not_met: str, when_missing: str,
                     previous: tuple[date, int] | None, *, inputs: dict[str, Any], reasons: list[dict[str, Any]],
                     missing: list[str]) -> int:
    """Criterion 3, treatment capacity: the level the matrix gave, raised or kept from before as the policy says."""
    if when_not_met == "none":
        return level
    if capacity is None:
        _add_missing(missing, "capacity_met")
        if when_missing == "ignore":
            reasons.append({"code": "capacity_missing"})
            return level
        reasons.append({"code": "capacity_missing_not_met"})
    elif capacity:
        reasons.append({"code": "capacity_met"})
        return level
    if when_not_met == "raise_one":
        raised = min(4, level + 1)
        reasons.append({"code": "capacity_raised", "from": level, "level": raised})
        return raised
    if previous is not None and previous[1] > level:
        reasons.append({"code": "capacity_not_lowered", "from": level, "previous": previous[1],
                        "previous_on": previous[0].isoformat(), "level": previous[1]})
        inputs["previous_level"] = previous[1]
        return previous[1]
    reasons.append({"code": "capacity_no_change", "previous": previous[1] if previous else None,
                    "previous_on": previous[0].isoformat() if previous else None})
    return level


class Assessor:
    def __init__(self, rules: dict[str, Any], *, nodes: dict[int, Node], inputs: Mapping[int, UnitInputs],
                 fixed: Mapping[int, int], previous: PreviousLevels, boundaries: Boundaries):
        self.rules = rules
        self.engine = engine_of(rules)
        self.window = window_days(rules)
        self.nodes = nodes
        self.inputs = inputs
        self.fixed = fixed  # overridden levels of the day: they win, also where a level feeds another
        self.previous = previous
        self.boundaries = boundaries
        self.results: dict[int, Outcome] = {}
        self.leaves = [n for n in nodes.values() if not n.children]
        self.parents = sorted((n for n in nodes.values() if n.children), key=lambda n: -n.depth)
        self._leaves_beneath: dict[int, list[int]] = defaultdict(list)
        for leaf in self.leaves:
            parent = leaf.parent_id
            while parent is not None and parent in nodes:
                self._leaves_beneath[parent].append(leaf.id)
                parent = nodes[parent].parent_id

    def effective(self, unit_id: int) -> int | None:
        if unit_id in self.fixed:
            return self.fixed[unit_id]
        outcome = self.results.get(unit_id)
        return outcome.level if outcome else None

    def run(self) -> dict[int, Outcome]:
        if self.engine == "matrix":
            self._matrix_all()
        else:
            self._clusters_leaves()
        upward = self.rules["upward"]["method"]
        for node in self.parents:
            if upward == "matrix":
                continue  # assessed with the leaves, on its own totals
            self.results[node.id] = self._shares(node) if upward == "shares" else self._highest(node)
        return self.results

    # ---- matrix (Resolution 128 with Decision 4800 / 218) -----------------------------------------------------

    def _totals(self, node: Node) -> tuple[int | None, int | None, list[str]]:
        """Cases and population of a unit: given, else its own figure, else summed over the communes beneath."""
        given = self.inputs.get(node.id) or UnitInputs()
        missing: list[str] = []
        beneath = self._leaves_beneath.get(node.id, [])
        cases = given.cases
        if cases is None and beneath:
            counts = [(self.inputs.get(i) or UnitInputs()).cases for i in beneath]
            cases = None if any(c is None for c in counts) else sum(counts)
        if cases is None:
            missing.append("cases")
        population = given.population if given.population is not None else node.population
        if population is None and beneath:
            figures = [(self.inputs.get(i) or UnitInputs()).population or self.nodes[i].population for i in beneath]
            population = None if any(p is None for p in figures) else sum(figures)
        return cases, population, missing

    def _matrix_all(self) -> None:
        capacity = self.rules.get("capacity") or {}
        when_not_met = capacity.get("when_not_met", "not_lowered") if capacity else "none"
        when_missing = capacity.get("when_missing", "ignore")
        units = [*self.leaves, *(self.parents if self.rules["upward"]["method"] == "matrix" else [])]
        need_previous = []
        for node in units:
            met = (self.inputs.get(node.id) or UnitInputs()).capacity_met
            if when_not_met == "not_lowered" and (met is False or (met is None and when_missing == "not_met")):
                need_previous.append(node.id)
        previous = self.previous(need_previous, int(capacity.get("lookback_days", 7))) if need_previous else {}
        for node in units:
            self.results[node.id] = self._matrix(node, when_not_met, when_missing, previous.get(node.id))

    def _matrix(self, node: Node, when_not_met: str, when_missing: str, previous: tuple[date, int] | None) -> Outcome:
        given = self.inputs.get(node.id) or UnitInputs()
        cases, population, missing = self._totals(node)
        inputs: dict[str, Any] = {"cases": cases, "population": population, "window_days": self.window,
                                  "coverage": dict(given.coverage), "capacity_met": given.capacity_met}
        if given.sources:
            inputs["sources"] = dict(given.sources)
        reasons: list[dict[str, Any]] = []
        rate = self._rate(cases, population, missing, reasons)
        inputs["rate"] = None if rate is None else round(rate, 2)
        met = _vaccination_met(self.rules, given, missing, reasons)
        if when_not_met != "none" and given.capacity_met is None:
            _add_missing(missing, "capacity_met")  # listed even when the unit cannot be assessed anyway
        if rate is None:
            reasons.append({"code": "cannot_assess", "levels": []})
            return Outcome(None, inputs, reasons, missing)
        level = _band_level(self.rules, rate, met, inputs, reasons)
        if level is None:
            return Outcome(None, inputs, reasons, missing)
        level = _capacity_adjust(level, given.capacity_met, when_not_met, when_missing, previous,
                                 inputs=inputs, reasons=reasons, missing=missing)
        return Outcome(level, inputs, reasons, missing)

    def _rate(self, cases: int | None, population: int | None, missing: list[str],
              reasons: list[dict[str, Any]]) -> float | None:
        """Criterion 1: community cases per `per` people per week, or None when it cannot be computed."""
        if cases == 0:
            reasons.append({"code": "no_cases", "window_days": self.window})
            if population is None:
                _add_missing(missing, "population")
            return 0.0
        if cases is None:
            return None
        if not population:
            _add_missing(missing, "population")
            return None
        per = int(self.rules.get("per", DEFAULT_PER))
        rate = cases * per / population * 7 / self.window
        reasons.append({"code": "rate", "cases": cases, "population": population, "per": per,
                        "window_days": self.window, "rate": round(rate, 1)})
        return rate

    # ---- clusters (Decision 2686) -----------------------------------------------------------------------------

    def _clusters_leaves(self) -> None:
        rules = self.rules
        very_high = set(rules["very_high_cluster_kinds"])
        pending: list[Node] = []
        for node in self.leaves:
            given = self.inputs.get(node.id) or UnitInputs()
            clusters = {k: n for k, n in given.clusters.items() if n}
            inputs: dict[str, Any] = {"cases": given.cases, "untraceable": given.untraceable, "clusters": clusters,
                                      "window_days": self.window}
            missing = [] if given.cases is not None else ["cases"]
            hits = {k: n for k, n in clusters.items() if k in very_high}
            if hits:
                reasons = [{"code": "cluster_very_high", "kinds": hits, "window_days": self.window}]
                self.results[node.id] = Outcome(4, inputs, reasons, missing)
            else:
                self.results[node.id] = Outcome(None, inputs, [], missing)
                pending.append(node)
        bordering = self._bordering(pending) if rules.get("high_if_bordering_very_high", True) else {}
        for node in pending:
            outcome = self.results[node.id]
            given = self.inputs.get(node.id) or UnitInputs()
            cases, untraceable = given.cases, given.untraceable
            if cases and untraceable is None:
                _add_missing(outcome.missing, "untraceable")
            if untraceable and rules.get("high_if_untraceable_case", True):
                outcome.level = 3
                outcome.reasons.append({"code": "untraceable", "cases": untraceable, "window_days": self.window})
            elif node.id in bordering:
                outcome.level = 3
                outcome.reasons.append(bordering[node.id])
            elif "neighbours" in outcome.missing or "untraceable" in outcome.missing:
                outcome.reasons.append({"code": "cannot_assess", "levels": [2, 3] if cases else [1, 3]})
            elif cases is None:
                outcome.reasons.append({"code": "cannot_assess", "levels": [1, 2, 3]})
            elif cases:
                outcome.level = 2
                outcome.reasons.append({"code": "known_source", "cases": cases, "window_days": self.window})
            else:
                outcome.level = 1
                outcome.reasons.append({"code": "no_community_cases", "window_days": self.window})

    def _bordering(self, pending: list[Node]) -> dict[int, dict[str, Any]]:
        """The pending communes next to a commune at level 4 (its computed or overridden level), with the reason.
        Candidates are found on a grid of centres; boundaries decide where both are imported, else the distance
        between centres if the version gives one; a commune that cannot be told is marked missing "neighbours"."""
        red = [n for n in self.leaves if self.effective(n.id) == 4]
        if not red or not pending:
            return {}
        within_km = self.rules.get("neighbour_within_km")
        reach_km = 40.0  # no two neighbouring communes have centres further apart
        cell = 0.1  # degrees, ~11 km
        grid: dict[tuple[int, int], list[Node]] = defaultdict(list)
        pending_ids = {n.id for n in pending}
        for node in pending:
            if node.latitude is not None and node.longitude is not None:
                grid[(math.floor(node.latitude / cell), math.floor(node.longitude / cell))].append(node)
        pairs: dict[int, list[tuple[Node, float]]] = defaultdict(list)  # pending id → (red node, km)
        span = math.ceil(reach_km / 11)
        for r in red:
            if r.latitude is None or r.longitude is None:
                continue
            row, col = math.floor(r.latitude / cell), math.floor(r.longitude / cell)
            for dr in range(-span, span + 1):
                for dc in range(-span, span + 1):
                    for node in grid.get((row + dr, col + dc), ()):
                        km = _km(r, node)
                        if km <= reach_km:
                            pairs[node.id].append((r, km))
        if not pairs:
            return {}
        shapes = self.boundaries(sorted({*pairs, *(r.id for lst in pairs.values() for r, _km in lst)}))
        points = {uid: _points(geometry) for uid, geometry in shapes.items()}
        found: dict[int, dict[str, Any]] = {}
        for uid, candidates in pairs.items():
            unknown = False
            for r, km in sorted(candidates, key=lambda c: c[1]):
                if uid in points and r.id in points:
                    if points[uid] & points[r.id]:
                        found[uid] = {"code": "bordering", "unit": r.code, "name": r.name, "by": "boundary"}
                        break
                elif within_km is not None:
                    if km <= within_km:
                        found[uid] = {"code": "bordering", "unit": r.code, "name": r.name, "by": "distance",
                                      "km": round(km, 1), "within_km": within_km}
                        break
                else:
                    unknown = True
            if uid not in found and unknown and uid in pending_ids:
                _add_missing(self.results[uid].missing, "neighbours")
        return found

    # ---- upward ----------------------------------------------------------------------------------------------

    def _shares(self, node: Node) -> Outcome:
        upward = self.rules["upward"]
        beneath = self._leaves_beneath.get(node.id, [])
        levels = [self.effective(i) for i in beneath]
        assessed = [lv for lv in levels if lv is not None]
        counts = {str(lv): assessed.count(lv) for lv in (1, 2, 3, 4)}
        inputs = {"communes": len(beneath), "assessed": len(assessed), "levels": counts}
        reasons: list[dict[str, Any]] = []
        missing: list[str] = []
        if len(assessed) < len(beneath):
            missing.append("commune_levels")
            reasons.append({"code": "unassessed_beneath", "count": len(beneath) - len(assessed), "of": len(beneath)})
        if not assessed:
            reasons.append({"code": "cannot_assess", "levels": []})
            return Outcome(None, inputs, reasons, missing)
        for rule in upward["rules"]:
            at_or_above = sum(1 for lv in assessed if lv >= rule["min_level"])
            share = at_or_above / len(assessed)
            if ("share" in rule and share >= rule["share"]) or ("count" in rule and at_or_above >= rule["count"]):
                reasons.append({"code": "shares", "level": rule["level"], "min_level": rule["min_level"],
                                "count": at_or_above, "of": len(assessed), "share": round(share, 3),
                                "needed_share": rule.get("share"), "needed_count": rule.get("count")})
                return Outcome(rule["level"], inputs, reasons, missing)
        level = upward.get("otherwise", 1)
        reasons.append({"code": "shares_otherwise", "level": level, "levels": counts})
        return Outcome(level, inputs, reasons, missing)

    def _highest(self, node: Node) -> Outcome:
        levels = {i: self.effective(i) for i in node.children}
        assessed = {i: lv for i, lv in levels.items() if lv is not None}
        inputs = {"units": len(levels), "assessed": len(assessed)}
        reasons: list[dict[str, Any]] = []
        missing: list[str] = []
        if len(assessed) < len(levels):
            missing.append("unit_levels")
            reasons.append({"code": "unassessed_beneath", "count": len(levels) - len(assessed), "of": len(levels)})
        if not assessed:
            reasons.append({"code": "cannot_assess", "levels": []})
            return Outcome(None, inputs, reasons, missing)
        top = max(assessed, key=lambda i: (assessed[i], -i))
        reasons.append({"code": "highest", "level": assessed[top], "unit": self.nodes[top].code,
                        "name": self.nodes[top].name})
        return Outcome(assessed[top], inputs, reasons, missing)


def _km(a: Node, b: Node) -> float:
    """Distance between two centres (equirectangular: exact enough at tens of kilometres)."""
    lat = math.radians((a.latitude + b.latitude) / 2)
    dx = math.radians(b.longitude - a.longitude) * math.cos(lat)
    dy = math.radians(b.latitude - a.latitude)
    return 6371.0 * math.hypot(dx, dy)


def _points(geometry: Any) -> set[tuple[float, float]]:
    """The boundary's points rounded to ~10 m: two neighbours drawn from one source share them."""
    try:
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        return {(round(float(p[0]), 4), round(float(p[1]), 4)) for polygon in polygons for ring in polygon
                for p in ring}
    except (KeyError, TypeError, ValueError, IndexError):
        return set()


def assess(rules: dict[str, Any], *, nodes: dict[int, Node], inputs: Mapping[int, UnitInputs],
           fixed: Mapping[int, int] | None = None, previous: PreviousLevels | None = None,
           boundaries: Boundaries | None = None) -> dict[int, Outcome]:
    """Every node's outcome under a (valid) version's rules."""
    return Assessor(rules, nodes=nodes, inputs=inputs, fixed=fixed or {},
                    previous=previous or (lambda ids, days: {}), boundaries=boundaries or (lambda ids: {})).run()
