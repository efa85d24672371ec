"""Issue 12 item 21 on a phone and a desktop: a confirmed case who checks in is told to go home and isolate; the
cases list says where each case isolates today."""

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.people.models import Person
from lachan.quarantine.tests.orders_fixtures import exercise  # noqa: F401
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("exercise")  # a quarantine version in force, whatever the flush before left
def test_a_case_checking_in_is_sent_home_and_the_list_says_where_cases_isolate(phone_page, page, units, staff,
                                                                                make_user):
    from lachan.cases.services import case_confirm
    from lachan.venues.qr import qr_path
    from lachan.venues.services import venue_register
    from lachan.workflows.quarantine_orders import case_isolate

    owner = make_user(Role.VENUE_OWNER, username="venueowner")
    venue = venue_register(by=owner, name="Quán cà phê Gió Chiều", kind="cafe", size="small", address="12 Lê Lợi",
                           commune=units.commune)
    phone = phone_page
    phone.goto(qr_path(venue))
    phone.fill("#id_full_name", "Nguyễn Thị Hoa")
    phone.fill("#id_phone", "0912 888 777")
    phone.fill("#id_birth_year", "1988")
    phone.select_option("#id_commune", units.commune.code)
    phone.click("[data-testid=register]")
    phone.wait_for_selector("[data-testid=checked-in]")
    phone.click("[data-testid=checkout]")
    phone.wait_for_selector("[data-testid=checked-out]")
    person = Person.objects.get(phone="0912888777")
    case = case_confirm(person=person, onset_date=None, sample_date=timezone.localdate(), origin="community",
                        by=staff.province)
    case_isolate(case=case, by=staff.district, setting="home")
    phone.goto(qr_path(venue))
    phone.click("[data-testid=checkin]")
    phone.wait_for_selector("[data-testid=checkin-isolate]")
    assert "cách ly" in phone.inner_text("[data-testid=checkin-isolate]")
    screenshot(phone, "checkin-case-sent-home")

    other = Person.objects.create(full_name="Trần Văn Bình", commune=units.commune)
    case_confirm(person=other, onset_date=None, sample_date=timezone.localdate(), origin="community",
                 by=staff.province)
    login(page, "province")
    page.goto("/cases/")
    cells = page.locator("[data-testid=case-isolation]").all_inner_texts()
    assert sorted(cells) == ["cách ly tại nhà", "không có quyết định cách ly đang hiệu lực"], cells
    screenshot(page, "cases-isolation-today")
    page.goto("/")
    screenshot(page, "dashboard-after-checkin-alert")


@pytest.mark.usefixtures("exercise")
def test_the_cases_list_filtered_by_isolation_today_on_a_phone(phone_page, units, staff):
    """The status filter of /cases/ is where each case isolates today: choosing 'no order in force' on a phone
    lists the case without an order and the one whose order starts tomorrow, labelled so; 'at home' the other."""
    from datetime import timedelta

    from lachan.cases.services import case_confirm
    from lachan.quarantine import orders
    from lachan.workflows.quarantine_orders import case_isolate

    today = timezone.localdate()
    names = ("Lê Thị Lan", "Phạm Văn Minh", "Võ Thị Thu")
    home, tomorrow, none = (
        case_confirm(person=Person.objects.create(full_name=name, commune=units.commune), onset_date=None,
                     sample_date=today, origin="community", by=staff.province) for name in names)
    case_isolate(case=home, by=staff.district, setting="home")
    orders.order_create(person=tomorrow.person, kind="isolation", setting="home", starts_on=today + timedelta(days=1),
                        case=tomorrow, by=staff.district)
    login(phone_page, "province")
    phone_page.goto("/cases/")
    phone_page.select_option("[data-testid=isolation-filter]", "none")
    phone_page.click("form.filters button[type=submit]")
    phone_page.wait_for_url("**/cases/?*status=none*")
    rows = phone_page.locator("[data-testid=cases-table] tbody tr")
    assert sorted(rows.all_inner_texts()) and rows.count() == 2
    assert sorted(phone_page.locator("[data-testid=case-isolation]").all_inner_texts()) == [
        "không có quyết định cách ly đang hiệu lực"] * 2
    text = phone_page.inner_text("[data-testid=cases-table]")
    assert "Võ Thị Thu" in text and "Phạm Văn Minh" in text and "Lê Thị Lan" not in text
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    screenshot(phone_page, "cases-filter-no-order-phone")
    phone_page.select_option("[data-testid=isolation-filter]", "home")
    phone_page.click("form.filters button[type=submit]")
    phone_page.wait_for_url("**/cases/?*status=home*")
    assert phone_page.locator("[data-testid=case-isolation]").all_inner_texts() == ["cách ly tại nhà"]
    assert "Lê Thị Lan" in phone_page.inner_text("[data-testid=cases-table]")
    screenshot(phone_page, "cases-filter-home-phone")


@pytest.mark.usefixtures("exercise")
def test_a_case_without_an_order_who_checks_in_reaches_the_station_queue(phone_page, page, units, staff,
                                                                         make_user):
    """A case confirmed with no order yet checks in on a phone: sent home, and the commune station's queue shows
    the alert with the case's code and the venue."""
    from lachan.cases.services import case_confirm
    from lachan.venues.qr import qr_path
    from lachan.venues.services import venue_register

    owner = make_user(Role.VENUE_OWNER, username="venueowner")
    venue = venue_register(by=owner, name="Tiệm bánh Mai", kind="cafe", size="small", address="5 Hùng Vương",
                           commune=units.commune)
    phone = phone_page
    phone.goto(qr_path(venue))
    phone.fill("#id_full_name", "Đỗ Văn Nam")
    phone.fill("#id_phone", "0912 333 444")
    phone.fill("#id_birth_year", "1979")
    phone.select_option("#id_commune", units.commune.code)
    phone.click("[data-testid=register]")
    phone.wait_for_selector("[data-testid=checked-in]")
    phone.click("[data-testid=checkout]")
    phone.wait_for_selector("[data-testid=checked-out]")
    case = case_confirm(person=Person.objects.get(phone="0912333444"), onset_date=None,
                        sample_date=timezone.localdate(), origin="community", by=staff.province)
    phone.goto(qr_path(venue))
    phone.click("[data-testid=checkin]")
    phone.wait_for_selector("[data-testid=checkin-isolate]")
    login(page, "commune")
    page.goto("/quarantine/alerts/")
    row = page.locator("[data-testid=alert-row]")
    assert row.count() == 1
    assert case.code in row.inner_text() and "Tiệm bánh Mai" in row.inner_text()
    assert "không có quyết định cách ly đang hiệu lực" in page.inner_text("[data-testid=alert-no-order]")
    screenshot(page, "alert-case-without-order")
