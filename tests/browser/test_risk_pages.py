"""Risk levels (issue 6) in the browser, in Vietnamese: the CDC epidemiologist reads the levels of the last day
computed, overrides a commune's level on its page (refused first without a reason), and tries the province's own
rules on past data — first with overlapping bands and a gap, every problem listed, then valid ones."""

import importlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def levels(units, staff):
    """The last 20 days computed under a province version in force for 60 days: commune A had cases (rising),
    its neighbour some, the others none; vaccination entered for the province."""
    from lachan.cases.services import case_confirm
    from lachan.core.models import Policy
    from lachan.core.policies import policy_create, policy_supersede
    from lachan.geo.models import AdminUnit
    from lachan.people.models import Person
    from lachan.risk.levels import risk_input_record
    from lachan.workflows.risk_levels import risk_levels_compute

    seed = importlib.import_module("lachan.risk.migrations.0002_seed_policies")
    today = timezone.localdate()
    AdminUnit.objects.filter(path__startswith=units.province.path + "/", level=3).update(population=10_000)
    # A transactional test's database is flushed after it: the seeded versions may be gone.
    add = policy_supersede if Policy.objects.filter(kind="risk", valid_to__isnull=True).exists() else (
        lambda **kw: policy_create(valid_to=None, **kw))
    add(kind="risk", version="Tiền Giang 2021 (thử nghiệm)", valid_from=today - timedelta(days=60),
        rules=seed.MATRIX_4800, source="Nghị quyết 128/NQ-CP, Quyết định 4800/QĐ-BYT")
    epi = staff.epidemiologist
    for kind, value in (("vax_adults_1dose", 78), ("vax_elderly_full", 84), ("capacity_met", 1)):
        risk_input_record(unit=units.province, kind=kind, value=value, as_of=today - timedelta(days=40), by=epi)
    when = timezone.make_aware(timezone.datetime.combine(today - timedelta(days=8), timezone.datetime.min.time()))
    for n in range(7):
        person = Person.objects.create(full_name=f"Người bệnh {n}", commune=units.commune)
        case_confirm(person=person, onset_date=None, sample_date=(when + timedelta(days=n)).date(),
                     origin="community", confirmed_at=when + timedelta(days=n, hours=10), by=epi)
    for n in range(2):
        person = Person.objects.create(full_name=f"Hàng xóm {n}", commune=units.commune2)
        case_confirm(person=person, onset_date=None, sample_date=(when + timedelta(days=3)).date(),
                     origin="community", confirmed_at=when + timedelta(days=3 + n, hours=9), by=epi)
    for offset in range(20, 0, -1):
        risk_levels_compute(on=today - timedelta(days=offset), by=epi)
    return units


def test_levels_unit_override_and_trial(page, levels):
    from lachan.risk.models import RiskAssessment

    units = levels
    yesterday = timezone.localdate() - timedelta(days=1)
    login(page, "cdc")

    # The levels of the last day computed: counts, chips, the commune at level 3.
    page.goto("/risk/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("[data-testid=level-row]").count() == 50  # a page of 50 of the province's units
    assert int(page.locator("[data-testid=count-3] strong").inner_text()) >= 1
    screenshot(page, "risk-levels")
    page.select_option("#id_admin_level", "3")
    page.select_option("#id_within", units.district.code)
    page.click("[data-testid=level-filters] button[type=submit]")
    page.wait_for_load_state("networkidle")
    row = page.locator(f"[data-testid=level-row][data-unit='{units.commune.code}']")
    assert row.locator(".risk-chip").first.get_attribute("data-level") == "3"
    screenshot(page, "risk-levels-district")

    # The commune's page: its days, then an override refused without a reason, then made.
    row.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=strip-day]").count() == 20
    assert page.locator("[data-testid=history-row]").count() == 20
    page.select_option("#id_level", "4")
    page.click("[data-testid=override]")
    page.wait_for_load_state("networkidle")
    assert "Hãy nêu lý do" in page.locator("[data-testid=override-form]").inner_text()
    assert not RiskAssessment.objects.get(unit=units.commune, on=yesterday).overridden
    screenshot(page, "risk-unit-override-refused")
    page.select_option("#id_level", "4")
    page.fill("#id_reason", "Ổ dịch tại chợ Mỹ Tho chưa rõ nguồn lây")
    page.click("[data-testid=override]")
    page.wait_for_load_state("networkidle")
    assert RiskAssessment.objects.get(unit=units.commune, on=yesterday).level == 4
    assert "chợ Mỹ Tho" in page.locator("[data-testid=override-info]").first.inner_text()
    screenshot(page, "risk-unit")

    # The policies, then the trial: overlapping bands and a gap first.
    page.goto("/risk/policies/")
    assert page.locator("[data-testid=policy]").count() >= 1
    screenshot(page, "risk-policies")
    page.click("[data-testid=trial-link]")
    page.wait_for_load_state("networkidle")
    rules = json.loads(page.input_value("#id_rules"))
    assert rules["method"] == "matrix_4800"
    rules["bands"] = [{"from": 0, "to": 30, "met": 1, "not_met": 2}, {"from": 20, "to": 100, "met": 2, "not_met": 3},
                      {"from": 120, "to": None, "met": 4, "not_met": 4}]
    page.fill("#id_rules", json.dumps(rules, ensure_ascii=False, indent=2))
    page.fill("#id_start", (yesterday - timedelta(days=13)).isoformat())
    page.fill("#id_end", yesterday.isoformat())
    page.click("[data-testid=run-trial]")
    page.wait_for_load_state("networkidle")
    errors = page.locator("[data-testid=trial-error]").all_inner_texts()
    assert len(errors) == 2, errors
    # The overlap of 0–<30 and 20–<100, the gap 100–<120 (in Vietnamese once the catalogue has the messages).
    assert any("0–<30" in e and "20–<100" in e for e in errors) and any("100–<120" in e for e in errors), errors
    screenshot(page, "risk-trial-errors")

    rules["bands"] = [{"from": 0, "to": 30, "met": 1, "not_met": 2}, {"from": 30, "to": None, "met": 4, "not_met": 4}]
    page.fill("#id_rules", json.dumps(rules, ensure_ascii=False, indent=2))
    page.click("[data-testid=run-trial]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=trial-day]").count() == 14
    assert page.locator("[data-testid=trial-change]").count() >= 1
    assert page.locator("[data-testid=adopt-form]").count() == 1
    screenshot(page, "risk-trial")
    assert not RiskAssessment.objects.filter(policy__version__icontains="thử").exclude(
        policy__version="Tiền Giang 2021 (thử nghiệm)").exists()
