"""A CDC epidemiologist confirms a case; the tracing report shows the household member and the café
co-visitor as F1 with their evidence, and the supermarket shopper only as an exposure notice."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _seed_policies():
    # A transactional test starts from a flushed database: put the seeded policy and templates back.
    import importlib

    from django.apps import apps

    seed = importlib.import_module("lachan.tracing.migrations.0002_seed_policies_and_templates").seed
    seed(apps, None)


def test_epidemiologist_confirms_and_reads_the_tracing_report(page, staff, units):
    from lachan.geo.models import Place, PlaceKind
    from lachan.people.models import Household, Person
    from lachan.venues.models import CheckIn, Venue

    _seed_policies()
    home = Household.objects.create(commune=units.commune, address_line="12 Ấp Bắc")
    an = Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune, household=home, phone="0912345678")
    Person.objects.create(full_name="Trần Thị Bình", commune=units.commune, household=home, phone="0912345679")
    friend = Person.objects.create(full_name="Lê Văn Cường", commune=units.commune2, phone="0912345680")
    shopper = Person.objects.create(full_name="Võ Văn Em", commune=units.other_commune, phone="0912345682")
    cafe = Venue.objects.create(place=Place.objects.create(kind=PlaceKind.VENUE, name="Cà phê Sáng",
                                                           commune=units.commune), kind="cafe", size="small")
    mart = Venue.objects.create(place=Place.objects.create(kind=PlaceKind.VENUE, name="Siêu thị Co.op",
                                                           commune=units.commune2), kind="supermarket", size="large")
    t0 = timezone.make_aware(datetime(2021, 8, 11, 8, 0))
    for person, venue, start, minutes in [(an, cafe, t0, 50), (friend, cafe, t0 + timedelta(minutes=10), 60),
                                          (an, mart, t0 + timedelta(hours=3), 40),
                                          (shopper, mart, t0 + timedelta(hours=3), 40)]:
        CheckIn.objects.create(person=person, venue=venue, checked_in_at=start,
                               checked_out_at=start + timedelta(minutes=minutes), source="qr")

    login(page, "cdc")
    page.goto("/cases/new/?q=nguyen van an")
    page.fill("input[name=onset_date]", "2021-08-12")
    page.fill("input[name=sample_date]", "2021-08-13")
    page.fill("input[name=confirmed_at]", "2021-08-14T10:00")
    page.click("main form.form-grid button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/tracing/cases/" in page.url
    f1 = page.locator("h2[data-testid=tier-1] + table")
    assert f1.locator("[data-testid=contact-row]").count() == 2
    bình = f1.locator("[data-testid=contact-row]", has_text="Trần Thị Bình")
    assert bình.count() == 1
    cường = f1.locator("[data-testid=contact-row]", has_text="Lê Văn Cường")
    assert "Cà phê Sáng" in cường.inner_text() and "40" in cường.inner_text()
    notices = page.locator("h2[data-testid=tier-0] + table")
    assert "Võ Văn Em" in notices.inner_text() and "Siêu thị Co.op" in notices.inner_text()
    screenshot(page, "tracing-report")
