"""A province adopts its own risk-level rules (policy_supersede, audited): only for RISK_EDIT users of the whole
province; bad rules, names and dates refused with every problem, nothing half-saved. The policies API."""

import copy
import importlib
import json
from datetime import date, timedelta

import pytest

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, PermissionDenied
from lachan.core.models import Policy
from lachan.core.policies import policy_in_force
from lachan.risk.errors import RulesInvalid
from lachan.risk.levels import risk_policy_adopt

pytestmark = pytest.mark.django_db
SEED = importlib.import_module("lachan.risk.migrations.0002_seed_policies")
FROM = date(2022, 6, 1)


def own_rules():
    rules = copy.deepcopy(SEED.MATRIX_218)
    rules["bands"] = [{"from": 0, "to": 30, "met": 1, "not_met": 2}, {"from": 30, "to": 100, "met": 2, "not_met": 3},
                      {"from": 100, "to": None, "met": 3, "not_met": 4}]
    return rules


def state():
    return sorted(Policy.objects.filter(kind="risk").values_list("version", "valid_from", "valid_to"))


def test_adopt(staff):
    epi = staff.epidemiologist
    policy = risk_policy_adopt(version="Tiền Giang 06/2022", valid_from=FROM, rules=json.dumps(own_rules()),
                               source="Quyết định 1234/QĐ-UBND", by=epi)
    assert policy_in_force("risk", FROM) == policy and policy.created_by == epi
    assert policy_in_force("risk", FROM - timedelta(days=1)).valid_to == FROM - timedelta(days=1)
    event = AuditEvent.objects.get(action="risk.policy_adopt")
    assert event.actor_username == "cdc" and event.detail["version"] == "Tiền Giang 06/2022"


@pytest.mark.parametrize("change, code, field", [
    ({"rules": "{"}, "risk_json_invalid", "rules"),
    ({"rules": {"method": "matrix_4800", "bands": []}}, "risk_policy_invalid", "rules"),
    ({"source": "  "}, "risk_policy_invalid", "source"),
    ({"version": ""}, "risk_policy_version", "version"),
    ({"version": "218/QĐ-BYT (01/2022) ?"}, "risk_policy_version", "version"),  # the name is taken
    ({"valid_from": date(2022, 1, 1)}, "risk_policy_overlap", "valid_from"),  # 4800 is not open-ended
    ({"valid_from": date(2022, 1, 27)}, "risk_policy_dates", "valid_from"),  # the day 218 starts
    ({"valid_from": None}, "risk_policy_dates", "valid_from"),
])
def test_bad_adoptions_change_nothing(staff, change, code, field):
    before = state()
    kwargs = {"version": "Tiền Giang", "valid_from": FROM, "rules": own_rules(), "source": "QĐ 1/QĐ-UBND",
              "by": staff.epidemiologist, **change}
    with pytest.raises(DomainError) as error:
        risk_policy_adopt(**kwargs)
    assert (error.value.code, error.value.field) == (code, field), error.value.message
    assert state() == before and not AuditEvent.objects.filter(action="risk.policy_adopt").exists()


def test_every_problem_is_listed(staff):
    rules = own_rules()
    rules["bands"][1]["from"] = 20  # overlaps 0–<30
    rules["bands"][2]["from"] = 120  # a gap 100–<120
    rules["vaccination"][0]["min_percent"] = 140
    with pytest.raises(RulesInvalid) as error:
        risk_policy_adopt(version="x", valid_from=FROM, rules=rules, source="y", by=staff.epidemiologist)
    assert len(error.value.problems) == 3
    assert error.value.as_dict()["errors"][0]["code"] == "risk_policy_invalid"


def test_only_the_whole_province_may_adopt(staff, units, make_user):
    district_epi = make_user(Role.EPIDEMIOLOGIST, unit=units.district)
    for user in (district_epi, staff.district):
        with pytest.raises(PermissionDenied):
            risk_policy_adopt(version="x", valid_from=FROM, rules=own_rules(), source="y", by=user)
    assert not Policy.objects.filter(version="x").exists()


def test_policies_api(client, token_for, staff):
    as_epi = token_for(staff.epidemiologist)
    listed = client.get("/api/risk/policies", **token_for(staff.district)).json()
    assert [p["method"] for p in listed][:3] == ["matrix_218", "matrix_4800", "clusters_2686"]
    assert listed[0]["in_force"] and listed[0]["rules"]["bands"]

    body = {"version": "Tiền Giang 06/2022", "valid_from": FROM.isoformat(), "source": "QĐ 1234/QĐ-UBND",
            "rules": own_rules()}
    bad = {**body, "rules": {**own_rules(), "bands": own_rules()["bands"][:2]}}
    refused = client.post("/api/risk/policies", bad, content_type="application/json", **as_epi)
    assert refused.status_code == 400
    assert refused.json()["code"] == "risk_policy_invalid" and "no band covers ≥ 100" in refused.json()["message"]
    for payload, code in (("{", "risk_json_invalid"), (json.dumps({**body, "valid_from": "soon"}), "risk_date_invalid"),
                          (json.dumps({**body, "source": 7}), "risk_policy_invalid")):
        answer = client.post("/api/risk/policies", payload, content_type="application/json", **as_epi)
        assert answer.status_code == 400 and answer.json()["code"] == code, answer.json()
    assert client.post("/api/risk/policies", body, content_type="application/json",
                       **token_for(staff.district)).status_code == 403
    assert len(client.get("/api/risk/policies", **as_epi).json()) == len(listed)

    done = client.post("/api/risk/policies", body, content_type="application/json", **as_epi)
    assert done.status_code == 201, done.json()
    assert (done.json()["version"], done.json()["valid_from"]) == ("Tiền Giang 06/2022", "2022-06-01")


def test_adopt_page(client, staff):
    client.force_login(staff.epidemiologist)
    form = {"rules": json.dumps(own_rules()), "version": "Tiền Giang 06/2022", "valid_from": FROM.isoformat(),
            "source": ""}
    refused = client.post("/risk/policies/adopt/", form)
    assert refused.status_code == 400 and "Give the legal source" in refused.content.decode()
    assert 'data-testid="adopt-form"' in refused.content.decode()
    bad_rules = client.post("/risk/policies/adopt/", {**form, "source": "QĐ", "rules": '{"method": "x"}'})
    assert bad_rules.status_code == 400 and "unknown method" in bad_rules.content.decode()
    assert not Policy.objects.filter(version="Tiền Giang 06/2022").exists()
    done = client.post("/risk/policies/adopt/", {**form, "source": "QĐ 1234/QĐ-UBND"}, follow=True)
    assert done.redirect_chain[-1][0] == "/risk/policies/"
    assert "Tiền Giang 06/2022" in done.content.decode() and "in force from 01/06/2022" in done.content.decode()
    client.force_login(staff.district)
    assert client.post("/risk/policies/adopt/", form).status_code == 403
