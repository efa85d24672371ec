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
