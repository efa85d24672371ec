"""Policies of every kind (issue 12, item 18) in the browser, in Vietnamese: the CDC epidemiologist opens the
policies, drafts a tracing version from the one in force changing the F1 distance (1 m → 1,5 m, typed with a
decimal comma), tries it on the recent cases (one person would become F1), and adopts it from tomorrow; the
version page shows 1,5 m. The drafting form is also looked at on a phone."""

import importlib
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tracing(units, staff):
    """The seeded tracing versions (a transactional test's database may have been flushed) and a case confirmed
    yesterday whose phone met Cường at 1.2 m for 20 minutes: not an F1 at 1 m, an F1 at 1,5 m."""
    from lachan.core.models import Policy
    from lachan.workflows.tests.test_policies import proximity_case

    seed = importlib.import_module("lachan.tracing.migrations.0002_seed_policies_and_templates")
    for version, start, end, rules, source in seed.POLICIES:
        Policy.objects.update_or_create(kind="tracing", version=version, defaults={
            "valid_from": start, "valid_to": end, "rules": rules, "source": source})
    proximity_case(units, staff.epidemiologist, distance_m=1.2)
    return units


def test_draft_try_and_adopt_a_tracing_version(page, phone_page, tracing):
    from lachan.accounts.models import AuditEvent
    from lachan.core.models import Policy
    from lachan.core.policies import policy_rules

    login(page, "cdc")
    page.goto("/policies/")
    assert page.locator("h1").inner_text() == "Chính sách"
    kinds = page.locator("[data-testid=policy-kind]")
    assert kinds.filter(has_text="Truy vết tiếp xúc").count() == 1
    assert kinds.filter(has_text="Cách ly").count() == 1
    screenshot(page, "policies-kinds")

    page.click("text=Truy vết tiếp xúc")
    assert page.locator("[data-testid=policy-version]").first.inner_text().count("1909/BYT-DP")
    page.click("[data-testid=draft-link]")
    distance = page.locator("#id_f1_max_distance_m")
    assert distance.input_value() == "1"
    field = page.locator("[data-testid=field][data-name=f1_max_distance_m]")
    assert "Khoảng cách để là F1" in field.inner_text() and "Từ 0,1 đến 10 m" in field.inner_text()
    screenshot(page, "policies-draft")

    # A mistake first: a distance beyond the bounds is shown beside its field, nothing tried.
    distance.fill("12")
    page.click("[data-testid=check]")
    assert "Nhập một số từ 0,1 đến 10" in page.locator("[data-testid=field][data-name=f1_max_distance_m]").inner_text()

    page.locator("#id_f1_max_distance_m").fill("1,5")
    page.click("[data-testid=try]")
    summary = page.locator("[data-testid=trial-summary]").inner_text()
    assert "F1 0 → 1" in summary and "1 người sẽ được thêm" in summary
    assert "Lê Văn Cường" in page.locator("[data-testid=trial-table]").nth(1).inner_text()
    change = page.locator("[data-testid=draft-change]").inner_text()
    assert "Khoảng cách để là F1" in change and "1 m" in change and "1,5 m" in change
    screenshot(page, "policies-trial")
    assert policy_rules("tracing", timezone.localdate())["f1_max_distance_m"] == 1.0  # a trial changes nothing

    tomorrow = timezone.localdate() + timedelta(days=1)
    page.fill("#id_version", "QĐ 15/QĐ-UBND (1,5 m)")
    page.fill("#id_valid_from", tomorrow.isoformat())
    page.fill("#id_source", "Quyết định 15/QĐ-UBND của UBND tỉnh Tiền Giang")
    page.click("[data-testid=adopt-button]")
    page.wait_for_load_state("networkidle")
    assert "QĐ 15/QĐ-UBND (1,5 m)" in page.locator("h1").inner_text()
    assert f"từ ngày {tomorrow:%d/%m/%Y}" in page.locator(".messages").inner_text()
    value = page.locator("[data-testid=rule][data-name=f1_max_distance_m] [data-testid=rule-value]").inner_text()
    assert value == "1,5 m"
    screenshot(page, "policies-version")
    new = Policy.objects.get(kind="tracing", version="QĐ 15/QĐ-UBND (1,5 m)")
    assert new.valid_from == tomorrow and new.rules["f1_max_distance_m"] == 1.5
    assert policy_rules("tracing", tomorrow)["f1_max_distance_m"] == 1.5
    assert AuditEvent.objects.filter(action="policy.adopt", actor_username="cdc").exists()

    assert "Khoảng cách để là F1" in page.locator("[data-testid=version-change]").inner_text()

    # Risk's rules are a form too: its bands a table of inputs, with their explanations.
    page.goto("/policies/risk/draft/")
    assert page.locator("[data-testid=field][data-name=bands]").count() in (0, 1)
    screenshot(page, "policies-draft-risk")

    login(phone_page, "cdc")
    for url, name in ((f"/policies/tracing/{new.pk}/", "policies-version-phone"), ("/policies/", "policies-kinds-phone")):
        phone_page.goto(url)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
        screenshot(phone_page, name)
    phone_page.goto("/policies/quarantine/draft/")
    assert phone_page.locator("[data-testid=group][data-name=quarantine]").count() == 1
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    screenshot(phone_page, "policies-draft-phone")
    phone_page.goto("/policies/risk/draft/")
    assert phone_page.locator("[data-testid=list-row]").count() >= 2  # the bands, as rows of inputs
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # the bands' table scrolls inside its box
    screenshot(phone_page, "policies-draft-risk-phone")
