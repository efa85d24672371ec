"""QR check-in on a phone: first visit with the short form, second visit one tap; the posters."""

import shutil
import subprocess

import pytest

from lachan.accounts.roles import Role
from lachan.people.models import Person
from lachan.venues.models import CheckIn
from tests.browser.conftest import ARTIFACTS, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def venue(units, make_user):
    from lachan.venues.services import venue_register

    owner = make_user(Role.VENUE_OWNER, username="venueowner")
    return venue_register(by=owner, name="Quán cà phê Gió Chiều", kind="cafe", size="small",
                          address="12 Lê Lợi", commune=units.commune)


def test_phone_checkin_first_time_then_one_tap(phone_page, venue, units):
    from lachan.venues.qr import qr_path

    page = phone_page
    page.goto(qr_path(venue))
    page.fill("#id_full_name", "Nguyễn Thị Hoa")
    page.fill("#id_phone", "0912 888 777")
    page.fill("#id_birth_year", "1988")
    page.select_option("#id_commune", units.commune.code)
    screenshot(page, "checkin-first-form")
    page.click("[data-testid=register]")
    page.wait_for_selector("[data-testid=checked-in]")
    screenshot(page, "checkin-first-done")
    person = Person.objects.get(phone="0912888777")
    assert CheckIn.objects.filter(person=person, venue=venue).count() == 1
    page.click("[data-testid=checkout]")
    page.wait_for_selector("[data-testid=checked-out]")
    # the next visit: the phone remembers who it is; one tap
    page.goto(qr_path(venue))
    assert page.locator("#id_full_name").count() == 0
    screenshot(page, "checkin-second-visit")
    page.click("[data-testid=checkin]")
    page.wait_for_selector("[data-testid=checked-in]")
    assert CheckIn.objects.filter(person=person, venue=venue).count() == 2
    assert Person.objects.filter(phone="0912888777").count() == 1
    # a forged code is refused with a clear page
    page.goto(qr_path(venue)[:-3] + "xyz")
    assert page.locator("[data-testid=checkin-error]").count() == 1
    screenshot(page, "checkin-forged")


def test_posters(page, venue):
    login(page, "venueowner")
    page.goto(f"/venues/{venue.pk}/")
    screenshot(page, "venue-detail")
    png = page.request.get(f"/venues/{venue.pk}/poster.png")
    assert png.ok and png.headers["content-type"] == "image/png"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "poster.png").write_bytes(png.body())
    pdf = page.request.get(f"/venues/{venue.pk}/poster.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    (ARTIFACTS / "poster.pdf").write_bytes(pdf.body())
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(ARTIFACTS / "poster.pdf"), str(ARTIFACTS / "poster-pdf")], check=True)
        assert (ARTIFACTS / "poster-pdf.png").exists()


def test_a_commune_is_picked_by_typing_and_named_with_its_district(phone_page, venue, units):
    """Issue 12 item 20: three "Phường 1" in the province were shown alike; the commune is now named with its
    district and found by typing, with or without diacritics."""
    from lachan.geo.models import AdminUnit
    from lachan.venues.qr import qr_path

    page = phone_page
    page.goto(qr_path(venue))
    options = page.locator("#id_commune option").all_inner_texts()
    wards_1 = sorted(text for text in options if text.startswith("Phường 1,"))
    assert len(wards_1) >= 3 and len(set(wards_1)) == len(wards_1), wards_1
    assert "Phường 1, TP. Mỹ Tho" in wards_1 and "Phường 1, TX. Cai Lậy" in wards_1
    box = page.locator("[data-search-for=id_commune]")
    box.fill("phuong 1 go cong")  # no diacritics
    go_cong = AdminUnit.objects.get(level=3, name="Phường 1", parent__short_name="Gò Công")
    assert page.locator("#id_commune").input_value() == go_cong.code
    screenshot(page, "checkin-commune-typed")
    box.fill("Phường 1 Mỹ Tho")
    assert page.locator("#id_commune").input_value() == AdminUnit.objects.get(
        level=3, name="Phường 1", parent__short_name="Mỹ Tho").code


def test_phone_checkin_form_rate_limited_keeps_what_was_typed(phone_page, venue, units, settings):
    """A flood of first-time forms from one address is refused with a clear notice; the form keeps its values."""
    from lachan.venues.qr import qr_path

    settings.LACHAN_RATE_LIMITS = {"venues.checkin_new.address": (1, 600)}
    page = phone_page
    for n, name in enumerate(("Trần Văn Bình", "Lê Thị Cúc")):
        page.context.clear_cookies()
        page.goto(qr_path(venue))
        page.fill("#id_full_name", name)
        page.fill("#id_phone", f"0912 888 77{n}")
        page.fill("#id_birth_year", "1990")
        page.select_option("#id_commune", units.commune.code)
        page.click("[data-testid=register]")
    page.wait_for_selector("[data-testid=checkin-limited]")
    assert "thử lại sau" in page.inner_text("[data-testid=checkin-limited]")
    assert page.input_value("#id_full_name") == "Lê Thị Cúc"
    screenshot(page, "checkin-rate-limited")
    assert Person.objects.count() == 1
