"""The level rules in memory (lachan.risk.levels) against the published results of DESIGN §5, on a small tree:
a province, two districts, communes. No database."""

import copy
import importlib
from datetime import date

import pytest

from lachan.risk.levels import Node, UnitInputs, assess
from lachan.risk.policy import validate_rules

SEED = importlib.import_module("lachan.risk.migrations.0002_seed_policies")
MATRIX = SEED.MATRIX_4800
CLUSTERS = SEED.CLUSTERS_2686
MET = {"vax_adults_1dose": 75.0, "vax_elderly_full": 85.0}
NOT_MET = {"vax_adults_1dose": 60.0, "vax_elderly_full": 85.0}


def tree(communes_per_district=(2, 2), population=100_000):
    """Province 1 → districts 10, 20 → communes 11, 12 / 21, 22 (ids), on a line 2 km apart."""
    nodes = {1: Node(1, None, 1, "P", "Province", 10.0, 106.0, None, depth=1)}
    for d, count in zip((10, 20), communes_per_district, strict=True):
        nodes[1].children.append(d)
        nodes[d] = Node(d, 1, 2, f"D{d}", f"District {d}", 10.0, 106.0, None, depth=2)
        for i in range(1, count + 1):
            cid = d + i
            nodes[d].children.append(cid)
            nodes[cid] = Node(cid, d, 3, f"C{cid}", f"Commune {cid}", 10.0, 106.0 + 0.018 * (cid - 10),
                              population, depth=3)
    return nodes


def one(rules, inputs, *, previous=None, population=100_000, fixed=None, boundaries=None):
    nodes = tree(population=population)
    full = {cid: UnitInputs(cases=0, untraceable=0) for cid in (11, 12, 21, 22)}
    full.update(inputs)
    return assess(rules, nodes=nodes, inputs=full, fixed=fixed or {},
                  previous=(lambda ids, days: {i: previous for i in ids}) if previous else None,
                  boundaries=boundaries)


def test_seeded_versions_are_valid():
    for _version, _start, _end, rules, source in SEED.POLICIES:
        assert validate_rules(rules) == []
        assert len(source) <= 300


# Published results (certain) and DESIGN's "?" cells, as implemented in the 4800 version.
@pytest.mark.parametrize("cases, coverage, level", [
    (0, MET, 1), (19, MET, 1),            # < 20 and vaccination met → 1
    (0, NOT_MET, 2), (19, NOT_MET, 2),    # < 20 not met → 2
    (20, MET, 2), (49, MET, 2),           # 20–< 50 met → 2
    (150, MET, 3), (900, MET, 3),         # ≥ 150 met → 3
    (20, NOT_MET, 3), (49, NOT_MET, 3),   # ? 20–< 50 not met → 3
    (50, MET, 3), (149, MET, 3),          # ? 50–< 150 met → 3
    (50, NOT_MET, 4), (149, NOT_MET, 4),  # ? not met → 4
    (150, NOT_MET, 4),                    # ? ≥ 150 not met → 4
])
def test_matrix_4800_published_results(cases, coverage, level):
    # 100,000 people: the cases of the week are the rate per 100,000.
    result = one(MATRIX, {11: UnitInputs(cases=cases, coverage=coverage, capacity_met=True)})[11]
    assert result.level == level
    assert result.missing == []
    assert result.inputs["rate"] == cases
    assert any(r["code"] == "matrix" and r["level"] == level for r in result.reasons)


def test_rate_is_per_100000_people_per_week():
    # 30 cases for 200,000 people: 15 per 100,000 → band < 20.
    result = one(MATRIX, {11: UnitInputs(cases=30, coverage=MET, capacity_met=True)}, population=200_000)[11]
    assert result.inputs["rate"] == 15 and result.inputs["band"] == "0–<20" and result.level == 1
    rules = copy.deepcopy(MATRIX)
    rules["window_days"] = 14  # two weeks of cases count as one week's rate
    result = one(rules, {11: UnitInputs(cases=60, coverage=MET, capacity_met=True)})[11]
    assert result.inputs["rate"] == 30 and result.level == 2


def test_vaccination_missing_cannot_be_assessed_unless_the_band_decides():
    results = one(MATRIX, {11: UnitInputs(cases=30, capacity_met=True),
                           12: UnitInputs(cases=30, coverage={"vax_adults_1dose": 50.0}, capacity_met=True),
                           21: UnitInputs(cases=30, coverage={"vax_adults_1dose": 90.0}, capacity_met=True)})
    unknown = results[11]
    assert unknown.level is None
    assert unknown.missing == ["vax_adults_1dose", "vax_elderly_full"]
    assert {"code": "cannot_assess", "band": "20–<50", "levels": [2, 3]} in unknown.reasons
    # One criterion known to fail: not met, whatever the other; the missing one is still reported.
    assert results[12].level == 3 and results[12].missing == ["vax_elderly_full"]
    # Known to pass but the other unknown: cannot be assessed.
    assert results[21].level is None
    # A band with the same level either way decides without vaccination (218's ≥ 600).
    rules = copy.deepcopy(SEED.MATRIX_218)
    result = one(rules, {11: UnitInputs(cases=700, capacity_met=True)})[11]
    assert result.level == 4 and result.missing == ["vax_adults_full", "vax_elderly_full"]
    assert any(r["code"] == "matrix_either" for r in result.reasons)


def test_population_missing_matters_only_with_cases():
    results = one(MATRIX, {11: UnitInputs(cases=0, coverage=MET, capacity_met=True),
                           12: UnitInputs(cases=3, coverage=MET, capacity_met=True)}, population=None)
    assert results[11].level == 1 and results[11].missing == ["population"]
    assert results[12].level is None and "population" in results[12].missing
    # No input at all for a commune: its cases are unknown.
    nodes = tree()
    result = assess(MATRIX, nodes=nodes, inputs={})[11]
    assert result.level is None and "cases" in result.missing


def test_capacity_not_met_does_not_lower_the_level():
    cases = {11: UnitInputs(cases=5, coverage=MET, capacity_met=False)}
    kept = one(MATRIX, cases, previous=(date(2021, 11, 14), 3))[11]
    assert kept.level == 3
    assert {"code": "capacity_not_lowered", "from": 1, "previous": 3, "previous_on": "2021-11-14",
            "level": 3} in kept.reasons
    # Not higher before, or no level before: the matrix level.
    assert one(MATRIX, cases, previous=(date(2021, 11, 14), 1))[11].level == 1
    assert one(MATRIX, cases)[11].level == 1
    # Met: lowered freely.
    assert one(MATRIX, {11: UnitInputs(cases=5, coverage=MET, capacity_met=True)},
               previous=(date(2021, 11, 14), 3))[11].level == 1
    # Not entered: the rule is not applied and the input is reported missing.
    missing = one(MATRIX, {11: UnitInputs(cases=5, coverage=MET)}, previous=(date(2021, 11, 14), 3))[11]
    assert missing.level == 1 and missing.missing == ["capacity_met"]
    # A province's version may raise by one instead, or treat a missing capacity as not met.
    rules = copy.deepcopy(MATRIX)
    rules["capacity"] = {"when_not_met": "raise_one", "when_missing": "not_met"}
    assert one(rules, {11: UnitInputs(cases=5, coverage=MET)})[11].level == 2
    assert one(rules, {11: UnitInputs(cases=500, coverage=NOT_MET, capacity_met=False)})[11].level == 4


def test_matrix_upward_on_own_totals():
    inputs = {11: UnitInputs(cases=40, coverage=MET, capacity_met=True),
              12: UnitInputs(cases=0, coverage=MET, capacity_met=True),
              10: UnitInputs(coverage=MET, capacity_met=True), 20: UnitInputs(coverage=MET, capacity_met=True),
              1: UnitInputs(coverage=MET, capacity_met=True)}
    results = one(MATRIX, inputs)
    assert results[11].level == 2 and results[12].level == 1
    # District 10: 40 cases for 200,000 people → 20 per 100,000 → band 20–< 50, met → 2.
    assert results[10].inputs["cases"] == 40 and results[10].inputs["population"] == 200_000
    assert results[10].level == 2
    assert results[1].inputs["rate"] == 10 and results[1].level == 1
    # District 20 has no coverage of its own: cannot be assessed (the service gives it its ancestor's).
    results = one(MATRIX, {**inputs, 20: UnitInputs(capacity_met=True)})
    assert results[20].level is None


def test_clusters_2686_levels():
    boundaries = {}
    inputs = {
        11: UnitInputs(cases=3, untraceable=0, clusters={"school": 1}),      # very-high kind → 4
        12: UnitInputs(cases=2, untraceable=0, clusters={"household": 1}),   # next to 11 (2 km) → 3
        21: UnitInputs(cases=1, untraceable=1),                              # untraceable → 3
        22: UnitInputs(cases=2, untraceable=0, clusters={"household": 1}),   # known source → 2
    }
    results = one(CLUSTERS, inputs, boundaries=lambda ids: boundaries)
    assert results[11].level == 4
    assert results[11].reasons[0] == {"code": "cluster_very_high", "kinds": {"school": 1}, "window_days": 14}
    assert results[12].level == 3
    assert results[12].reasons[0]["code"] == "bordering" and results[12].reasons[0]["by"] == "distance"
    assert results[21].level == 3 and results[21].reasons[0]["code"] == "untraceable"
    assert results[22].level == 2 and results[22].reasons[0]["code"] == "known_source"
    # Shares upward: district 10 has half its communes at 4 → 4; district 20 all at ≥ 2, half at ≥ 3 → 3.
    assert results[10].level == 4 and results[20].level == 3
    assert results[1].reasons[0]["code"] == "shares"
    # No case, no cluster → 1.
    assert one(CLUSTERS, {})[11].level == 1


def test_clusters_bordering_by_boundary_and_unknown_neighbours():
    def square(x0):
        return {"type": "Polygon", "coordinates": [[[x0, 10], [x0 + 0.01, 10], [x0 + 0.01, 10.01], [x0, 10.01],
                                                    [x0, 10]]]}

    inputs = {11: UnitInputs(cases=1, untraceable=0, clusters={"unknown": 1})}
    # With boundaries: 12 shares an edge with 11 (they touch at x = 106.01); 21 does not, though within 3 km.
    shapes = {11: square(106.0), 12: square(106.01), 21: square(106.03)}
    results = one(CLUSTERS, inputs, boundaries=lambda ids: {i: shapes[i] for i in ids if i in shapes})
    assert results[12].level == 3 and results[12].reasons[0]["by"] == "boundary"
    assert results[21].level == 1
    # No boundaries and no distance rule: whether 12 borders 11 is not known → cannot be assessed, reported.
    rules = copy.deepcopy(CLUSTERS)
    rules["neighbour_within_km"] = None
    results = one(rules, inputs)
    assert results[12].level is None and "neighbours" in results[12].missing


def test_an_overridden_level_feeds_neighbours_and_upward():
    inputs = {11: UnitInputs(cases=1, untraceable=0, clusters={"household": 1})}
    results = one(CLUSTERS, inputs, fixed={21: 4})
    # 21 is 4 by an official's decision: its neighbour 22 (2 km) is 3, district 20 has half at 4.
    assert results[22].level == 3 and results[20].level == 4


def test_highest_upward():
    rules = copy.deepcopy(CLUSTERS)
    rules["upward"] = {"method": "highest"}
    results = one(rules, {21: UnitInputs(cases=1, untraceable=0, clusters={"household": 1})})
    assert results[20].level == 2 and results[10].level == 1 and results[1].level == 2


def test_every_reason_reads_as_a_sentence():
    from lachan.risk.levels import reason_text

    shapes = {11: {"type": "Polygon", "coordinates": [[[106, 10], [106.01, 10], [106.01, 10.01], [106, 10]]]},
              12: {"type": "Polygon", "coordinates": [[[106.01, 10], [106.02, 10], [106.02, 10.01], [106.01, 10]]]}}
    runs = [
        one(MATRIX, {11: UnitInputs(cases=30, coverage=MET, capacity_met=False),
                     12: UnitInputs(cases=30), 21: UnitInputs(cases=0, coverage=NOT_MET),
                     22: UnitInputs(cases=5, coverage=MET, capacity_met=False)}, previous=(date(2021, 11, 1), 4)),
        one(SEED.MATRIX_218, {11: UnitInputs(cases=700, capacity_met=True)}),
        one({**MATRIX, "capacity": {"when_not_met": "raise_one", "when_missing": "not_met"}},
            {11: UnitInputs(cases=1, coverage=MET)}),
        one(MATRIX, {11: UnitInputs(cases=1, coverage=MET, capacity_met=False)}),
        one(CLUSTERS, {11: UnitInputs(cases=1, untraceable=0, clusters={"unknown": 1}),
                       21: UnitInputs(cases=1, untraceable=1), 22: UnitInputs(cases=None)},
            boundaries=lambda ids: {i: shapes[i] for i in ids if i in shapes}),
        one(CLUSTERS, {11: UnitInputs(cases=1, untraceable=0, clusters={"unknown": 1})}),
        one({**CLUSTERS, "upward": {"method": "highest"}}, {22: UnitInputs(cases=None)}),
        one({**CLUSTERS, "upward": {"method": "shares", "rules": [{"level": 3, "min_level": 2, "count": 1}]}},
            {22: UnitInputs(cases=2, untraceable=0)}),
    ]
    seen = set()
    for results in runs:
        for outcome in results.values():
            for reason in outcome.reasons:
                text = reason_text(reason)
                assert text != reason["code"] and "%(" not in text, reason
                seen.add(reason["code"])
    assert seen >= {"no_cases", "rate", "vaccination", "matrix", "matrix_either", "cannot_assess", "capacity_met",
                    "capacity_missing_not_met", "capacity_raised", "capacity_not_lowered", "capacity_no_change",
                    "cluster_very_high", "untraceable", "bordering", "known_source", "no_community_cases", "shares",
                    "shares_otherwise", "highest", "unassessed_beneath"}, seen


# Criterion 2 of Resolution 128 / Decision 4800 (DESIGN §5): ≥ 70 % of people ≥ 18 with at least one dose AND ≥ 80 %
# of people ≥ 65 fully vaccinated; the thresholds are reached at exactly 70 and 80.
@pytest.mark.parametrize("adults, elderly, level", [
    (70.0, 80.0, 1), (100.0, 100.0, 1),
    (69.9, 80.0, 2), (70.0, 79.9, 2), (0.0, 0.0, 2),
])
def test_matrix_4800_vaccination_thresholds(adults, elderly, level):
    coverage = {"vax_adults_1dose": adults, "vax_elderly_full": elderly}
    result = one(MATRIX, {11: UnitInputs(cases=0, coverage=coverage, capacity_met=True)})[11]
    assert result.level == level  # band < 20: met → 1, not met → 2
    assert MATRIX["vaccination"] == [{"input": "vax_adults_1dose", "min_percent": 70},
                                     {"input": "vax_elderly_full", "min_percent": 80}]


# Decision 2686: a cluster of unknown source, or in an industrial park, a school or a supermarket → very high (4),
# each kind on its own; a cluster of another kind (a household) with known-source cases → 2.
@pytest.mark.parametrize("kind, level", [
    ("unknown", 4), ("industrial_park", 4), ("school", 4), ("supermarket", 4), ("household", 2),
])
def test_clusters_2686_very_high_kinds(kind, level):
    results = one(CLUSTERS, {21: UnitInputs(cases=2, untraceable=0, clusters={kind: 1})})
    assert results[21].level == level
    assert results[21].reasons[0]["code"] == ("cluster_very_high" if level == 4 else "known_source")
    # Far from 21 (its commune 22 is 2 km away, within 3 km: bordering → 3 when 21 is at 4).
    assert results[11].level == 1 and results[22].level == (3 if level == 4 else 1)
