"""The administrative units page: the province administrator sets a commune's population."""

import pytest

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_province_admin_sets_a_population(page, staff, units):
    login(page, "province")
    page.goto("/units/?parent=815")
    row = page.locator("[data-testid=units-table] tbody tr", has_text=units.commune.code)
    row.locator("input[name=population]").fill("15.230")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    units.commune.refresh_from_db()
    assert units.commune.population == 15230
    assert page.locator(".messages").count() == 1
    screenshot(page, "units")
