"""A commune station sees a "small room" that held a crowd, and confirms its size on the venue page (phone)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.people.models import Person
from lachan.venues.models import CheckIn, Venue
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_station_sees_the_crowded_small_room_and_confirms_it_large(phone_page, units, staff):
    from lachan.accounts.actors import system_actor
    from lachan.venues.services import venue_register, venues_crowd_count

    hall = venue_register(by=system_actor("tests"), name="Nhà hàng Tiệc cưới Hoa Hồng", kind="restaurant", size="small",
                          capacity=30, address="5 Ấp Bắc", commune=units.commune)
    now = timezone.now()
    for n in range(56):
        person = Person.objects.create(full_name=f"Khách {n}", commune=units.commune)
        CheckIn.objects.create(person=person, venue=hall, checked_in_at=now - timedelta(hours=5, minutes=n % 4),
                               checked_out_at=now - timedelta(hours=3), source="qr")
    venues_crowd_count(now=now)
    page = phone_page
    login(page, staff.commune.username)
    page.goto("/venues/")
    page.click("[data-testid=size-check-link]")
    page.wait_for_selector("text=Nhà hàng Tiệc cưới Hoa Hồng")
    screenshot(page, "venue-size-to-check")
    page.click("text=Nhà hàng Tiệc cưới Hoa Hồng")
    page.wait_for_selector("[data-testid=size-flag]")
    assert "56" in page.inner_text("[data-testid=size-flag]")
    screenshot(page, "venue-size-flagged")
    page.select_option("[data-testid=size-form] select[name=size]", "large")
    page.fill("[data-testid=size-form] input[name=note]", "Sảnh tiệc 200 chỗ")
    page.click("[data-testid=size-form] button[type=submit]")
    page.wait_for_selector("[data-testid=traced-size]")
    assert page.locator("[data-testid=size-flag]").count() == 0
    screenshot(page, "venue-size-confirmed")
    assert Venue.objects.get(pk=hall.pk).size_confirmed == "large"
    assert AuditEvent.objects.filter(action="venue.size_confirm", actor=staff.commune).count() == 1
