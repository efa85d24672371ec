from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.people.models import Household, Person
from lachan.venues.models import CheckIn, Venue, VenueSize

T0 = timezone.make_aware(datetime(2021, 8, 10, 9, 0))  # inside the 2021 policy


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def world(units, staff):
    """A case-to-be (An) with a household, a small café, a supermarket and people in two communes."""

    def person(name, commune=units.commune, household=None, phone=""):
        return Person.objects.create(full_name=name, commune=commune, household=household, phone=phone)

    home = Household.objects.create(commune=units.commune, address_line="12 Ấp Bắc")
    cafe_place = Place.objects.create(kind=PlaceKind.VENUE, name="Cà phê Sáng", commune=units.commune)
    mart_place = Place.objects.create(kind=PlaceKind.VENUE, name="Siêu thị Co.op", commune=units.commune2)
    cafe = Venue.objects.create(place=cafe_place, kind="cafe", size=VenueSize.SMALL_ENCLOSED)
    mart = Venue.objects.create(place=mart_place, kind="supermarket", size=VenueSize.LARGE)
    ns = SimpleNamespace(
        units=units, staff=staff, home=home, cafe=cafe, mart=mart,
        an=person("Nguyễn Văn An", household=home, phone="0912345678"),
        wife=person("Trần Thị Bình", household=home, phone="0912345679"),
        cafe_friend=person("Lê Văn Cường", phone="0912345680"),
        cafe_brief=person("Phạm Thị Dung", phone="0912345681"),
        shopper=person("Võ Văn Em", commune=units.other_commune, phone="0912345682"),
        friend_of_wife=person("Hồ Thị Giang", commune=units.commune2, phone="0912345683"),
        stranger=person("Đặng Văn Hải"),
    )
    return ns


def checkin(person, venue, start, minutes):
    return CheckIn.objects.create(person=person, venue=venue, checked_in_at=start,
                                  checked_out_at=start + timedelta(minutes=minutes), source="qr")


@pytest.fixture
def epi(staff):
    return staff.epidemiologist


def make_case(person, by, *, onset=date(2021, 8, 12), sample=date(2021, 8, 13), confirmed=None):
    from lachan.cases.services import case_confirm

    return case_confirm(person=person, onset_date=onset, sample_date=sample, origin="community",
                        confirmed_at=confirmed or at(24 * 4), by=by)


__all__ = ["Role", "at", "checkin", "make_case"]
