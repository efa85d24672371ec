"""Every kind of policy read, drafted from the version in force (a form from the kind's schema), checked, tried on
past data and adopted from a day — through the service, the pages and the API; drafts change nothing; only
province-wide policy managers draft; everything audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, PermissionDenied
from lachan.core.models import Policy
from lachan.core.policies import policy_rules
from lachan.people.models import Person
from lachan.quarantine.models import Order
from lachan.tracing.models import Contact, ProximityDevice, ProximityEncounter
from lachan.workflows import policies as service
from lachan.workflows.policies.forms import decimal_text, form_rows, rules_from_post

pytestmark = pytest.mark.django_db


def in_force(kind):
    return service.policy_version_in_force(kind)


def tracing_post(rules, **extra):
    """The draft form as a browser posts it, from a tracing rule set."""
    data = {}
    for key, value in rules.items():
        if isinstance(value, bool):
            if value:
                data[key] = "1"
        elif isinstance(value, dict):
            for k, v in value.items():
                data[f"{key}.{k}"] = str(v)
        else:
            data[key] = str(value)
    data.update(extra)
    return data


# ---- reading ------------------------------------------------------------------------------------------------------

def test_every_kind_is_listed_with_its_version_in_force(client, staff, token_for):
    client.force_login(staff.commune)  # reading is for every health official
    page = client.get(reverse("policies:kinds"))
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Contact tracing", "Quarantine and isolation", "Laboratories", "Risk levels"):
        assert label in text
    assert "1909/BYT-DP" in text  # the tracing version in force
    kinds = {k["kind"]: k for k in client.get("/api/policies", **token_for(staff.commune)).json()}
    assert kinds["tracing"]["in_force"] == "1909/BYT-DP" and kinds["tracing"]["has_trial"]
    assert kinds["risk"]["pages"] == reverse("risk:policies")
    assert "draft-link" not in client.get(reverse("policies:versions", args=["tracing"])).content.decode()


def test_a_version_is_shown_field_by_field_with_its_source_units_and_explanations(client, staff):
    client.force_login(staff.district)
    policy = in_force("tracing")
    page = client.get(reverse("policies:version", args=["tracing", policy.pk])).content.decode()
    assert "Công văn 1909/BYT-DP" in page and "Distance for an F1" in page and "1 m" in page
    assert "(by the phones&#x27; proximity)" in page or "proximity" in page
    quarantine = in_force("quarantine")
    page = client.get(reverse("policies:version", args=["quarantine", quarantine.pk])).content.decode()
    assert "Isolation of cases (F0)" in page and "Test days" in page


def test_the_schema_and_versions_in_the_api(client, staff, token_for):
    body = client.get("/api/policies/tracing", **token_for(staff.district)).json()
    fields = {f["key"]: f for f in body["fields"]}
    assert fields["f1_max_distance_m"] == {**fields["f1_max_distance_m"], "type": "decimal", "unit": "m",
                                           "low": 0.1, "high": 10}
    assert fields["default_stay_minutes"]["type"] == "mapping" and fields["default_stay_minutes"]["choices"]
    assert [v["version"] for v in body["version_list"]][0] == "1909/BYT-DP"
    version = body["version_list"][0]
    assert client.get(f"/api/policies/tracing/versions/{version['id']}",
                      **token_for(staff.district)).json()["source"].startswith("Công văn")
    quarantine = client.get("/api/policies/quarantine", **token_for(staff.district)).json()
    group = next(f for f in quarantine["fields"] if f["key"] == "quarantine")
    assert group["nullable"] and [f["key"] for f in group["fields"]] == ["none", "vaccinated", "recovered"]
    assert client.get("/api/policies/nonsense", **token_for(staff.district)).json()["code"] == "policy_unknown_kind"
    for bad in ("99999999", str(2**64), "-1"):
        assert client.get(f"/api/policies/tracing/versions/{bad}", **token_for(staff.district)).status_code == 404
    assert client.get("/api/policies", **token_for(staff.district)).status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/policies/{kind}/versions" in schema["paths"]
    assert "policy_permission" in schema["paths"]["/api/policies/{kind}/versions"]["post"]["description"]


# ---- the form from the schema ------------------------------------------------------------------------------------

def test_the_form_writes_and_reads_decimal_commas_and_refuses_nonsense():
    from lachan.core.policies import policy_kind

    fields = policy_kind("tracing").fields
    with translation.override("vi"):
        assert decimal_text(1.5) == "1,5" and decimal_text(2) == "2"
        row = next(r for r in form_rows(fields, {"f1_max_distance_m": 1.5}) if r.name == "f1_max_distance_m")
        assert row.value == "1,5"
    base = in_force("tracing").rules
    post = tracing_post(base, f1_max_distance_m="1,5", horizon_days="²", dedupe_minutes="999",
                        **{"default_stay_minutes.market": "abc"})
    rules, errors = rules_from_post(fields, post, base)
    assert rules["f1_max_distance_m"] == 1.5
    assert set(errors) == {"horizon_days", "dedupe_minutes", "default_stay_minutes.market"}
    assert "from 0 to 240" in errors["dedupe_minutes"]
    # A rule the schema does not know (another engineer's new field) is kept from the version drafted from.
    rules, errors = rules_from_post(fields, tracing_post(base), {**base, "venue_size_rule": {"x": 1}})
    assert not errors and rules["venue_size_rule"] == {"x": 1} and rules == {**base, "venue_size_rule": {"x": 1}}


def test_quarantine_groups_and_no_quarantine(staff):
    from lachan.core.policies import policy_kind

    fields = policy_kind("quarantine").fields
    base = in_force("quarantine").rules
    assert base["quarantine"] is None  # 04/2022: no quarantine of contacts
    post = {"quarantine.none.days": "10", "quarantine.none.facility_days": "0", "quarantine.none.test_days": "1; 10",
            "quarantine.none.count_from": "exposure", "quarantine.vaccinated.days": "7",
            "quarantine.vaccinated.facility_days": "0", "quarantine.vaccinated.test_days": "7",
            "quarantine.vaccinated.count_from": "exposure", "quarantine.recovered.days": "7",
            "quarantine.recovered.facility_days": "0", "quarantine.recovered.test_days": "",
            "quarantine.recovered.count_from": "exposure", "report_by": "19h30", "fever_from_c": "37,5",
            **{f"isolation.{i}.{k}": str(v) for i, regime in base["isolation"].items() for k, v in regime.items()
               if k != "test_days"},
            **{f"isolation.{i}.test_days": ", ".join(map(str, r["test_days"])) for i, r in base["isolation"].items()}}
    rules, errors = rules_from_post(fields, post, base)
    assert not errors, errors
    assert rules["quarantine"]["none"] == {"days": 10, "facility_days": 0, "test_days": [1, 10],
                                           "count_from": "exposure"}
    assert rules["report_by"] == "19:30" and rules["fever_from_c"] == 37.5
    assert "geofence_radius_m" not in rules  # left empty: the default applies
    assert service.policy_draft_check(user=staff.epidemiologist, kind="quarantine", rules=rules) == []
    rules, _errors = rules_from_post(fields, {**post, "quarantine__none": "1"}, base)
    assert rules["quarantine"] is None


# ---- drafting, trying, adopting ----------------------------------------------------------------------------------

def proximity_case(units, by, *, distance_m: float):
    """A case confirmed yesterday whose phone met Lê Văn Cường at `distance_m` for 20 minutes three days ago."""
    from lachan.cases.services import case_confirm

    now = timezone.now()
    an = Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune)
    cuong = Person.objects.create(full_name="Lê Văn Cường", commune=units.commune)
    phone = ProximityDevice.objects.create(person=an, anonymous_id="A1", consent_given_at=now - timedelta(days=10))
    ProximityDevice.objects.create(person=cuong, anonymous_id="C1", consent_given_at=now - timedelta(days=10))
    ProximityEncounter.objects.create(reporter=phone, other_id="C1", started_at=now - timedelta(days=3),
                                      duration_minutes=20, distance_m=distance_m)
    today = timezone.localdate()
    return case_confirm(person=an, onset_date=today - timedelta(days=2), sample_date=today - timedelta(days=1),
                        origin="community", confirmed_at=now - timedelta(days=1), by=by)


@pytest.fixture
def recent_case(units, staff):
    """Not an F1 under 1909/BYT-DP (1 m), an F1 under a 2 m draft."""
    return proximity_case(units, staff.epidemiologist, distance_m=1.5)


def test_a_tracing_trial_shows_who_would_be_added_and_saves_nothing(recent_case, staff):
    epi = staff.epidemiologist
    draft = {**in_force("tracing").rules, "f1_max_distance_m": 2.0}
    contacts, policies = Contact.objects.count(), Policy.objects.count()
    trial = service.policy_draft_try(user=epi, kind="tracing", rules=draft)
    assert "F1 0 → 1" in trial.summary[0] and "1 people would be added and 0 removed" in trial.summary[0]
    cases, people = trial.tables
    assert cases.rows[0][0] == recent_case.code and cases.rows[0][2] == "0 → 1" and cases.rows[0][4] == 1
    assert people.rows == [[recent_case.code, "Lê Văn Cường", recent_case.person.commune.label, "—", "F1"]]
    assert Contact.objects.count() == contacts and Policy.objects.count() == policies  # nothing written
    assert AuditEvent.objects.filter(action="policy.trial", actor=epi).exists()
    assert AuditEvent.objects.filter(action="policy.trial_people", person_id=people and trial.person_ids[0]).exists()
    with pytest.raises(service.RulesInvalid) as err:
        service.policy_draft_try(user=epi, kind="tracing", rules={**draft, "f1_max_distance_m": 50})
    assert "f1_max_distance_m must be a number from 0.1 to 10" in err.value.problems


def test_a_draft_is_adopted_from_tomorrow_and_applies_only_from_then(client, staff):
    epi = staff.epidemiologist
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    old = in_force("tracing")
    client.force_login(epi)
    page = client.get(reverse("policies:draft", args=["tracing"]))
    assert page.status_code == 200
    text = page.content.decode()
    for key in old.rules:
        assert f'name="{key}' in text  # every rule of the version in force has its field
    assert "Distance for an F1" in text and "From 0.1 to 10 m" in text

    post = tracing_post({**old.rules, "f1_max_distance_m": "2,0"}, base=str(old.pk))
    checked = client.post(reverse("policies:draft", args=["tracing"]), {**post, "action": "check"})
    assert checked.status_code == 200 and b"draft-valid" in checked.content
    assert b"draft-change" in checked.content and "2" in checked.content.decode()
    assert policy_rules("tracing", today)["f1_max_distance_m"] == 1.0  # checking changes nothing

    adopted = client.post(reverse("policies:draft", args=["tracing"]), {
        **post, "action": "adopt", "version": "QĐ 12/QĐ-UBND (2 m)", "valid_from": tomorrow.isoformat(),
        "source": "Quyết định 12/QĐ-UBND của UBND tỉnh"})
    new = Policy.objects.get(kind="tracing", version="QĐ 12/QĐ-UBND (2 m)")
    assert adopted.status_code == 302 and adopted["Location"] == reverse("policies:version", args=["tracing", new.pk])
    assert new.rules == {**old.rules, "f1_max_distance_m": 2.0} and new.created_by == epi
    old.refresh_from_db()
    assert old.valid_to == today
    assert policy_rules("tracing", today)["f1_max_distance_m"] == 1.0  # today: still the old version
    assert policy_rules("tracing", tomorrow)["f1_max_distance_m"] == 2.0  # from tomorrow: the new one
    page = client.get(adopted["Location"]).content.decode()
    assert "What it changed from 1909/BYT-DP" in page and page.count('data-testid="version-change"') == 1
    event = AuditEvent.objects.get(action="policy.adopt")
    assert event.actor == epi and event.detail["changed"] == {"f1_max_distance_m": {"from": 1.0, "to": 2.0}}
    assert event.detail["replaces"] == "1909/BYT-DP" and AuditEvent.objects.filter(action="policy.draft_check").exists()


def test_bad_drafts_are_refused_with_every_problem_and_nothing_saved(client, staff):
    epi = staff.epidemiologist
    old = in_force("tracing")
    client.force_login(epi)
    url = reverse("policies:draft", args=["tracing"])
    post = tracing_post({**old.rules, "trace_f2": False, "trace_f3": True, "horizon_days": "²"}, base=str(old.pk))
    page = client.post(url, {**post, "action": "check"})
    assert page.status_code == 400 and b"field-error" in page.content
    page = client.post(url, {**tracing_post({**old.rules, "trace_f2": False, "trace_f3": True}), "action": "check"})
    assert page.status_code == 400 and b"trace_f3 needs trace_f2" in page.content
    count = Policy.objects.count()
    for extra, problem in [({"valid_from": (timezone.localdate() - timedelta(days=1)).isoformat()}, b"never in the past"),
                           ({"version": "1909/BYT-DP"}, b"There is already a version"),
                           ({"source": ""}, b"adopt-error")]:
        data = {**tracing_post(old.rules), "action": "adopt", "version": "new", "source": "QĐ 1",
                "valid_from": (timezone.localdate() + timedelta(days=3)).isoformat(), **extra}
        page = client.post(url, data)
        assert page.status_code == 400 and problem in page.content, problem
    assert Policy.objects.count() == count
    with pytest.raises(DomainError) as err:
        service.policy_adopt(user=epi, kind="tracing", version="x", valid_from=timezone.localdate(),
                             rules="not an object", source="QĐ")
    assert err.value.code == "policy_rules"


def test_only_province_wide_policy_managers_draft_try_and_adopt(client, staff, make_user, units, token_for):
    district_epi = make_user(Role.EPIDEMIOLOGIST, unit=units.district)
    rules = in_force("tracing").rules
    for user in (staff.district, staff.commune, district_epi):
        with pytest.raises(PermissionDenied):
            service.policy_draft_check(user=user, kind="tracing", rules=rules)
        with pytest.raises(PermissionDenied):
            service.policy_adopt(user=user, kind="tracing", version="x", rules=rules, source="QĐ",
                                 valid_from=timezone.localdate() + timedelta(days=1))
        client.force_login(user)
        assert client.get(reverse("policies:draft", args=["tracing"])).status_code == 403
        answer = client.post("/api/policies/tracing/versions", {"rules": rules, "version": "x", "source": "QĐ",
                                                                "valid_from": "2099-01-01"},
                             content_type="application/json", **token_for(user))
        assert answer.status_code == 403 and answer.json()["code"] == "policy_permission"
    assert service.may_manage(staff.province) and service.may_manage(staff.epidemiologist)
    assert not Policy.objects.filter(version="x").exists()


def test_the_api_checks_tries_and_adopts(client, staff, token_for, recent_case):
    headers = token_for(staff.epidemiologist)
    rules = {**in_force("tracing").rules, "f1_max_distance_m": 2.0}
    ok = client.post("/api/policies/tracing/check", {"rules": rules}, content_type="application/json", **headers)
    assert ok.json() == {"valid": True, "problems": []}
    bad = client.post("/api/policies/tracing/check", {"rules": {**rules, "horizon_days": 0}},
                      content_type="application/json", **headers).json()
    assert not bad["valid"] and bad["problems"] == ["horizon_days must be a number from 1 to 60"]
    tried = client.post("/api/policies/tracing/trial", {"rules": rules}, content_type="application/json", **headers)
    assert tried.status_code == 200 and tried.json()["tables"][1]["rows"][0][1] == "Lê Văn Cường"
    wrong = client.post("/api/policies/labs/trial", {"rules": {}}, content_type="application/json", **headers)
    assert wrong.status_code == 400 and wrong.json()["code"] == "policy_no_trial"
    invalid = client.post("/api/policies/tracing/versions", {"rules": {**rules, "horizon_days": 0}, "version": "v",
                                                             "source": "QĐ", "valid_from": "2099-01-01"},
                          content_type="application/json", **headers)
    assert invalid.status_code == 400 and invalid.json()["code"] == "policy_rules" and invalid.json()["errors"]
    garbage = client.post("/api/policies/tracing/versions", {"rules": rules, "version": "v", "source": "QĐ",
                                                             "valid_from": "9999-99-99"},
                          content_type="application/json", **headers)
    assert garbage.status_code == 422
    made = client.post("/api/policies/tracing/versions", {"rules": rules, "version": "2 m", "source": "QĐ 5",
                                                          "valid_from": "2099-01-01"},
                       content_type="application/json", **headers)
    assert made.status_code == 201 and made.json()["valid_from"] == "2099-01-01" and not made.json()["in_force"]


def test_the_risk_kind_has_the_generic_pages_and_keeps_its_own(client, staff):
    client.force_login(staff.epidemiologist)
    versions = client.get(reverse("policies:versions", args=["risk"])).content.decode()
    assert reverse("risk:policies") in versions and "draft-link" in versions
    risk = in_force("risk")
    page = client.get(reverse("policies:version", args=["risk", risk.pk])).content.decode()
    assert "Bands of the rate" in page and "no upper end" in page and "other-rules" not in page
    assert "Clusters that put a commune at level 4" not in page  # the other method's rules
    trial = service.policy_draft_try(user=staff.epidemiologist, kind="risk", rules=risk.rules)
    assert "unit-days would change level" in trial.summary[0] and len(trial.tables[0].rows) == 14


def test_the_demo_province_quarantines_contacts(db, staff, units):
    """The national version in force (04/2022) quarantines nobody: the demo adopts one that does."""
    from lachan.quarantine.policy import regime
    from lachan.simulate.quarantine import exercise_policy

    exercise_policy(log=lambda msg: None)
    rules = policy_rules("quarantine", timezone.localdate())
    assert regime(rules, kind="quarantine", immunity="none").days == 14


def test_a_quarantine_trial_shows_the_orders_that_would_change(units, staff):
    """Under 1909/BYT-DP (04/2022) contacts are not quarantined and cases isolated 7 days: a draft re-adopting
    11042/BYT-DP would quarantine the case's household F1 and isolate the case 10 days."""
    from lachan.cases.services import case_confirm
    from lachan.people.models import Household
    from lachan.simulate.quarantine import EXERCISE_RULES
    from lachan.tracing.engine import trace_case
    from lachan.workflows.quarantine_orders import case_isolate

    epi = staff.epidemiologist
    home = Household.objects.create(commune=units.commune, address_line="12 Ấp Bắc")
    an = Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune, household=home)
    Person.objects.create(full_name="Trần Thị Bình", commune=units.commune, household=home)
    today = timezone.localdate()
    case = case_confirm(person=an, onset_date=today - timedelta(days=2), sample_date=today - timedelta(days=1),
                        origin="community", confirmed_at=timezone.now() - timedelta(hours=3), by=epi)
    trace_case(case=case, by=epi)
    order = case_isolate(case=case, by=epi)
    orders_before = sorted(Policy.objects.values_list("pk", flat=True)), order.ends_on

    trial = service.policy_draft_try(user=epi, kind="quarantine", rules=EXERCISE_RULES)
    assert trial.summary[0].startswith("1 of the 1 orders in force would end on another day")
    changed, recent = trial.tables
    assert changed.rows[0][:2] == [order.code, "Nguyễn Văn An"] and changed.rows[0][4] != changed.rows[0][3]
    assert "1 would be quarantined under the draft and are not now" in trial.summary[1]
    assert recent.rows[0][1] == "Trần Thị Bình" and recent.rows[0][3] == "no order"
    order.refresh_from_db()
    assert (sorted(Policy.objects.values_list("pk", flat=True)), order.ends_on) == orders_before  # nothing written
    assert Order.objects.count() == 1
    # A district officer may not try drafts.
    with pytest.raises(PermissionDenied):
        service.policy_draft_try(user=staff.district, kind="quarantine", rules=EXERCISE_RULES)


def browser_post(rows) -> dict:
    """What a browser posts from the form's rows as drawn (lists, mappings, groups, checkboxes)."""
    data: dict = {}
    for row in rows:
        spec = row.spec
        if spec.type == "group":
            if row.is_null:
                data[row.null_name] = "1"
            data.update(browser_post(row.children))
        elif spec.type == "list":
            data[row.count_name] = str(len(row.list_rows))
            for item in row.list_rows:
                data.update(browser_post(item))
        elif spec.type == "mapping":
            data.update({i["name"]: i["value"] for i in row.items})
        elif spec.type == "choices":
            data[row.name] = [value for value, _label, chosen in row.choices if chosen]
        elif spec.type == "boolean":
            if row.checked:
                data[row.name] = "1"
        elif spec.type == "choice" and not row.value and spec.choices and not spec.optional:
            data[row.name] = str(spec.choices[0][0])  # a select always sends an option
        else:
            data[row.name] = row.value
    return data


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_version_of_every_kind_goes_through_its_form_unchanged(language):
    """The form drawn from a version and posted back untouched gives the same rules: nothing lost or bent (decimal
    commas, lists of bands, nullable groups, rules that exist only under one method)."""
    from lachan.core.policies import policy_kinds

    checked = 0
    with translation.override(language):
        for entry in policy_kinds():
            if not entry.fields:
                continue
            for policy in Policy.objects.filter(kind=entry.kind):
                posted = browser_post(form_rows(entry.fields, policy.rules))
                rules, errors = rules_from_post(entry.fields, posted, policy.rules)
                assert not errors, (policy.version, errors)
                # a rule the version lacks is drafted with the default that applies to it
                defaults = {f.key: f.default for f in entry.fields if f.default is not None}
                assert rules == {**defaults, **policy.rules}, policy.version
                assert entry.validator(rules) == [], policy.version
                checked += 1
    assert checked >= 13  # tracing 3, quarantine 6, labs 1, risk 3


def test_a_risk_draft_is_a_form_too(client, staff):
    """Risk's rules (bands, criteria, a method's own rules) drafted without JSON: a band changed, a method's rules
    dropped when another method is chosen."""
    from lachan.core.policies import policy_kind

    entry = policy_kind("risk")
    base = in_force("risk").rules
    assert base["method"] == "matrix_218"
    posted = browser_post(form_rows(entry.fields, base))
    posted.update({"bands.3.from": "600,5", "bands.2.to": "600,5"})
    rules, errors = rules_from_post(entry.fields, posted, base)
    assert not errors and rules["bands"][3] == {"from": 600.5, "to": None, "met": 4, "not_met": 4}
    assert entry.validator(rules) == []
    posted.update({"bands.4.from": "1000", "bands.4.to": "", "bands.4.met": "4", "bands.4.not_met": "4"})
    rules, errors = rules_from_post(entry.fields, posted, base)
    assert any("overlap" in p for p in entry.validator(rules))
    # Clusters chosen: the matrix's rules go, the clusters' come (and are checked).
    posted = {**browser_post(form_rows(entry.fields, base)), "method": "clusters_2686",
              "very_high_cluster_kinds": ["school"], "high_if_untraceable_case": "1", "neighbour_within_km": "",
              "upward.method": "highest"}
    rules, errors = rules_from_post(entry.fields, posted, base)
    assert not errors and "bands" not in rules and rules["very_high_cluster_kinds"] == ["school"]
    assert rules["neighbour_within_km"] is None and rules["high_if_bordering_very_high"] is False
    assert entry.validator(rules) == []
    client.force_login(staff.epidemiologist)
    page = client.get(reverse("policies:draft", args=["risk"]))
    assert page.status_code == 200 and b'name="bands.0.from"' in page.content
