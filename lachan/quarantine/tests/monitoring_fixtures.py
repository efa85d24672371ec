"""Orders made directly (not through the order services) for the monitoring tests, under a policy version of
their own with known thresholds."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from django.utils import timezone

RULES = {
    "quarantine": {i: {"days": 14, "facility_days": 0, "test_days": [1, 7, 14], "count_from": "exposure"}
                   for i in ("none", "vaccinated", "recovered")},
    "isolation": {i: {"days": 10, "facility_days": 0, "test_days": [1, 10], "count_from": "start"}
                  for i in ("none", "vaccinated", "recovered")},
    "geofence_radius_m": 50, "silent_after_minutes": 60, "report_by": "20:00", "fever_from_c": 38.0,
    "spo2_below": 96,
}
HOME = (10.3600, 106.3600)  # Mỹ Tho
_codes = count(1)


def monitoring_policy():
    from lachan.core.models import Policy
    from lachan.quarantine.policy import validate_rules

    assert validate_rules(RULES) == []
    # Dated long ago so it never overlaps the seeded versions; orders point at it directly.
    policy, _created = Policy.objects.get_or_create(kind="quarantine", version="test-monitoring", defaults={
        "valid_from": date(1900, 1, 1), "valid_to": date(1900, 12, 31), "rules": RULES})
    return policy


def make_person(commune, *, name="Nguyễn Văn An", phone="0901234567", account=None):
    from lachan.people.models import Person

    return Person.objects.create(full_name=name, commune=commune, phone=phone, birth_year=1980, account=account,
                                 address_line="12 Lê Lợi")


def make_order(commune, *, person=None, kind="quarantine", setting="home", starts_on=None, days=14,
               centre=HOME, consent=False, status="active", facility=None, **extra):
    from lachan.quarantine.models import Order

    today = timezone.localdate()
    starts_on = starts_on or today - timedelta(days=3)
    person = person or make_person(commune, name=f"Người Số {next(_codes)}", phone="")
    order = Order.objects.create(
        code=f"QT-TEST-{next(_codes):05d}", person=person, kind=kind, setting=setting, commune=commune,
        address="12 Lê Lợi", facility=facility, geofence_radius_m=50, starts_on=starts_on,
        ends_on=starts_on + timedelta(days=days - 1), status=status, policy=monitoring_policy(),
        latitude=centre[0] if centre else None, longitude=centre[1] if centre else None,
        location_consent_at=timezone.now() - timedelta(hours=2) if consent else None, **extra)
    # Made a day ago: the evening job does not skip it as made today.
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=1))
    order.refresh_from_db()
    return order


@pytest.fixture
def order(units):
    return make_order(units.commune, person=make_person(units.commune))


@pytest.fixture
def other_order(units):
    return make_order(units.other_commune, person=make_person(units.other_commune, name="Trần Thị Bình",
                                                                phone="0907654321"))
