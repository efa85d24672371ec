"""The province's page of repeated refusals, as an administrator sees it."""

import pytest

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_province_sees_an_account_probing_records(page, staff):
    from lachan.accounts.audit import DENIED
    from lachan.accounts.models import AuditEvent

    for n in range(14):
        AuditEvent.objects.create(actor=staff.commune, actor_username="commune", actor_role=staff.commune.role,
                                  action=DENIED, object_type="route", object_id=str(n), ip="10.0.0.9",
                                  detail={"status": 404, "method": "GET", "route": "api:person_get"})
    login(page, "province")
    page.goto("/accounts/audit/")
    page.click("[data-testid=denials-link]")
    row = page.locator("[data-testid=denials-table] tbody tr").first
    assert "commune" in row.inner_text() and "10.0.0.9" in row.inner_text() and "14" in row.inner_text()
    assert page.locator("h1").inner_text() == "Bị từ chối nhiều lần"
    screenshot(page, "audit-denials")
    page.click("text=Xem chi tiết")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=audit-table] tbody tr").count() == 14
