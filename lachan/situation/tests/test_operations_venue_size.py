"""The operations centre's feed names a venue traced as a small room whose check-ins held a crowd."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.situation.feed import operations_feed
from lachan.venues import services
from lachan.venues.tests.test_venue_size import _crowd, register

pytestmark = pytest.mark.django_db


def test_the_operations_centre_feed_names_the_venue_to_check(units, staff):
    now = timezone.now()
    hall = register(units, "Nhà hàng Tiệc cưới", "restaurant", "small", capacity=30)
    _crowd(units, hall, 52, at=now - timedelta(hours=5))
    services.venues_crowd_count(now=now - timedelta(minutes=1))
    items = [i for i in operations_feed(user=staff.district, now=now) if i.kind == "venue_size"]
    assert [i.text for i in items] == ["Nhà hàng Tiệc cưới, traced as a small room, held 52 people at once: its size "
                                       "is to be checked"]
    assert items[0].url == reverse("venues:detail", args=[hall.pk])
    assert not [i for i in operations_feed(user=staff.other_commune, now=now) if i.kind == "venue_size"]
