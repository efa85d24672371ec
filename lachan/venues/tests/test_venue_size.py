"""Venue size follows the tracing policy (kind, declared capacity and floor area; never smaller than declared) until
a commune station confirms or corrects it; a "small room" whose check-ins held a crowd is flagged for the station."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.people.models import Person
from lachan.venues import selectors, services
from lachan.venues.models import CheckIn, Venue
from lachan.venues.policy import venue_size_rules, venue_size_rules_on

pytestmark = pytest.mark.django_db


def register(units, name, kind, size, **extra):
    return services.venue_register(by=system_actor("tests"), name=name, kind=kind, size=size, commune=units.commune, **extra)


def test_the_policy_derives_the_size_never_smaller_than_declared(units):
    rules = venue_size_rules_on()
    supermarket = register(units, "Siêu thị Co.op", "supermarket", "small")  # registered as small
    big_cafe = register(units, "Cà phê Sân vườn", "cafe", "small", capacity=80)
    wide_shop = register(units, "Nhà sách", "other", "small", area_m2=400)
    cafe = register(units, "Cà phê Gió", "cafe", "small", capacity=20, area_m2=40)
    open_air = register(units, "Cà phê Vỉa hè", "cafe", "large", capacity=20)  # declared large: kept large
    assert [rules.of(v) for v in (supermarket, big_cafe, wide_shop, cafe, open_air)] == [
        "large", "large", "large", "small", "large"]
    # Another version's thresholds and kinds: its own derivation.
    strict = venue_size_rules({"large_venue_min_capacity": 100, "large_venue_min_area_m2": 1000,
                               "venue_kind_min_people": {"cafe": 500}})
    assert [strict.of(v) for v in (supermarket, big_cafe, wide_shop, cafe)] == ["small", "large", "small", "large"]


def test_bad_area_is_refused(units):
    with pytest.raises(DomainError) as caught:
        register(units, "Quán", "cafe", "small", area_m2="²")
    assert "floor area" in str(caught.value.errors[0].message)
    assert not Venue.objects.exists()


def test_a_station_confirms_or_corrects_the_size_audited(units, staff, make_user):
    supermarket = register(units, "Siêu thị Co.op", "supermarket", "small")
    owner = make_user(Role.VENUE_OWNER, username="shop-owner")
    with pytest.raises(PermissionDenied):
        services.venue_size_confirm(venue=supermarket, size="small", by=owner)
    with pytest.raises(NotFound):  # another district's station
        services.venue_size_confirm(venue=supermarket, size="small", by=staff.other_commune)
    with pytest.raises(DomainError):
        services.venue_size_confirm(venue=supermarket, size="huge", by=staff.commune)
    assert venue_size_rules_on().of(Venue.objects.get(pk=supermarket.pk)) == "large"
    # The station saw a corner kiosk registered under a supermarket chain's name: a small room it is.
    venue = services.venue_size_confirm(venue=supermarket, size="small", note="  quầy nhỏ  ", by=staff.commune)
    assert venue.size_confirmed == "small" and venue.size_confirmed_by == staff.commune
    assert venue_size_rules_on().of(Venue.objects.get(pk=supermarket.pk)) == "small"
    event = AuditEvent.objects.get(action="venue.size_confirm")
    assert event.actor == staff.commune and event.detail == {"before": "large", "size": "small", "declared": "small",
                                                             "note": "quầy nhỏ"}


def _crowd(units, venue, people: int, *, at):
    for n in range(people):
        person = Person.objects.create(full_name=f"Khách {n}", commune=units.commune)
        CheckIn.objects.create(person=person, venue=venue, checked_in_at=at + timedelta(minutes=n % 3),
                               checked_out_at=at + timedelta(minutes=60), source="qr")


def test_a_small_room_that_held_a_crowd_is_flagged_for_its_station(units, staff):
    now = timezone.now()
    hall = register(units, "Nhà hàng Tiệc cưới", "restaurant", "small", capacity=30)
    cafe = register(units, "Cà phê Gió", "cafe", "small", capacity=20)
    _crowd(units, hall, 60, at=now - timedelta(hours=5))
    _crowd(units, cafe, 8, at=now - timedelta(hours=5))
    CheckIn.objects.create(person=Person.objects.create(full_name="Muộn", commune=units.commune), venue=cafe,
                           checked_in_at=now - timedelta(hours=4), checked_out_at=now - timedelta(hours=3),
                           source="qr")  # after the others left: never 9 at once
    assert services.venues_crowd_count(now=now) == 2
    hall.refresh_from_db()
    cafe.refresh_from_db()
    assert (hall.crowd_peak, cafe.crowd_peak) == (60, 8)
    assert list(selectors.venues_size_to_check(user=staff.commune)) == [hall]
    assert list(selectors.venues_size_to_check(user=staff.other_commune)) == []  # outside its jurisdiction
    assert services.venues_crowd_count(now=now) == 0  # no higher peak
    # The station has seen it (a wedding hall): large from now on, no longer flagged.
    services.venue_size_confirm(venue=hall, size="large", by=staff.commune)
    assert list(selectors.venues_size_to_check(user=staff.commune)) == []


def test_the_venue_pages_show_the_traced_size_and_let_the_station_confirm_it(client, units, staff):
    now = timezone.now()
    hall = register(units, "Nhà hàng Tiệc cưới", "restaurant", "small", capacity=30)
    _crowd(units, hall, 55, at=now - timedelta(hours=5))
    services.venues_crowd_count(now=now)
    client.force_login(staff.commune)
    listed = client.get(reverse("venues:list") + "?check=size").content.decode()
    assert "Nhà hàng Tiệc cưới" in listed and "55 at once" in listed
    page = client.get(reverse("venues:detail", args=[hall.pk])).content.decode()
    assert 'data-testid="size-flag"' in page and "55 people were checked in at once" in page
    assert "not confirmed by the station yet" in page
    answer = client.post(reverse("venues:size_confirm", args=[hall.pk]), {"size": "large", "note": "tiệc cưới"})
    assert answer.status_code == 302
    assert Venue.objects.get(pk=hall.pk).size_confirmed == "large"
    page = client.get(reverse("venues:detail", args=[hall.pk])).content.decode()
    assert 'data-testid="size-flag"' not in page and "confirmed by" in page
    assert "Nhà hàng Tiệc cưới" not in client.get(reverse("venues:list") + "?check=size").content.decode()
    # Another commune's station neither sees nor confirms it.
    client.force_login(staff.other_commune)
    assert client.post(reverse("venues:size_confirm", args=[hall.pk]), {"size": "small"}).status_code == 404
    assert client.get(reverse("venues:detail", args=[hall.pk])).status_code == 404

