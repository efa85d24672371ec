"""Quarantine monitoring (issue 5): a person in home quarantine answers the daily check-in on their phone from the
SMS link with a fever; the alert appears in the commune station's queue, which is already open, without a
reload; the station acknowledges it, marks it handled with a note and closes it."""

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quarantined(units, staff):
    from lachan.quarantine.models import RequiredTest
    from lachan.quarantine.tests.monitoring_fixtures import make_order, make_person

    person = make_person(units.commune, name="Phạm Thị Hoa", phone="0903123456")
    order = make_order(units.commune, person=person)
    RequiredTest.objects.create(order=order, day=7, due_on=order.starts_on + timezone.timedelta(days=6))
    return order


def test_fever_on_the_phone_page_is_alerted_and_dealt_with(page, phone_page, quarantined):
    from lachan.quarantine.links import link_path
    from lachan.quarantine.models import Alert

    # The station has its queue open: nothing yet.
    login(page, "commune")
    page.goto("/quarantine/alerts/")
    assert page.locator("[data-testid=no-alerts]").is_visible()

    # The person opens the link of their SMS on a phone: their order, day 4 of 14, in Vietnamese.
    phone = phone_page
    phone.goto(link_path(quarantined))
    assert phone.locator("[data-testid=day]").inner_text().strip() == "Ngày thứ 4/14"
    assert quarantined.code in phone.locator("[data-testid=order-card]").inner_text()
    screenshot(phone, "quarantine-phone-checkin")
    phone.fill("#id_temperature_c", "38,9")
    phone.click("[data-testid=sym-cough]")
    phone.click("[data-testid=send]")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("[data-testid=done-alarming]").is_visible()
    screenshot(phone, "quarantine-phone-alarming")

    # The alert appears in the open queue by itself (the page polls every few seconds).
    row = page.locator("[data-testid=alert-row][data-kind=symptoms]")
    row.wait_for(timeout=15000)
    assert "Phạm Thị Hoa" in row.inner_text() and "38,9" in row.inner_text()
    assert row.get_attribute("data-status") == "open"
    screenshot(page, "quarantine-alert-queue-new")

    alert = Alert.objects.get()
    row.locator("[data-testid=act-acknowledge]").click()
    page.locator(f"[data-alert='{alert.pk}'][data-status=acknowledged]").wait_for()
    row = page.locator(f"[data-alert='{alert.pk}']")
    row.locator("input[name=note]").fill("Đã gọi, đo lại 38,7 °C; hẹn lấy mẫu")
    row.locator("[data-testid=act-handle]").click()
    # Handled alerts leave the "to deal with" list.
    page.locator(f"[data-alert='{alert.pk}']").wait_for(state="detached")
    page.select_option("select[name=status]", "handled")
    page.click("form[data-testid=alert-filters] button[type=submit]")
    row = page.locator(f"[data-alert='{alert.pk}'][data-status=handled]")
    row.wait_for()
    assert "commune" in row.inner_text() and "hẹn lấy mẫu" in row.inner_text()
    screenshot(page, "quarantine-alert-queue-handled")
    row.locator("[data-testid=act-close]").click()
    page.locator(f"[data-alert='{alert.pk}']").wait_for(state="detached")
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.closed_by.username == "commune"
    assert alert.acknowledged_by.username == "commune" and alert.handled_by.username == "commune"
    assert alert.acknowledged_at <= alert.handled_at <= alert.closed_at
    page.select_option("select[name=status]", "all")
    page.click("form[data-testid=alert-filters] button[type=submit]")
    page.locator(f"[data-alert='{alert.pk}'][data-status=closed]").wait_for()
    screenshot(page, "quarantine-alert-queue-closed")

    # The overview counts the person and no open alert.
    page.goto("/quarantine/overview/")
    row = page.locator("[data-testid=overview-row]").first
    assert row.is_visible()
    screenshot(page, "quarantine-overview")
