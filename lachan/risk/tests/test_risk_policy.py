"""The `risk` policy kind: a bad version is refused with a clear message and nothing is saved; the seeded versions
cover 31/05/2021 onwards without a gap."""

import copy
import importlib
from datetime import date, timedelta

import pytest

from lachan.core.errors import DomainError
from lachan.core.models import Policy
from lachan.core.policies import policy_create, policy_in_force, policy_supersede
from lachan.risk.policy import validate_rules

SEED = importlib.import_module("lachan.risk.migrations.0002_seed_policies")


def matrix(bands):
    rules = copy.deepcopy(SEED.MATRIX_4800)
    rules["bands"] = bands
    return rules


def band(low, high, met=1, not_met=2):
    return {"from": low, "to": high, "met": met, "not_met": not_met}


@pytest.mark.parametrize("bands, message", [
    ([band(0, 20), band(15, 50), band(50, None)], "the bands overlap: 0–<20 and 15–<50"),
    ([band(0, 20), band(25, None)], "the bands leave a gap: no band covers 20–<25"),
    ([band(5, 20), band(20, None)], "the bands leave a gap: no band covers 0–<5"),
    ([band(0, 20), band(20, 150)], "no band covers ≥ 150"),
    ([band(0, None), band(20, None)], "the bands overlap: ≥ 0 and ≥ 20"),
    ([band(0, 20), band(20, 10)], "band 2: to must be a number above from"),
    ([band(0, 20, met=5), band(20, None)], "band 1: met must be a level from 1 to 4"),
    ([band(-1, 20), band(20, None)], "band 1: from must be a number ≥ 0"),
    ([], "bands must be a non-empty list"),
])
def test_bad_bands(bands, message):
    problems = validate_rules(matrix(bands))
    assert any(message in p for p in problems), problems


def test_bands_in_any_order_are_fine():
    rules = matrix([band(150, None, 3, 4), band(0, 20), band(50, 150, 3, 4), band(20, 50, 2, 3)])
    assert validate_rules(rules) == []


@pytest.mark.parametrize("change, message", [
    ({"method": "colours"}, "unknown method 'colours'"),
    ({"method": None}, "unknown method None"),
    ({"vaccination": [{"input": "vax_children", "min_percent": 70}]}, "input must be one of"),
    ({"vaccination": [{"input": "vax_adults_1dose", "min_percent": 170}]}, "min_percent must be a number"),
    ({"capacity": {"when_not_met": "lower"}}, "capacity.when_not_met must be one of"),
    ({"upward": {"method": "average"}}, "upward.method must be one of matrix, shares, highest"),
    ({"upward": {"method": "shares", "rules": [{"level": 4, "min_level": 4}]}}, "give either share"),
    ({"window_days": 0}, "window_days must be"),
    ({"colour": "red"}, "unknown rule for matrix_4800: colour"),
])
def test_bad_matrix_rules(change, message):
    rules = copy.deepcopy(SEED.MATRIX_4800)
    rules.update(change)
    assert any(message in p for p in validate_rules(rules)), validate_rules(rules)


def test_bad_cluster_rules():
    rules = copy.deepcopy(SEED.CLUSTERS_2686)
    rules.update({"very_high_cluster_kinds": "school", "neighbour_within_km": 500, "upward": {"method": "matrix"}})
    problems = validate_rules(rules)
    assert any("very_high_cluster_kinds must be a list" in p for p in problems)
    assert any("neighbour_within_km" in p for p in problems)
    assert any("upward.method must be one of shares, highest" in p for p in problems)
    assert validate_rules("red") == ["rules must be an object"]


def test_seeded_versions_in_force(db):
    assert policy_in_force("risk", date(2021, 5, 31)).rules["method"] == "clusters_2686"
    assert policy_in_force("risk", date(2021, 10, 11)).rules["method"] == "clusters_2686"
    assert policy_in_force("risk", date(2021, 10, 12)).rules["method"] == "matrix_4800"
    assert policy_in_force("risk", date(2022, 1, 26)).rules["method"] == "matrix_4800"
    assert policy_in_force("risk", date(2022, 1, 27)).rules["method"] == "matrix_218"
    assert "chưa đối chiếu" in policy_in_force("risk", date(2030, 1, 1)).source  # its uncertainty said, in Vietnamese
    versions = list(Policy.objects.filter(kind="risk").order_by("valid_from"))
    for before, after in zip(versions, versions[1:], strict=False):
        assert before.valid_to + timedelta(days=1) == after.valid_from
    assert versions[-1].valid_to is None


def test_a_bad_version_is_refused_and_nothing_changes(db):
    rules = matrix([band(0, 20), band(10, None)])
    with pytest.raises(DomainError) as error:
        policy_supersede(kind="risk", version="Tiền Giang 2022", valid_from=date(2022, 6, 1), rules=rules)
    assert error.value.code == "policy_rules" and "overlap" in error.value.message
    assert Policy.objects.get(kind="risk", valid_to__isnull=True).valid_from == date(2022, 1, 27)
    with pytest.raises(DomainError) as error:
        policy_create(kind="risk", version="x", valid_from=date(2019, 1, 1), valid_to=date(2019, 12, 31),
                      rules={"method": "colours"})
    assert "unknown method" in error.value.message
    assert not Policy.objects.filter(kind="risk", version="x").exists()


def test_a_province_version_supersedes(db):
    rules = matrix([band(0, 30), band(30, 100, 2, 3), band(100, None, 3, 4)])
    policy_supersede(kind="risk", version="Tiền Giang 06/2022", valid_from=date(2022, 6, 1), rules=rules)
    assert policy_in_force("risk", date(2022, 6, 1)).version == "Tiền Giang 06/2022"
    assert policy_in_force("risk", date(2022, 5, 31)).rules["method"] == "matrix_218"
