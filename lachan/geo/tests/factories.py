"""Test data of the geo app (factory_boy): places. The administrative units are loaded once per test database
(conftest.py `units`), never made by a factory."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from lachan.geo.models import PlaceKind


def default_commune():
    """The `units` fixture's `commune` (conftest.py): the first commune of Thành phố Mỹ Tho, 2021 tree. Pass the
    commune explicitly whenever the test is about jurisdiction."""
    from lachan.geo.models import AdminUnit

    commune = AdminUnit.objects.filter(tree="2021", level=3, parent__code="815").order_by("code").first()
    assert commune is not None, "the Tiền Giang units are not loaded: use the `units` fixture"
    return commune


class PlaceFactory(DjangoModelFactory):
    class Meta:
        model = "geo.Place"

    kind = PlaceKind.VENUE
    name = factory.Sequence(lambda n: f"Địa điểm {n + 1}")
    commune = factory.LazyFunction(default_commune)
