"""Test data of the quarantine app (factory_boy): facilities and orders, written with `objects.create` (no order
number counter, no events, no telling, no tests planned: use the services for those).

    facility = FacilityFactory(place__commune=units.commune)
    order = OrderFactory(commune=units.commune, person=PersonFactory(commune=units.commune))
    OrderFactory(setting="facility", facility=facility, starts_on=date(2021, 8, 1), days=21)
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from lachan.core.policies import policy_in_force
from lachan.geo.models import PlaceKind
from lachan.geo.tests.factories import PlaceFactory, default_commune
from lachan.people.tests.factories import PersonFactory
from lachan.quarantine.models import OrderKind, Setting


class FacilityFactory(DjangoModelFactory):
    class Meta:
        model = "quarantine.Facility"

    place = factory.SubFactory(PlaceFactory, kind=PlaceKind.QUARANTINE_FACILITY,
                               name=factory.Sequence(lambda n: f"Khu cách ly {n + 1}"))


class OrderFactory(DjangoModelFactory):
    """An order in force at home for 14 days from today, under the seeded `quarantine` policy of its first day;
    the person lives in the order's commune."""

    class Meta:
        model = "quarantine.Order"

    class Params:
        days = 14

    code = factory.Sequence(lambda n: f"QT-F-{n + 1:05d}")
    commune = factory.LazyFunction(default_commune)
    person = factory.SubFactory(PersonFactory, commune=factory.SelfAttribute("..commune"))
    kind = OrderKind.QUARANTINE
    setting = Setting.HOME
    geofence_radius_m = 50
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + timedelta(days=o.days - 1))
    policy = factory.LazyAttribute(lambda o: policy_in_force("quarantine", o.starts_on))
