"""Computing a day's levels for the Tiền Giang tree (2021), overrides, entered inputs and the selectors'
jurisdiction."""

from datetime import date, timedelta

import pytest
from django.db.models import Q

from lachan.accounts.actors import system_actor
from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.models import Policy
from lachan.geo.models import AdminUnit
from lachan.risk.levels import (
    UnitInputs,
    level_override,
    level_override_clear,
    levels_compute,
    reason_text,
    risk_input_record,
    selectors,
)
from lachan.risk.models import RiskAssessment, RiskInput

ON = date(2021, 11, 15)  # Resolution 128 + Decision 4800
POPULATION = 10_000

SYSTEM = system_actor("tests")


@pytest.fixture
def tg(units):
    """Tiền Giang with 10,000 people in every commune; the ids of its communes."""
    province = units.province
    communes = AdminUnit.objects.filter(path__startswith=province.path + "/", level=3)
    communes.update(population=POPULATION)
    units.all = AdminUnit.objects.filter(Q(pk=province.pk) | Q(path__startswith=province.path + "/"))
    units.commune_ids = list(communes.values_list("id", flat=True))
    return units


def zero(tg, **cases):
    """Inputs with no case anywhere but those given (commune id → cases)."""
    inputs = {cid: UnitInputs(cases=0, untraceable=0) for cid in tg.commune_ids}
    for cid, n in cases.items():
        inputs[cid] = UnitInputs(cases=n, untraceable=0)
    return inputs


def vaccinated(tg, by, *, adults=80, elderly=85, capacity=1, unit=None):
    for kind, value in (("vax_adults_1dose", adults), ("vax_elderly_full", elderly), ("capacity_met", capacity)):
        risk_input_record(unit=unit or tg.province, kind=kind, value=value, as_of=date(2021, 11, 1), by=by)


def row(unit, on=ON):
    return RiskAssessment.objects.get(unit=unit, on=on)


def test_every_unit_of_the_province_in_a_few_statements(tg, staff, django_assert_max_num_queries):
    epi = staff.epidemiologist
    vaccinated(tg, epi)
    inputs = zero(tg)
    inputs[tg.commune.pk] = UnitInputs(cases=6, untraceable=0)  # 60 per 100,000 → 50–<150, met → 3
    inputs[tg.commune2.pk] = UnitInputs(cases=3, untraceable=1)  # 30 → 20–<50, met → 2
    with django_assert_max_num_queries(10):  # + the bulk INSERT, written past the ORM
        summary = levels_compute(on=ON, inputs=inputs, by=epi)
    assert summary.units == tg.all.count() == RiskAssessment.objects.filter(on=ON).count()
    assert summary.not_assessed == 0 and summary.saved
    assert row(tg.commune).level == 3 and row(tg.commune2).level == 2
    assert row(tg.other_commune).level == 1
    # The district on its own totals: 9 cases for its communes' people.
    district = row(tg.district)
    people = POPULATION * tg.district.children.count()
    assert district.inputs["cases"] == 9 and district.inputs["population"] == people
    assert district.computed_level == (1 if 9 * 100_000 / people < 20 else 2)
    # Why: the numbers and the rule, and where the entered values came from.
    commune = row(tg.commune)
    assert commune.inputs["rate"] == 60.0 and commune.inputs["band"] == "50–<150"
    assert commune.inputs["sources"]["vax_adults_1dose"] == {"value": 80.0, "unit": "82", "as_of": "2021-11-01",
                                                              "inherited": True}
    assert commune.policy.version.startswith("128/NQ-CP")
    assert [reason_text(r) for r in commune.reasons][:1] == [
        "6 community cases in 7 days for 10,000 people: 60.0 per 100,000 per week."]
    assert "Band 50–<150 with vaccination met: level 3." in [reason_text(r) for r in commune.reasons]
    assert AuditEvent.objects.filter(action="risk.compute", object_id="2021-11-15", actor=epi).exists()


def test_missing_vaccination_says_so(tg, staff):
    summary = levels_compute(on=ON, inputs=zero(tg), by=staff.epidemiologist)
    assert summary.not_assessed == summary.units
    assert summary.missing["vax_adults_1dose"] == summary.units
    commune = row(tg.commune)
    assert commune.level is None and commune.computed_level is None
    assert commune.missing == ["vax_adults_1dose", "vax_elderly_full", "capacity_met"]
    assert reason_text(commune.reasons[-1]) == (
        "Cannot be assessed: the level would be 1 or 2 depending on the missing inputs.")
    # A commune's own value wins over the province's.
    vaccinated(tg, staff.epidemiologist)
    risk_input_record(unit=tg.commune, kind="vax_adults_1dose", value="65,5", as_of=date(2021, 11, 10),
                      by=staff.epidemiologist)
    levels_compute(on=ON, inputs=zero(tg), by=staff.epidemiologist)
    commune = row(tg.commune)
    assert commune.level == 2 and commune.inputs["coverage"]["vax_adults_1dose"] == 65.5
    assert commune.inputs["sources"]["vax_adults_1dose"]["unit"] == tg.commune.code
    assert row(tg.commune2).level == 1


def test_override_needs_a_reason_wins_over_recomputing_and_is_audited(tg, staff):
    epi = staff.epidemiologist
    vaccinated(tg, epi)
    levels_compute(on=ON, inputs=zero(tg), by=epi)
    assessment = row(tg.commune)
    for reason in ("", "   ", None):
        with pytest.raises(DomainError) as error:
            level_override(assessment=assessment, level=3, reason=reason, by=epi)
        assert error.value.code == "risk_reason_required"
    for level in (0, 5, "x", True, None):
        with pytest.raises(DomainError) as error:
            level_override(assessment=assessment, level=level, reason="ổ dịch chợ", by=epi)
        assert error.value.code == "risk_level_invalid"
    assert not row(tg.commune).overridden
    with pytest.raises(PermissionDenied):
        level_override(assessment=assessment, level=3, reason="chợ", by=staff.district)  # may only view
    with pytest.raises(PermissionDenied):
        level_override(assessment=assessment, level=3, reason="chợ", by=staff.commune)

    level_override(assessment=assessment, level="3", reason="  Ổ dịch tại chợ,\n chưa rõ nguồn ", by=epi)
    assessment = row(tg.commune)
    assert (assessment.level, assessment.computed_level, assessment.overridden) == (3, 1, True)
    assert assessment.override_reason == "Ổ dịch tại chợ, chưa rõ nguồn" and assessment.override_by == epi
    event = AuditEvent.objects.get(action="risk.override")
    assert event.detail == {"unit": tg.commune.code, "on": "2021-11-15", "from": 1, "to": 3, "computed": 1,
                            "reason": "Ổ dịch tại chợ, chưa rõ nguồn"}

    # Recomputing the day: the computed values change, the override stays; still one row per unit and day.
    inputs = zero(tg)
    inputs[tg.commune.pk] = UnitInputs(cases=2, untraceable=0)  # 20 → 2
    summary = levels_compute(on=ON, inputs=inputs, by=epi)
    assert summary.overridden == 1 and summary.levels[3] == 1
    again = row(tg.commune)
    assert (again.pk, again.level, again.computed_level, again.overridden) == (assessment.pk, 3, 2, True)
    assert RiskAssessment.objects.filter(on=ON).count() == tg.all.count()

    cleared = level_override_clear(assessment=again, reason="đã kiểm soát", by=epi)
    assert (cleared.level, cleared.overridden, cleared.override_reason) == (2, False, "")
    assert AuditEvent.objects.filter(action="risk.override_clear").count() == 1
    with pytest.raises(DomainError) as error:
        level_override_clear(assessment=cleared, reason="again", by=epi)
    assert error.value.code == "risk_not_overridden"


def test_an_override_counts_upward_under_2686(tg, staff):
    on = date(2021, 8, 20)
    epi = staff.epidemiologist
    levels_compute(on=on, inputs=zero(tg), by=epi)
    assert row(tg.district, on).level == 1
    # Half the district's communes at 4 by the officials' decision: the district is 4 on recomputing.
    communes = list(tg.district.children.order_by("code"))
    for commune in communes[: (len(communes) + 1) // 2]:
        level_override(assessment=row(commune, on), level=4, reason="phong toả", by=epi)
    levels_compute(on=on, inputs=zero(tg), by=epi)
    district = row(tg.district, on)
    assert district.level == 4 and district.reasons[0]["code"] == "shares"


def test_capacity_not_met_keeps_the_level_of_the_days_before(tg, staff):
    epi = staff.epidemiologist
    vaccinated(tg, epi)
    inputs = zero(tg)
    inputs[tg.commune.pk] = UnitInputs(cases=6, untraceable=0)
    levels_compute(on=ON, inputs=inputs, by=epi)
    assert row(tg.commune).level == 3
    risk_input_record(unit=tg.commune, kind="capacity_met", value="no", as_of=ON, by=epi)
    levels_compute(on=ON + timedelta(days=1), inputs=zero(tg), by=epi)
    kept = row(tg.commune, ON + timedelta(days=1))
    assert (kept.level, kept.inputs["capacity_met"]) == (3, False)
    assert reason_text(kept.reasons[-1]) == (
        "Treatment capacity not met: not lowered from level 3 of 2021-11-15 (the matrix gives 1).")
    assert row(tg.commune2, ON + timedelta(days=1)).level == 1


def test_trying_a_draft_version_saves_nothing(tg, staff):
    vaccinated(tg, staff.epidemiologist)
    rules = {**Policy.objects.get(kind="risk", valid_from=date(2021, 10, 12)).rules,
             "bands": [{"from": 0, "to": 5, "met": 1, "not_met": 2}, {"from": 5, "to": None, "met": 4, "not_met": 4}]}
    draft = Policy(kind="risk", version="draft", valid_from=ON, rules=rules)
    inputs = zero(tg)
    inputs[tg.commune.pk] = UnitInputs(cases=1, untraceable=0)  # 10 per 100,000
    summary = levels_compute(on=ON, inputs=inputs, by=staff.epidemiologist, policy=draft, save=False)
    assert summary.results[tg.commune.pk].level == 4 and not summary.saved
    assert not RiskAssessment.objects.exists()
    with pytest.raises(DomainError) as error:
        levels_compute(on=ON, inputs=inputs, by=staff.epidemiologist, policy=draft)
    assert error.value.code == "risk_policy_invalid"
    draft.rules = {**rules, "bands": rules["bands"][:1]}
    with pytest.raises(DomainError) as error:
        levels_compute(on=ON, inputs=inputs, policy=draft, save=False, by=SYSTEM)
    assert "no band covers ≥ 5" in error.value.message


def test_bad_calls(tg, staff):
    with pytest.raises(NotFound) as error:
        levels_compute(on=date(2020, 1, 1), inputs={}, by=SYSTEM)
    assert error.value.code == "risk_policy_missing"
    with pytest.raises(PermissionDenied):
        levels_compute(on=ON, inputs={}, by=staff.district)
    with pytest.raises(DomainError) as error:
        levels_compute(on=ON, inputs={}, tree="1999", by=SYSTEM)
    assert error.value.code == "risk_tree_invalid"
    assert not RiskAssessment.objects.exists()


def test_a_district_user_computes_their_district(tg, make_user):
    district_epi = make_user(Role.EPIDEMIOLOGIST, unit=tg.district)
    summary = levels_compute(on=date(2021, 8, 20), inputs=zero(tg), by=district_epi)
    assert summary.units == tg.district.children.count() + 1
    assert not RiskAssessment.objects.filter(unit=tg.province).exists()
    with pytest.raises(NotFound):
        levels_compute(on=date(2021, 8, 20), inputs={}, by=district_epi, root=tg.other_district)


def test_entered_inputs(tg, staff, make_user):
    epi = staff.epidemiologist
    first = risk_input_record(unit=tg.commune, kind="vax_adults_1dose", value=71, as_of=date(2021, 11, 1), by=epi)
    again = risk_input_record(unit=tg.commune, kind="vax_adults_1dose", value="72.5 %", as_of=date(2021, 11, 1),
                              by=epi, note="Báo cáo tiêm chủng tuần 44")
    assert again.pk == first.pk and again.value == 72.5 and RiskInput.objects.count() == 1
    assert risk_input_record(unit=tg.commune, kind="capacity_met", value=True, as_of=ON, by=epi).value == 1.0
    bad = [("vax_children", 70, ON, "risk_input_invalid"), ("vax_adults_1dose", 120, ON, "risk_input_invalid"),
           ("vax_adults_1dose", "many", ON, "risk_input_invalid"), ("capacity_met", 0.5, ON, "risk_input_invalid"),
           ("capacity_met", "maybe", ON, "risk_input_invalid"),
           ("vax_adults_1dose", 70, date.today() + timedelta(days=2), "risk_date_invalid"),
           ("vax_adults_1dose", 70, "2021-11-01", "risk_date_invalid")]
    for kind, value, as_of, code in bad:
        with pytest.raises(DomainError) as error:
            risk_input_record(unit=tg.commune, kind=kind, value=value, as_of=as_of, by=epi)
        assert error.value.code == code, (kind, value)
    assert RiskInput.objects.count() == 2
    with pytest.raises(PermissionDenied):
        risk_input_record(unit=tg.commune, kind="capacity_met", value=1, as_of=ON, by=staff.district)
    district_epi = make_user(Role.EPIDEMIOLOGIST, unit=tg.district)
    with pytest.raises(NotFound):
        risk_input_record(unit=tg.other_commune, kind="capacity_met", value=1, as_of=ON, by=district_epi)
    assert AuditEvent.objects.filter(action="risk.input").count() == 3


def test_selectors_within_jurisdiction(tg, staff, make_user):
    vaccinated(tg, staff.epidemiologist)
    levels_compute(on=ON, inputs=zero(tg), by=staff.epidemiologist)
    levels_compute(on=ON + timedelta(days=1), inputs=zero(tg), by=staff.epidemiologist)
    ioc = make_user(Role.IOC_OPERATOR, unit=tg.province)
    assert selectors.levels_of_day(user=ioc, on=ON).count() == tg.all.count()
    assert selectors.levels_of_day(user=ioc, on=ON, admin_level=2).count() == tg.province.children.count()
    district_rows = selectors.levels_of_day(user=staff.district, on=ON)
    assert {r.unit_id for r in district_rows} == {tg.district.pk, *tg.district.children.values_list("id", flat=True)}
    assert selectors.levels_of_day(user=staff.district, on=ON, within=tg.other_district).count() == 0
    assert selectors.levels_of_day(user=ioc, on=ON, level=1).count() == tg.all.count()
    assert selectors.levels_of_day(user=ioc, on=ON, level=0).count() == 0
    assert selectors.latest_day(user=staff.district) == ON + timedelta(days=1)
    history = selectors.unit_history(user=staff.district, unit=tg.commune)
    assert [r.on for r in history] == [ON + timedelta(days=1), ON]
    other = row(tg.other_commune)
    with pytest.raises(NotFound):
        selectors.assessment_get(user=staff.district, pk=other.pk)
    with pytest.raises(NotFound):
        selectors.unit_history(user=staff.district, unit=tg.other_commune)
    with pytest.raises(NotFound):
        selectors.assessment_get(user=ioc, pk="abc")
    assert selectors.assessment_get(user=ioc, pk=str(other.pk)) == other
    assert [r.unit for r in selectors.levels_of_day(user=staff.commune, on=ON)] == [tg.commune]  # its own only
    with pytest.raises(PermissionDenied):  # a commune station reads levels, does not set them
        level_override(assessment=row(tg.commune), level=2, reason="x", by=staff.commune)
    with pytest.raises(NotFound):  # the district officer cannot override another district's level
        level_override(assessment=other, level=2, reason="x", by=make_user(Role.EPIDEMIOLOGIST, unit=tg.district))
    assert [r.kind for r in selectors.inputs_of_unit(user=ioc, unit=tg.province)] == [
        "capacity_met", "vax_adults_1dose", "vax_elderly_full"]
