"""Fixtures of the sampling tests (imported by the test_sampling* modules): a laboratory with its staff,
a screening campaign over Mỹ Tho's first commune with a site, and people of three communes."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.labs.models import Laboratory
from lachan.labs.sampling import services
from lachan.people.models import Person

__all__ = ["lab", "campaign", "people", "make_lab"]


def make_lab(commune, name="Phòng xét nghiệm CDC Tiền Giang", rt_pcr=True):
    place = Place.objects.create(kind=PlaceKind.LABORATORY, name=name, commune=commune)
    return Laboratory.objects.create(place=place, does_rt_pcr=rt_pcr, daily_capacity=3000)


@pytest.fixture
def lab(units, make_user):
    """Two laboratories, a staff account for each."""
    main = make_lab(units.commune)
    other = make_lab(units.other_commune, name="Khoa Xét nghiệm TTYT Gò Công")
    return SimpleNamespace(
        lab=main, other=other,
        staff=make_user(Role.LAB_STAFF, place=main.place, username="labtech"),
        other_staff=make_user(Role.LAB_STAFF, place=other.place, username="othertech"),
    )


@pytest.fixture
def people(units):
    """Twelve people of the commune (CCCD and phone each), three of commune2, two of the other district."""
    def person(n, name, commune):
        return Person.objects.create(full_name=name, commune=commune, national_id=f"0820{n:08d}",
                                     phone=f"09123{n:05d}", birth_year=1980 + n)

    here = [person(n, f"Người Xã Một {n}", units.commune) for n in range(1, 13)]
    near = [person(n, f"Người Xã Hai {n}", units.commune2) for n in range(21, 24)]
    far = [person(n, f"Người Gò Công {n}", units.other_commune) for n in range(31, 33)]
    return SimpleNamespace(here=here, near=near, far=far)


@pytest.fixture
def campaign(units, staff, lab):
    """A district-wide screening of Mỹ Tho (pools of 5, the CDC lab) with a site in the first commune
    and one in the second."""
    camp = services.campaign_create(
        name="Sàng lọc TP Mỹ Tho đợt 1", kind="screening", unit=units.district,
        starts_on=timezone.localdate() - timedelta(days=3), test_type="rt_pcr", pool_size=5, laboratory=lab.lab,
        by=staff.district)
    site = services.site_create(campaign=camp, name="Nhà văn hoá khu phố 1", commune=units.commune,
                                address="12 Lê Lợi", by=staff.district)
    site2 = services.site_create(campaign=camp, name="Trường tiểu học", commune=units.commune2, by=staff.district)
    return SimpleNamespace(campaign=camp, site=site, site2=site2)
