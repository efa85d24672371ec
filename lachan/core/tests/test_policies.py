from datetime import date

import pytest

from lachan.core.errors import DomainError, NotFound
from lachan.core.policies import policy_create, policy_in_force, register_policy_kind


@pytest.fixture(autouse=True)
def sample_kind():
    register_policy_kind("sample", lambda rules: [] if rules.get("days", 0) > 0 else ["days must be positive"])


def test_versions_apply_by_date(db):
    policy_create(kind="sample", version="v1", valid_from=date(2021, 5, 1), valid_to=date(2021, 11, 30), rules={"days": 21})
    policy_create(kind="sample", version="v2", valid_from=date(2021, 12, 1), valid_to=None, rules={"days": 7})
    assert policy_in_force("sample", date(2021, 7, 1)).version == "v1"
    assert policy_in_force("sample", date(2022, 1, 1)).rules == {"days": 7}
    with pytest.raises(NotFound):
        policy_in_force("sample", date(2020, 1, 1))


def test_bad_versions_are_refused(db):
    policy_create(kind="sample", version="v1", valid_from=date(2021, 5, 1), valid_to=None, rules={"days": 21})
    for kwargs, code in [
        ({"valid_from": date(2021, 6, 1), "rules": {"days": 7}}, "policy_overlap"),
        ({"valid_from": date(2020, 1, 1), "valid_to": date(2019, 1, 1), "rules": {"days": 7}}, "policy_dates"),
        ({"valid_from": date(2019, 1, 1), "valid_to": date(2019, 12, 31), "rules": {"days": 0}}, "policy_rules"),
        ({"kind": "nonsense", "valid_from": date(2019, 1, 1), "rules": {}}, "policy_unknown_kind"),
    ]:
        with pytest.raises(DomainError) as err:
            policy_create(**{"kind": "sample", "version": "x", "valid_to": None, **kwargs})
        assert err.value.code == code


def test_rules_kept_briefly_and_forgotten_when_a_version_is_saved(db, django_assert_num_queries):
    from lachan.core.models import Policy
    from lachan.core.policies import policy_rules

    assert policy_rules("sample", date(2022, 1, 1)) is None  # none in force: said so, not guessed
    policy_create(kind="sample", version="v1", valid_from=date(2021, 12, 1), valid_to=None, rules={"days": 7})
    assert policy_rules("sample", date(2022, 1, 1)) == {"days": 7}  # the save cleared the "none" kept above
    with django_assert_num_queries(0):
        assert policy_rules("sample", date(2022, 1, 1)) == {"days": 7}
    Policy.objects.filter(version="v1").first().delete()
    assert policy_rules("sample", date(2022, 1, 1)) is None
