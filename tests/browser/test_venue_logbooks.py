"""A venue owner's paper logbook: beyond the venue's size it is held, and its new people wait for the commune
station, which reviews them on its page (accept, match, reject)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.people.models import Person
from lachan.venues.models import CheckIn
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
HEADER = "Họ tên,Số điện thoại,Năm sinh,Xã,Giờ vào,Giờ ra\n"


def _csv(rows):
    return (HEADER + "\n".join(",".join(r) for r in rows)).encode()


def test_station_reviews_a_held_logbook_and_new_people(page, units, make_user, staff, tmp_path):
    from lachan.venues.services import venue_register

    owner = make_user(Role.VENUE_OWNER, username="salonowner")
    salon = venue_register(by=owner, name="Tiệm tóc Mai", kind="barber", size="small", capacity=7,
                           address="5 Hùng Vương", commune=units.commune)
    registered = Person.objects.create(full_name="Nguyễn Văn An", birth_year=1980, phone="0912345678",
                                       commune=units.commune)
    Person.objects.create(full_name="Phạm Thị Hồng", birth_year=1992, phone="0987000001", commune=units.commune)
    day = timezone.localtime(timezone.now() - timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    code = units.commune.code
    rows = [[f"Khách Số {n}", f"0987{n:06d}", "1990", code, (day + timedelta(minutes=3 * n)).strftime("%Y-%m-%d %H:%M"),
             ""] for n in range(2, 160)]
    rows.append(["Nguyễn Văn An", "0912345678", "1980", code, (day + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"), ""])
    rows.append(["Phạm T. Hồng", "0987000001", "1992", code, (day + timedelta(hours=4)).strftime("%Y-%m-%d %H:%M"), ""])
    # the owner uploads: held, nothing written
    login(page, "salonowner")
    page.goto(f"/venues/{salon.pk}/")
    path = tmp_path / "so-ghi-chep.csv"
    path.write_bytes(_csv(rows))
    page.set_input_files("input[type=file]", str(path))
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "trạm y tế xã sẽ xem xét sổ" in page.content()
    screenshot(page, "logbook-held-owner")
    assert not CheckIn.objects.exists() and Person.objects.count() == 2
    page.context.clear_cookies()
    # the station: the list, the held file, accepted
    login(page, "commune")
    page.goto("/venues/")
    page.click("[data-testid=logbooks-link]")
    page.wait_for_selector("[data-testid=logbooks-table]")
    assert "Tiệm tóc Mai" in page.inner_text("[data-testid=logbooks-table]")
    screenshot(page, "logbooks-to-review")
    page.click("[data-testid=logbooks-table] a")
    page.wait_for_selector("[data-testid=logbook-held]")
    text = page.inner_text("[data-testid=logbook-held]")
    assert "sức chứa 7 người" in text and "84" in text
    screenshot(page, "logbook-held-review")
    page.click("[data-testid=accept-file]")
    page.wait_for_selector("[data-testid=visitors-table]")
    assert CheckIn.objects.get().person == registered
    # one new person added, one matched to the registered record, one rejected
    hong = page.locator("tr", has_text="Phạm T. Hồng")
    hong.locator("button[value=match]").click()
    page.wait_for_load_state("networkidle")
    assert CheckIn.objects.filter(person__phone="0987000001").count() == 1
    page.locator("tr", has_text="Khách Số 10").first.locator("button[value=accept]").click()
    page.wait_for_load_state("networkidle")
    assert Person.objects.filter(phone="0987000010").exists()
    page.locator("tr", has_text="Khách Số 11").first.locator("button[value=reject]").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "logbook-people-review")
    assert "156 người cần xem xét" in page.content()
