"""Test data of the venues app (factory_boy): venues on their place, written with `objects.create` (no QR code:
`venues.qr.venue_code_ensure` gives one when a test needs it).

    VenueFactory(place__commune=units.commune, kind="cafe", size=VenueSize.SMALL_ENCLOSED)
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from lachan.geo.models import PlaceKind
from lachan.geo.tests.factories import PlaceFactory
from lachan.venues.models import VenueKind, VenueSize


class VenueFactory(DjangoModelFactory):
    class Meta:
        model = "venues.Venue"

    place = factory.SubFactory(PlaceFactory, kind=PlaceKind.VENUE,
                               name=factory.Sequence(lambda n: f"Quán cà phê {n + 1}"))
    kind = VenueKind.CAFE
    size = VenueSize.SMALL_ENCLOSED
