"""Fixtures of the order tests (imported by the test_orders* modules): a province exercise version of the
quarantine policy in force today, people of three communes, a quarantine facility with two rooms and an
isolation facility with one."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from lachan.core.models import Policy
from lachan.core.policies import policy_create, policy_supersede
from lachan.people.models import Person
from lachan.quarantine import facilities as facility_services

__all__ = ["exercise", "people", "facilities", "EXERCISE_RULES"]


def regime(days, tests, *, facility=0, count_from="exposure"):
    return {"days": days, "facility_days": facility, "test_days": tests, "count_from": count_from}


EXERCISE_RULES = {
    "quarantine": {"none": regime(14, [1, 7, 14]), "vaccinated": regime(7, [1, 7]), "recovered": regime(7, [1, 7])},
    "isolation": {"none": regime(10, [10], count_from="start"), "vaccinated": regime(7, [7], count_from="start"),
                  "recovered": regime(7, [7], count_from="start")},
    "geofence_radius_m": 80, "silent_after_minutes": 60, "report_by": "20:00", "fever_from_c": 38.0, "spo2_below": 96,
}


@pytest.fixture
def exercise(db):
    """"Tiền Giang exercise": from 60 days ago, 14 days (7 vaccinated or recovered) counted from the exposure.
    A transactional (browser) test may find no version at all: the flush before it took the seeded ones."""
    in_force = Policy.objects.filter(kind="quarantine", valid_to__isnull=True).exists()
    add = policy_supersede if in_force else (lambda **kw: policy_create(valid_to=None, **kw))
    return add(kind="quarantine", version="Tiền Giang exercise", valid_from=timezone.localdate() - timedelta(days=60),
               rules=EXERCISE_RULES, source="Province exercise (tests)")


@pytest.fixture
def people(units):
    """Five people of the commune, two of commune2, two of the other district (CCCD and phone each)."""
    def person(n, name, commune):
        return Person.objects.create(full_name=name, commune=commune, national_id=f"0820{n:08d}",
                                     phone=f"09124{n:05d}", birth_year=1970 + n, address_line=f"{n} Lê Lợi")

    here = [person(n, f"Người Xã Một {n}", units.commune) for n in range(1, 6)]
    near = [person(n, f"Người Xã Hai {n}", units.commune2) for n in range(21, 23)]
    far = [person(n, f"Người Gò Công {n}", units.other_commune) for n in range(31, 33)]
    return SimpleNamespace(here=here, near=near, far=far)


@pytest.fixture
def facilities(units, staff):
    """A quarantine facility of the commune (room A: 2 beds, room B: 1) and an isolation facility (room 1: 3)."""
    camp = facility_services.facility_create(name="Khu cách ly Trường Quân sự", commune=units.commune,
                                    address="Quốc lộ 1", latitude=10.36, longitude=106.36, by=staff.district)
    room_a = facility_services.room_create(facility=camp, name="A", beds=2, by=staff.district)
    room_b = facility_services.room_create(facility=camp, name="B", beds=1, by=staff.district)
    ward = facility_services.facility_create(name="Bệnh viện dã chiến số 1", commune=units.commune2, for_isolation=True,
                                    by=staff.district)
    ward_room = facility_services.room_create(facility=ward, name="1", beds=3, by=staff.district)
    return SimpleNamespace(camp=camp, room_a=room_a, room_b=room_b, ward=ward, ward_room=ward_room)
