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


def test_a_version_adopted_in_another_process_is_applied_here_within_seconds(db, monkeypatch):
    """Another process's save sends no signal here: the stamp read from the database empties the caches."""
    from lachan.core import policies
    from lachan.core.models import Policy
    from lachan.core.policies import policy_rules, policy_stamp_reset

    clock = [1000.0]
    monkeypatch.setattr(policies.time, "monotonic", lambda: clock[0])
    policy_stamp_reset()
    policy_create(kind="sample", version="v1", valid_from=date(2021, 12, 1), valid_to=None, rules={"days": 7})
    assert policy_rules("sample", date(2022, 3, 1)) == {"days": 7}
    # "another process": the old version ended and a new one written without this process's signals
    Policy.objects.filter(version="v1").update(valid_to=date(2022, 1, 31))
    Policy.objects.bulk_create([Policy(kind="sample", version="v2", valid_from=date(2022, 2, 1), rules={"days": 3})])
    clock[0] += 1
    assert policy_rules("sample", date(2022, 3, 1)) == {"days": 7}  # within STAMP_SECONDS: still the cached rules
    clock[0] += policies.STAMP_SECONDS
    assert policy_rules("sample", date(2022, 3, 1)) == {"days": 3}


def test_the_check_in_rules_follow_the_stamp_too(db, monkeypatch):
    from lachan.core import policies
    from lachan.core.models import Policy
    from lachan.core.policies import policy_stamp_reset
    from lachan.venues.policy import checkin_rules

    clock = [1000.0]
    monkeypatch.setattr(policies.time, "monotonic", lambda: clock[0])
    Policy.objects.filter(kind="tracing").delete()
    policy_stamp_reset()
    assert checkin_rules(date(2030, 1, 1)).max_stay_minutes == 240
    Policy.objects.bulk_create([Policy(kind="tracing", version="other process", valid_from=date(2029, 1, 1),
                                       rules={"max_stay_minutes": 120})])
    clock[0] += policies.STAMP_SECONDS
    assert checkin_rules(date(2030, 1, 1)).max_stay_minutes == 120
