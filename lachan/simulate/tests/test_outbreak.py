from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.core.errors import DomainError
from lachan.geo.models import Place, PlaceKind
from lachan.people.models import Household
from lachan.people.tests.factories import PersonFactory
from lachan.simulate.checkins import checkins_generate, window_of
from lachan.simulate.evaluation import cases_confirm_and_trace, tracing_evaluate
from lachan.simulate.outbreak import (
    HOUSEHOLD,
    INDEX,
    LARGE_VENUE,
    PROXIMITY,
    SMALL_VENUE,
    Infection,
    Outbreak,
    Params,
    Transmission,
    outbreak_simulate,
)
from lachan.tracing.models import ProximityDevice, ProximityEncounter
from lachan.tracing.sources import base as sources
from lachan.venues.models import CheckIn, Venue, VenueSize
from lachan.venues.policy import checkin_rules

END = date(2021, 7, 1)


def rows():
    return list(CheckIn.objects.order_by("id").values_list("venue_id", "person_id", "checked_in_at", "checked_out_at",
                                                          "checkout_assumed"))


@pytest.mark.django_db
def test_checkins_are_deterministic_and_valid(generate):
    generate(people=1500, seed=3)
    report = checkins_generate(seed=3, days=3, end=END)
    first = rows()
    assert report.checkins == len(first) > 1500  # about one visit a person a day
    start, stop = window_of(days=3, end=END)
    max_stay = timedelta(minutes=checkin_rules(start.date()).max_stay_minutes)
    for _v, _p, cin, cout, _assumed in first:
        assert start <= cin < stop
        assert cin < cout <= cin + max_stay
    assert 0.2 < sum(r[4] for r in first) / len(first) < 0.5  # a share without check-out
    assert ProximityDevice.objects.count() == report.devices > 0
    assert ProximityEncounter.objects.count() == report.encounters > 0
    with pytest.raises(DomainError):  # already there
        checkins_generate(seed=3, days=3, end=END)
    checkins_generate(seed=3, days=3, end=END, fresh=True)
    again = rows()
    assert [r[:5] for r in again] == [r[:5] for r in first]
    checkins_generate(seed=4, days=3, end=END, fresh=True)
    assert rows() != first


@pytest.mark.django_db
def test_checkins_bad_input(generate):
    with pytest.raises(DomainError):  # no province yet
        checkins_generate(seed=1, days=3, end=END)
    generate(people=200, seed=1)
    for days in (0, 61):
        with pytest.raises(DomainError):
            checkins_generate(seed=1, days=days, end=END)
    assert CheckIn.objects.count() == 0


@pytest.mark.django_db
def test_outbreak_records_transmissions(generate):
    generate(people=2000, seed=5)
    checkins_generate(seed=5, days=3, end=END)
    start, end = window_of(days=3, end=END)
    params = Params(index_infections=30, household_daily=0.5, beta_small=0.05, beta_large=0.01, beta_near=0.05)
    outbreak = outbreak_simulate(seed=5, start=start, end=end, params=params)
    assert sum(t.channel == INDEX for t in outbreak.transmissions) == 30
    spread = [t for t in outbreak.transmissions if t.channel != INDEX]
    assert spread, "nobody was infected beyond the index cases"
    assert {t.channel for t in spread} <= {HOUSEHOLD, SMALL_VENUE, LARGE_VENUE, PROXIMITY}
    infectees = [t.infectee for t in outbreak.transmissions]
    assert len(infectees) == len(set(infectees)) == len(outbreak.infections)  # infected once
    for t in spread:
        infector = outbreak.infections[t.infector]
        assert infector.infectious_from <= t.at <= infector.infectious_to
        assert start <= t.at < end
    again = outbreak_simulate(seed=5, start=start, end=end, params=params)
    assert again.transmissions == outbreak.transmissions


@pytest.fixture
def scenario(units):
    """A confirmed F0 (An) who infected her husband at home, a friend in a small café and a shopper in a
    supermarket."""
    t0 = timezone.make_aware(datetime(2021, 6, 18, 9, 0))
    home = Household.objects.create(commune=units.commune, address_line="1 Ấp Bắc")
    cafe = Venue.objects.create(place=Place.objects.create(kind=PlaceKind.VENUE, name="Cà phê", commune=units.commune),
                                kind="cafe", size=VenueSize.SMALL_ENCLOSED)
    mart = Venue.objects.create(place=Place.objects.create(kind=PlaceKind.VENUE, name="Siêu thị", commune=units.commune),
                                kind="supermarket", size=VenueSize.LARGE)
    an = PersonFactory(full_name="Nguyễn Thị An", commune=units.commune, household=home, phone="0912000001")
    husband = PersonFactory(full_name="Trần Văn Bình", commune=units.commune, household=home)
    friend = PersonFactory(full_name="Lê Văn Cường", commune=units.commune, phone="0912000002")
    shopper = PersonFactory(full_name="Võ Thị Dung", commune=units.commune, phone="0912000003")
    for person, venue, minutes in ((an, cafe, 60), (friend, cafe, 50), (an, mart, 40), (shopper, mart, 30)):
        start = t0 if venue == cafe else t0 + timedelta(hours=3)
        CheckIn.objects.create(person=person, venue=venue, checked_in_at=start,
                               checked_out_at=start + timedelta(minutes=minutes), source="qr")
    confirmed = t0 + timedelta(days=2)
    outbreak = Outbreak(start=t0 - timedelta(days=5), end=t0 + timedelta(days=5))
    outbreak.infections[an.pk] = Infection(
        person=an.pk, infected_at=t0 - timedelta(days=4), onset_at=t0 + timedelta(days=1),
        infectious_from=t0 - timedelta(days=1), infectious_to=confirmed, confirmed_at=confirmed,
        sample_at=confirmed - timedelta(days=1))
    outbreak.transmissions += [
        Transmission(None, an.pk, INDEX, t0 - timedelta(days=4)),
        Transmission(an.pk, husband.pk, HOUSEHOLD, t0),
        Transmission(an.pk, friend.pk, SMALL_VENUE, t0 + timedelta(minutes=20), cafe.pk),
        Transmission(an.pk, shopper.pk, LARGE_VENUE, t0 + timedelta(hours=3, minutes=10), mart.pk),
    ]
    for t in outbreak.transmissions[1:]:
        outbreak.infections[t.infectee] = Infection(
            person=t.infectee, infected_at=t.at, onset_at=t.at + timedelta(days=5), infectious_from=t.at + timedelta(days=3),
            infectious_to=t.at + timedelta(days=13))
    return outbreak


@pytest.mark.django_db
def test_evaluation_finds_every_traced_transmission(scenario):
    cases, timings = cases_confirm_and_trace(scenario, by=system_actor("tests"))
    assert len(cases) == len(timings) == 1
    result = tracing_evaluate(scenario, cases)
    assert result.recall[HOUSEHOLD].value == 1.0 and result.recall[HOUSEHOLD].total == 1
    assert result.recall[SMALL_VENUE].value == 1.0 and result.recall[SMALL_VENUE].total == 1
    assert result.recall["traced"].value == 1.0
    assert result.recall[LARGE_VENUE].value == 1.0  # the shopper got an exposure notice
    assert result.recall[PROXIMITY].value is None
    assert result.f1_total == 2 and result.f1_per_f0 == 2.0  # husband and friend, not the shopper
    assert result.f1_people_infected == 2 and result.quarantined_per_infection == 1.0
    assert not result.misses


@pytest.mark.django_db
def test_evaluation_recall_drops_when_a_channel_is_not_traced(scenario, monkeypatch):
    monkeypatch.delitem(sources._sources, "venue")
    cases, _timings = cases_confirm_and_trace(scenario, by=system_actor("tests"))
    result = tracing_evaluate(scenario, cases)
    assert result.recall[HOUSEHOLD].value == 1.0
    assert result.recall[SMALL_VENUE].value == 0.0
    assert result.recall["traced"].value == 0.5 < 1
    assert result.recall[LARGE_VENUE].value == 0.0
    assert [t.channel for t in result.misses] == [SMALL_VENUE]
