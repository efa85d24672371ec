"""A province's own rules tried on past data (nothing saved), and computing a day on demand — through the workflow,
the pages and the API, with the bad inputs said clearly."""

import copy
import importlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.core.errors import DomainError, PermissionDenied
from lachan.core.models import Policy
from lachan.risk.errors import RulesInvalid
from lachan.risk.levels import risk_input_record
from lachan.risk.models import RiskAssessment
from lachan.workflows.risk_levels import risk_levels_compute, risk_policy_trial
from lachan.workflows.tests.test_risk_levels import ON, at, case, tg  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
SEED = importlib.import_module("lachan.risk.migrations.0002_seed_policies")
DAYS = [ON - timedelta(days=2), ON - timedelta(days=1), ON]


def strict_rules():
    """The 4800 matrix made stricter: from 10 cases per 100,000 per week, level 4."""
    rules = copy.deepcopy(SEED.MATRIX_4800)
    rules["bands"] = [{"from": 0, "to": 10, "met": 1, "not_met": 2}, {"from": 10, "to": None, "met": 4, "not_met": 4}]
    return rules


@pytest.fixture
def saved(tg, staff):  # noqa: F811 (fixture)
    """Three days saved under 4800: commune A has 3 community cases in its window (30 per 100,000: level 2),
    the others none (level 1); vaccination met, capacity met."""
    epi = staff.epidemiologist
    for kind, value in (("vax_adults_1dose", 80), ("vax_elderly_full", 90), ("capacity_met", 1)):
        risk_input_record(unit=tg.province, kind=kind, value=value, as_of=ON - timedelta(days=30), by=epi)
    for name in ("An", "Bình", "Cường"):
        case(name, tg.commune, epi, when=at(ON - timedelta(days=3)))
    for day in DAYS:
        risk_levels_compute(on=day, by=epi)
    return tg


def snapshot():
    return sorted(RiskAssessment.objects.values_list("unit_id", "on", "level", "computed_level", "overridden"))


def test_a_trial_compares_day_by_day_and_saves_nothing(saved, staff):
    epi = staff.epidemiologist
    assert RiskAssessment.objects.get(unit=saved.commune, on=ON).level == 2
    before, policies = snapshot(), Policy.objects.count()
    computed = AuditEvent.objects.filter(action="risk.compute").count()

    trial = risk_policy_trial(rules=strict_rules(), start=DAYS[0], end=ON, by=epi)
    assert [d.on for d in trial.days] == DAYS and trial.units == RiskAssessment.objects.filter(on=ON).count()
    for d in trial.days:
        assert sum(d.trial.values()) == sum(d.saved.values()) == trial.units and d.not_computed == 0
        assert d.saved[2] >= 1 and d.trial[4] >= 1 and d.trial[2] == 0
    changed = [c for c in trial.changes if c.unit_code == saved.commune.code]
    assert [(c.on, c.saved, c.trial) for c in changed] == [(day, 2, 4) for day in DAYS]
    assert any("30.0 per 100,000" in text for text in changed[0].reasons)
    assert trial.changes_total == sum(d.changed for d in trial.days) == len(trial.changes)
    # Nothing saved: not a level, not a version, not a computation in the audit trail.
    assert snapshot() == before and Policy.objects.count() == policies
    assert AuditEvent.objects.filter(action="risk.compute").count() == computed

    # The first 200 changes only, with the total.
    few = risk_policy_trial(rules=strict_rules(), start=DAYS[0], end=ON, by=epi, shown=2)
    assert len(few.changes) == 2 and few.changes_total == trial.changes_total

    # An override stands under any rules.
    from lachan.risk.levels import level_override

    level_override(assessment=RiskAssessment.objects.get(unit=saved.commune, on=ON), level=3, reason="x", by=epi)
    kept = risk_policy_trial(rules=strict_rules(), start=ON, end=ON, by=epi)
    assert saved.commune.code not in {c.unit_code for c in kept.changes} and kept.overrides_kept == 1


def test_days_never_computed_are_counted_apart(saved, staff):
    trial = risk_policy_trial(rules=strict_rules(), start=ON + timedelta(days=1), end=ON + timedelta(days=2),
                              by=staff.epidemiologist)
    assert all(d.not_computed == trial.units and d.changed == 0 and sum(d.saved.values()) == 0 for d in trial.days)


@pytest.mark.parametrize("rules, start, end, code, field", [
    ("{not json", ON, ON, "risk_json_invalid", "rules"),
    ("", ON, ON, "risk_json_invalid", "rules"),
    ({"method": "colours"}, ON, ON, "risk_policy_invalid", "rules"),
    (strict_rules(), ON, ON - timedelta(days=1), "risk_period_invalid", "end"),
    (strict_rules(), ON - timedelta(days=62), ON, "risk_period_invalid", "end"),
    (strict_rules(), ON, timezone.localdate() + timedelta(days=1), "risk_date_invalid", "end"),
])
def test_bad_trials_are_refused(saved, staff, rules, start, end, code, field):
    with pytest.raises(DomainError) as error:
        risk_policy_trial(rules=rules, start=start, end=end, by=staff.epidemiologist)
    assert (error.value.code, error.value.field) == (code, field), error.value.message


def test_every_problem_of_the_rules_is_listed(saved, staff):
    rules = strict_rules()
    rules["bands"] = [{"from": 0, "to": 20, "met": 1, "not_met": 2}, {"from": 15, "to": 50, "met": 2, "not_met": 3},
                      {"from": 60, "to": None, "met": 5, "not_met": 4}]
    rules["window_days"] = 40
    with pytest.raises(RulesInvalid) as error:
        risk_policy_trial(rules=json.dumps(rules), start=ON, end=ON, by=staff.epidemiologist)
    problems = error.value.problems
    assert "window_days must be a whole number of days from 1 to 28" in problems
    assert "band 3: met must be a level from 1 to 4" in problems
    rules["bands"][2]["met"] = 4
    with pytest.raises(RulesInvalid) as error:
        risk_policy_trial(rules=rules, start=ON, end=ON, by=staff.epidemiologist)
    assert {"the bands overlap: 0–<20 and 15–<50", "the bands leave a gap: no band covers 50–<60"} <= set(
        error.value.problems)
    with pytest.raises(PermissionDenied):
        risk_policy_trial(rules=strict_rules(), start=ON, end=ON, by=staff.district)  # may only view


def test_trial_page(client, saved, staff):
    client.force_login(staff.epidemiologist)
    page = client.get("/risk/policies/trial/")
    assert page.status_code == 200
    in_force = json.loads(page.context["form"]["rules"].value())
    assert in_force["method"] == Policy.objects.get(kind="risk", valid_to__isnull=True).rules["method"]
    assert 'data-testid="method-doc"' in page.content.decode()
    copy_of = client.get("/risk/policies/trial/", {"from": Policy.objects.get(version__startswith="2686").pk})
    assert json.loads(copy_of.context["form"]["rules"].value())["method"] == "clusters_2686"

    done = client.post("/risk/policies/trial/", {"rules": json.dumps(strict_rules()), "start": DAYS[0].isoformat(),
                                                 "end": ON.isoformat()})
    assert done.status_code == 200 and done.context["trial"].changes_total >= 3
    text = done.content.decode()
    assert 'data-testid="trial-change"' in text and 'data-testid="adopt-form"' in text  # the province may adopt

    bad = strict_rules()
    bad["bands"][1]["from"] = 5
    bad["upward"] = {"method": "everything"}
    refused = client.post("/risk/policies/trial/", {"rules": json.dumps(bad), "start": ON.isoformat(),
                                                    "end": DAYS[0].isoformat()})
    assert refused.status_code == 400
    problems = [str(e) for e in refused.context["form"].errors["rules"]]
    assert "the bands overlap: 0–<10 and ≥ 5" in problems and any("upward.method" in p for p in problems)
    assert 'data-testid="trial-error"' in refused.content.decode() and refused.context["trial"] is None
    malformed = client.post("/risk/policies/trial/", {"rules": '{"method": "matrix_4800",}', "start": ON.isoformat(),
                                                      "end": ON.isoformat()})
    assert malformed.status_code == 400 and "not valid JSON" in malformed.content.decode()
    long = client.post("/risk/policies/trial/", {"rules": json.dumps(strict_rules()), "end": ON.isoformat(),
                                                 "start": (ON - timedelta(days=80)).isoformat()})
    assert long.status_code == 400 and "at most 62" in long.content.decode()
    client.force_login(staff.district)
    assert client.get("/risk/policies/trial/").status_code == 403


def test_trial_api(client, token_for, saved, staff):
    as_epi = token_for(staff.epidemiologist)
    body = {"rules": strict_rules(), "start": DAYS[0].isoformat(), "end": ON.isoformat()}
    done = client.post("/api/risk/policies/trial", body, content_type="application/json", **as_epi)
    assert done.status_code == 200, done.json()
    data = done.json()
    assert [d["on"] for d in data["days"]] == [d.isoformat() for d in DAYS]
    assert set(data["days"][0]["trial"]) == {"1", "2", "3", "4", "none"}
    assert any(c["unit_code"] == saved.commune.code and (c["saved"], c["trial"]) == (2, 4) for c in data["changes"])
    as_text = client.post("/api/risk/policies/trial", {**body, "rules": json.dumps(strict_rules())},
                          content_type="application/json", **as_epi)
    assert as_text.status_code == 200 and as_text.json()["changes_total"] == data["changes_total"]

    overlapping = strict_rules()
    overlapping["bands"].append({"from": 5, "to": 30, "met": 2, "not_met": 3})
    refused = client.post("/api/risk/policies/trial", {**body, "rules": overlapping}, content_type="application/json",
                          **as_epi)
    assert refused.status_code == 400
    error = refused.json()
    assert error["code"] == "risk_policy_invalid" and error["field"] == "rules" and len(error["errors"]) >= 1
    assert any("overlap" in e["message"] for e in error["errors"])
    for payload, code, field in (
        ('{"rules": ', "risk_json_invalid", "body"),
        ("[1, 2]", "risk_json_invalid", "body"),
        (json.dumps({**body, "rules": "{oops"}), "risk_json_invalid", "rules"),
        (json.dumps({**body, "start": "15/13/2021"}), "risk_date_invalid", "start"),
        (json.dumps({**body, "start": ON.isoformat(), "end": DAYS[0].isoformat()}), "risk_period_invalid", "end"),
        (json.dumps({**body, "end": (timezone.localdate() + timedelta(days=2)).isoformat()}), "risk_date_invalid",
         "end"),
    ):
        answer = client.post("/api/risk/policies/trial", payload, content_type="application/json", **as_epi)
        assert answer.status_code == 400, payload
        assert (answer.json()["code"], answer.json().get("field")) == (code, field), answer.json()
    assert client.post("/api/risk/policies/trial", body, content_type="application/json",
                       **token_for(staff.district)).status_code == 403


def test_compute_now_page_and_api(client, token_for, tg, staff):  # noqa: F811
    client.force_login(staff.epidemiologist)
    done = client.post("/risk/compute/", {"on": ON.isoformat()}, follow=True)
    assert done.redirect_chain[-1][0] == f"/risk/?on={ON.isoformat()}"
    message = " ".join(str(m) for m in done.context["messages"])
    assert "Levels of 15/11/2021 computed under 128/NQ-CP + 4800/QĐ-BYT" in message and "not assessed" in message
    assert RiskAssessment.objects.filter(on=ON).count() == done.context["page"].rows.__len__() or done.context[
        "page"].has_next
    tomorrow = timezone.localdate() + timedelta(days=1)
    future = client.post("/risk/compute/", {"on": tomorrow.isoformat()}, follow=True)
    assert "is in the future" in " ".join(str(m) for m in future.context["messages"])
    assert not RiskAssessment.objects.filter(on=tomorrow).exists()
    assert "Enter a valid date" in " ".join(
        str(m) for m in client.post("/risk/compute/", {"on": "hier"}, follow=True).context["messages"])
    client.force_login(staff.district)
    assert client.post("/risk/compute/", {"on": ON.isoformat()}).status_code == 403

    as_epi = token_for(staff.epidemiologist)
    answer = client.post("/api/risk/compute", {"on": (ON - timedelta(days=1)).isoformat()},
                         content_type="application/json", **as_epi)
    assert answer.status_code == 200, answer.json()
    summary = answer.json()
    assert summary["units"] == RiskAssessment.objects.filter(on=ON - timedelta(days=1)).count()
    assert sum(summary["levels"].values()) == summary["units"] and "vax_adults_1dose" in summary["missing"]
    refused = client.post("/api/risk/compute", {"on": tomorrow.isoformat()}, content_type="application/json",
                          **as_epi)
    assert refused.status_code == 400 and refused.json()["code"] == "risk_date_invalid"
    assert client.post("/api/risk/compute", "{", content_type="application/json", **as_epi).json()["code"] == (
        "risk_json_invalid")
    assert client.post("/api/risk/compute", {}, content_type="application/json",
                       **token_for(staff.district)).status_code == 403
