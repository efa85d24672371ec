"""Everything collected for tracing is deleted past the horizon of the tracing policy in force: check-ins,
proximity encounters (and devices whose consent was revoked), location pings even of an order still in force."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.core.policies import policy_in_force, policy_supersede
from lachan.core.scheduler import registered_jobs
from lachan.quarantine.models import LocationPing
from lachan.quarantine.tests.monitoring_fixtures import make_order
from lachan.tracing.models import ProximityDevice, ProximityEncounter
from lachan.tracing.policy import rules_of
from lachan.venues.models import CheckIn, Venue
from lachan.workflows.retention import tracing_data_delete, tracing_horizon, tracing_retention_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def horizon_14_days():
    """A province's own version from a month ago: data kept 14 days instead of 21."""
    today = timezone.localdate()
    rules = {**rules_of(policy_in_force("tracing", today)), "horizon_days": 14}
    policy_supersede(kind="tracing", version="test 14 days", valid_from=today - timedelta(days=30), rules=rules)
    return timedelta(days=14)


def test_tracing_data_past_the_policy_horizon_is_deleted(units, horizon_14_days):
    from lachan.geo.models import Place, PlaceKind
    from lachan.people.models import Person

    now = timezone.now()
    assert tracing_horizon(timezone.localdate()) == horizon_14_days
    old, recent = now - timedelta(days=15), now - timedelta(days=13)
    person = Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune)
    other = Person.objects.create(full_name="Trần Thị Bình", commune=units.commune)
    venue = Venue.objects.create(place=Place.objects.create(kind=PlaceKind.VENUE, name="Cà phê", commune=units.commune),
                                 kind="cafe", size="small")
    for at in (old, recent):
        CheckIn.objects.create(person=person, venue=venue, checked_in_at=at, checked_out_at=at + timedelta(hours=1),
                               source="qr")
    phone = ProximityDevice.objects.create(person=person, anonymous_id="PHONE-AN-1", consent_given_at=now - timedelta(days=40))
    revoked = ProximityDevice.objects.create(person=other, anonymous_id="PHONE-BINH-1", consent_given_at=old,
                                             revoked_at=old + timedelta(hours=1))
    for at in (old, recent):
        ProximityEncounter.objects.create(reporter=phone, other_id="PHONE-BINH-1", started_at=at, duration_minutes=20,
                                          distance_m=1)
    # A long order still in force (isolation of a case that stays positive): its pings have an age limit too.
    order = make_order(units.commune, kind="isolation", starts_on=timezone.localdate() - timedelta(days=20), days=30,
                       consent=True)
    for at in (old, recent):
        LocationPing.objects.create(order=order, at=at, received_at=at, latitude=10.36, longitude=106.36,
                                    accuracy_m=10, distance_m=5)

    assert tracing_data_delete(now=now) == {"checkins": 1, "encounters": 1, "devices": 1, "pings": 1}
    assert list(CheckIn.objects.values_list("checked_in_at", flat=True)) == [recent]
    assert list(ProximityEncounter.objects.values_list("started_at", flat=True)) == [recent]
    assert list(ProximityDevice.objects.values_list("pk", flat=True)) == [phone.pk]
    assert list(LocationPing.objects.values_list("at", flat=True)) == [recent]
    assert revoked.pk not in set(ProximityDevice.objects.values_list("pk", flat=True))
    # Nothing more the next day but what has aged past the horizon meanwhile.
    assert tracing_data_delete(now=now) == {"checkins": 0, "encounters": 0, "devices": 0, "pings": 0}
    assert tracing_data_delete(now=now + timedelta(days=2)) == {"checkins": 1, "encounters": 1, "devices": 0,
                                                                 "pings": 1}


def test_the_retention_job_runs_daily_with_the_policy_horizon(units):
    jobs = {job.name: job for job in registered_jobs()}
    assert jobs["workflows.tracing_retention"].every == "daily"
    assert tracing_horizon(timezone.localdate()) == timedelta(days=21)  # the seeded version in force
    assert tracing_retention_job().endswith("deleted past the tracing horizon")
