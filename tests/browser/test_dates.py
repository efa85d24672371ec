"""Dates typed day first whatever the browser's language (issue 12, item 23): Chromium's own date field follows
the browser's interface language (mm/dd/yyyy in an English one), which a page cannot set; every date field of the
platform is lachan.core.widgets.DateInput: dd/mm/yyyy typed or picked on a calendar."""

from datetime import date

import pytest
from django.utils import timezone

from tests.browser.conftest import CHROMIUM, _watch_csp, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def english_browser(browser):
    """Chromium whose interface language is American English (its own date fields: mm/dd/yyyy)."""
    english = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox", "--disable-gpu", "--lang=en-US", "--no-first-run"])
    yield english
    english.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_day_is_typed_and_picked_day_first_in_an_english_browser(english_browser, live_server, staff, units,
                                                                    width):
    from lachan.cases.models import Cluster

    context = english_browser.new_context(viewport={"width": width, "height": 860}, locale="en-US",
                                          base_url=live_server.url, extra_http_headers={"Accept-Language": "vi"})
    page = context.new_page()
    page.set_default_timeout(15000)
    blocked = _watch_csp(page)
    assert page.evaluate("navigator.language") == "en-US"
    login(page, "cdc")
    page.goto("/cases/clusters/")
    page.click("summary:has-text('New cluster'), summary:has-text('Ổ dịch mới')")
    field = page.locator("#id_opened_on")
    assert field.get_attribute("type") == "text" and field.get_attribute("placeholder") == "dd/mm/yyyy"
    assert field.input_value() == timezone.localdate().strftime("%d/%m/%Y")  # shown day first
    screenshot(page, f"date-field-{width}-closed")
    # The calendar button opens the native picker; its choice is written back day first.
    page.click("[data-date-pick=id_opened_on]")
    page.evaluate("""() => { const native = document.querySelector('#id_opened_on + .date-tools .date-native');
                             native.value = '2026-12-05'; native.dispatchEvent(new Event('change')); }""")
    assert field.input_value() == "05/12/2026"
    page.fill("#id_name", "Chợ Mỹ Tho")
    page.select_option("#id_commune", str(units.commune.pk))
    field.fill("07/12/2026")  # not 12 July (the day the platform saves is never in the future)
    screenshot(page, f"date-field-{width}")
    field.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    cluster = Cluster.objects.get(name="Chợ Mỹ Tho")
    assert cluster.opened_on == date(2026, 12, 7), cluster.opened_on
    # A filter's day (a stacked label) and the risk map's day, in the same field.
    page.goto("/notifications/?date_from=05/12/2026")
    assert page.locator("#id_date_from").input_value() == "05/12/2026"
    screenshot(page, f"date-filter-{width}")
    page.goto("/map/")
    assert page.locator("[data-testid=map-day]").get_attribute("placeholder") == "dd/mm/yyyy"
    context.close()
    assert not blocked, blocked
