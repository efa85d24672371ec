from datetime import date, timedelta

import pytest

from lachan.geo.models import Place, PlaceKind
from lachan.tracing.engine import case_window, trace_case
from lachan.tracing.models import (
    Contact,
    Exposure,
    InterviewContact,
    ProximityDevice,
    ProximityEncounter,
    TracingRun,
)
from lachan.tracing.sources import base as sources_base

from .conftest import T0, at, checkin, make_case

pytestmark = pytest.mark.django_db


def tiers(case):
    return {c.person.full_name: c.tier for c in Contact.objects.filter(index_case=case).select_related("person")}


def test_window_from_onset_minus_two_days_to_isolation(world, epi):
    case = make_case(world.an, epi)  # onset 12/08
    start, end = case_window(case)
    assert start.date().isoformat() == "2021-08-10"
    assert end == case.isolated_at == case.confirmed_at


def test_household_and_small_cafe_are_f1_large_venue_is_notice(world, epi):
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1.25), 60)  # 45 min together in a small room
    checkin(world.cafe_brief, world.cafe, at(1.75), 30)  # 15 min… at the edge: counted
    checkin(world.an, world.mart, at(5), 60)
    checkin(world.shopper, world.mart, at(5), 60)  # an hour in a supermarket: a notice, not an F1
    checkin(world.stranger, world.cafe, at(-5), 60)  # before: no overlap
    case = make_case(world.an, epi)
    run = trace_case(case=case, by=epi)
    got = tiers(case)
    assert got["Trần Thị Bình"] == 1
    assert got["Lê Văn Cường"] == 1
    assert got["Phạm Thị Dung"] == 1
    assert got["Võ Văn Em"] == 0
    assert "Đặng Văn Hải" not in got and "Nguyễn Văn An" not in got
    assert run.counts["f1"] == 3 and run.counts["notices"] == 1
    cafe_ev = Exposure.objects.get(contact__person=world.cafe_friend)
    assert cafe_ev.source == "venue" and cafe_ev.minutes == 45 and cafe_ev.small_room
    assert "Cà phê Sáng" in cafe_ev.text and cafe_ev.ref == str(world.cafe.pk)
    assert Exposure.objects.get(contact__person=world.wife).ref == str(world.home.pk)


def test_a_supermarket_registered_as_small_gives_notices_not_f1(world, epi, staff):
    # The registrant chose "small enclosed room"; the tracing policy's kinds and capacities say large.
    from lachan.venues.models import Venue
    from lachan.venues.services import venue_size_confirm

    Venue.objects.filter(pk=world.mart.pk).update(size="small")
    big_cafe = Venue.objects.create(place=Place.objects.create(kind=PlaceKind.VENUE, name="Cà phê Sân vườn",
                                                               commune=world.units.commune),
                                    kind="cafe", size="small", capacity=120)
    checkin(world.an, world.mart, at(5), 60)
    checkin(world.shopper, world.mart, at(5), 60)
    checkin(world.an, big_cafe, at(8), 60)
    checkin(world.cafe_friend, big_cafe, at(8), 60)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    got = tiers(case)
    assert got["Võ Văn Em"] == 0 and got["Lê Văn Cường"] == 0
    assert not Exposure.objects.get(contact__person=world.shopper).small_room
    # The commune station saw the garden café's back room where they sat: a small room, an F1 from now on.
    venue_size_confirm(venue=big_cafe, size="small", by=staff.commune)
    trace_case(case=case, by=epi)
    assert tiers(case)["Lê Văn Cường"] == 1


def test_the_tracing_policy_schema_and_validation_know_the_venue_size_rules():
    from lachan.core.policies import policy_kind
    from lachan.tracing.policy import DEFAULTS, validate_rules

    fields = {f.key: f for f in policy_kind("tracing").fields}
    for key in ("venue_kind_min_people", "large_venue_min_capacity", "large_venue_min_area_m2"):
        assert key in DEFAULTS and str(fields[key].help)
    assert validate_rules({**DEFAULTS}) == []
    bad = validate_rules({**DEFAULTS, "large_venue_min_capacity": 0, "venue_kind_min_people": {"market": "x"}})
    assert any("large_venue_min_capacity" in p for p in bad) and any("venue_kind_min_people" in p for p in bad)


def test_short_stay_in_small_room_is_only_a_notice(world, epi):
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_brief, world.cafe, at(1.9), 30)  # 6 minutes overlap
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    assert tiers(case)["Phạm Thị Dung"] == 0


def test_a_stay_scanned_twice_is_measured_once(world, epi):
    # 8 real minutes together: the friend's one stay is stored twice (scanned twice a minute apart), and An's too.
    # Adding each row's overlap made "16 min together" and an F1.
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.an, world.cafe, at(1) + timedelta(minutes=1), 59)
    checkin(world.cafe_friend, world.cafe, at(2) - timedelta(minutes=8), 30)
    checkin(world.cafe_friend, world.cafe, at(2) - timedelta(minutes=7), 30)
    # Two disjoint stays of 10 min each with An are 20 min together: an F1.
    checkin(world.cafe_brief, world.cafe, at(1), 10)
    checkin(world.cafe_brief, world.cafe, at(1.5), 10)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    got = tiers(case)
    assert got["Lê Văn Cường"] == 0
    assert [e.minutes for e in Exposure.objects.filter(contact__person=world.cafe_friend)] == [8]
    assert got["Phạm Thị Dung"] == 1
    assert [e.minutes for e in Exposure.objects.filter(contact__person=world.cafe_brief)] == [20]


def test_visit_outside_the_window_is_ignored(world, epi):
    checkin(world.an, world.cafe, at(-48), 60)  # 08/08, window starts 10/08
    checkin(world.cafe_friend, world.cafe, at(-48), 60)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    assert "Lê Văn Cường" not in tiers(case)


def test_proximity_grading(world, epi):
    an_phone = ProximityDevice.objects.create(person=world.an, anonymous_id="A1", consent_given_at=T0)
    ProximityDevice.objects.create(person=world.cafe_friend, anonymous_id="C1", consent_given_at=T0)
    ProximityDevice.objects.create(person=world.shopper, anonymous_id="S1", consent_given_at=T0)
    ProximityDevice.objects.create(person=world.stranger, anonymous_id="X1", consent_given_at=T0, revoked_at=at(1))
    ProximityEncounter.objects.create(reporter=an_phone, other_id="C1", started_at=at(2), duration_minutes=20,
                                      distance_m=1.5)
    ProximityEncounter.objects.create(reporter=an_phone, other_id="S1", started_at=at(2), duration_minutes=20,
                                      distance_m=3.0)  # too far
    ProximityEncounter.objects.create(reporter=an_phone, other_id="X1", started_at=at(2), duration_minutes=30,
                                      distance_m=0.5)  # consent revoked
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    got = tiers(case)
    assert got.get("Lê Văn Cường") == 1
    assert "Võ Văn Em" not in got and "Đặng Văn Hải" not in got


def test_proximity_encounter_reaching_into_the_window_is_clipped_to_it(world, epi):
    # The window opens at 10/08 00:00 (at(-9)). An encounter from 23:40 the evening before lasting 40 min has 20 min
    # inside: an F1 measured from the window's start. One of 20 min from 23:50 has only 10 min inside: nobody.
    an_phone = ProximityDevice.objects.create(person=world.an, anonymous_id="A1", consent_given_at=T0)
    ProximityDevice.objects.create(person=world.cafe_friend, anonymous_id="C1", consent_given_at=T0)
    ProximityDevice.objects.create(person=world.shopper, anonymous_id="S1", consent_given_at=T0)
    window_start = at(-9)
    ProximityEncounter.objects.create(reporter=an_phone, other_id="C1", started_at=window_start - timedelta(minutes=20),
                                      duration_minutes=40, distance_m=1.0)
    ProximityEncounter.objects.create(reporter=an_phone, other_id="S1", started_at=window_start - timedelta(minutes=10),
                                      duration_minutes=20, distance_m=1.0)
    case = make_case(world.an, epi)
    assert case_window(case)[0] == window_start
    trace_case(case=case, by=epi)
    got = tiers(case)
    assert got.get("Lê Văn Cường") == 1
    assert "Võ Văn Em" not in got
    evidence = Exposure.objects.get(contact__person=world.cafe_friend)
    assert evidence.start == window_start and evidence.minutes == 20


def test_proximity_encounter_is_clipped_at_isolation(world, epi):
    # 40 min from 10 min before the case was isolated: 10 min in the window, not an F1.
    an_phone = ProximityDevice.objects.create(person=world.an, anonymous_id="A1", consent_given_at=T0)
    ProximityDevice.objects.create(person=world.cafe_friend, anonymous_id="C1", consent_given_at=T0)
    case = make_case(world.an, epi)
    ProximityEncounter.objects.create(reporter=an_phone, other_id="C1",
                                      started_at=case.isolated_at - timedelta(minutes=10), duration_minutes=40,
                                      distance_m=1.0)
    trace_case(case=case, by=epi)
    assert "Lê Văn Cường" not in tiers(case)


def test_interview_contact_is_f1(world, epi):
    case = make_case(world.an, epi)
    InterviewContact.objects.create(case=case, person=world.stranger, relationship="colleague",
                                    last_contact_at=at(3), minutes=30, entered_by=epi)
    trace_case(case=case, by=epi)
    ev = Exposure.objects.get(contact__person=world.stranger)
    assert ev.source == "interview" and "colleague" in ev.text
    assert tiers(case)["Đặng Văn Hải"] == 1


def test_f2_only_after_the_f1_was_exposed(world, epi):
    # The wife (F1 from the household, exposed from the window start 10/08 00:00) met a friend in the
    # café on 09/08 (before) and on 11/08 (after): only the second meeting makes an F2.
    checkin(world.wife, world.cafe, at(-30), 60)
    checkin(world.stranger, world.cafe, at(-30), 60)
    checkin(world.wife, world.cafe, at(30), 60)
    checkin(world.friend_of_wife, world.cafe, at(30), 60)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    got = tiers(case)
    assert got["Hồ Thị Giang"] == 2
    assert "Đặng Văn Hải" not in got
    f2 = Contact.objects.get(index_case=case, person=world.friend_of_wife)
    assert f2.via_id == world.wife.pk and f2.commune_id == world.units.commune2.pk


def test_f2_window_ends_when_the_f1_is_quarantined(world, epi):
    # The wife (F1) is marked quarantined at +20 h; she meets a friend at +30 h (after: not an F2) and
    # another at +10 h (before: an F2).
    checkin(world.wife, world.cafe, at(10), 60)
    checkin(world.cafe_friend, world.cafe, at(10), 60)
    checkin(world.wife, world.cafe, at(30), 60)
    checkin(world.friend_of_wife, world.cafe, at(30), 60)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi, now=at(24 * 5))
    assert tiers(case)["Hồ Thị Giang"] == 2  # before the quarantine mark, the +30 h meeting counts
    Contact.objects.filter(index_case=case, person=world.wife).update(call_status="quarantined", called_at=at(20))
    trace_case(case=case, by=epi, now=at(24 * 5))
    got = tiers(case)
    assert "Hồ Thị Giang" not in got
    assert got[world.cafe_friend.full_name] == 2


def test_f2_window_ends_when_the_f1_is_isolated_as_a_case(world, epi):
    checkin(world.wife, world.cafe, at(30), 60)
    checkin(world.friend_of_wife, world.cafe, at(30), 60)
    case = make_case(world.an, epi)
    wife_case = make_case(world.wife, epi, onset=date(2021, 8, 10), sample=date(2021, 8, 10), confirmed=at(20))  # isolated at confirmation
    assert wife_case.isolated_at == at(20)
    trace_case(case=case, by=epi, now=at(24 * 5))
    assert "Hồ Thị Giang" not in tiers(case)


def test_a_person_gets_the_lowest_tier(world, epi):
    # The café friend is reached both directly (F1) and through the wife (F2): F1 wins, once.
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    checkin(world.wife, world.cafe, at(1), 60)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    assert Contact.objects.filter(index_case=case, person=world.cafe_friend).get().tier == 1
    assert Contact.objects.filter(index_case=case).count() == 2


def test_retrace_updates_not_duplicates(world, epi):
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    case = make_case(world.an, epi)
    trace_case(case=case, by=epi)
    contact = Contact.objects.get(index_case=case, person=world.cafe_friend)
    contact.call_status = "reached"
    contact.save()
    trace_case(case=case, by=epi)
    trace_case(case=case, by=epi)
    assert Contact.objects.filter(index_case=case).count() == 2
    assert Exposure.objects.filter(contact__index_case=case).count() == 2
    assert Contact.objects.get(pk=contact.pk).call_status == "reached"
    assert TracingRun.objects.filter(case=case).count() == 3


def test_failure_mid_tracing_leaves_nothing(world, epi, monkeypatch):
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    case = make_case(world.an, epi)

    class Broken:
        name = "broken"

        def exposures(self, **kwargs):
            raise RuntimeError("source down")

    sources_base.register_source(Broken())
    try:
        with pytest.raises(RuntimeError):
            trace_case(case=case, by=epi)
    finally:
        sources_base.unregister_source("broken")
    assert not Contact.objects.exists() and not Exposure.objects.exists() and not TracingRun.objects.exists()


def test_no_policy_is_a_clear_error(world, epi):
    from lachan.core.errors import DomainError
    from lachan.core.models import Policy

    case = make_case(world.an, epi)
    Policy.objects.filter(kind="tracing").delete()
    with pytest.raises(DomainError) as err:
        trace_case(case=case, by=epi)
    assert err.value.code == "tracing_no_policy"


def test_window_ends_at_isolation(world, epi):
    case = make_case(world.an, epi)
    checkin(world.an, world.cafe, case.isolated_at + timedelta(hours=2), 60)
    checkin(world.cafe_friend, world.cafe, case.isolated_at + timedelta(hours=2), 60)
    trace_case(case=case, by=epi)
    assert "Lê Văn Cường" not in tiers(case)


def _snapshot(case):
    return sorted((c.person_id, c.tier, c.via_id, c.exposures.count()) for c in Contact.objects.filter(index_case=case))


def test_tracing_cases_together_gives_what_tracing_each_alone_gives(world, epi):
    # Two cases whose windows differ and whose contacts overlap: the café friend meets both; the wife (F1 of
    # An) meets the friend of the wife after being exposed; the shopper is a notice for both.
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(40), 60)
    checkin(world.stranger, world.cafe, at(40), 60)
    checkin(world.wife, world.cafe, at(30), 60)
    checkin(world.friend_of_wife, world.cafe, at(30), 60)
    checkin(world.an, world.mart, at(5), 30)
    checkin(world.stranger, world.mart, at(5), 30)
    checkin(world.shopper, world.mart, at(5), 30)
    a = make_case(world.an, epi)
    b = make_case(world.stranger, epi, onset=date(2021, 8, 12), sample=date(2021, 8, 12))
    from lachan.tracing.engine import trace_cases

    runs = trace_cases(cases=[a, b], by=epi, now=at(24 * 5))
    assert [r.case_id for r in runs] == [a.pk, b.pk]
    together = {a.pk: _snapshot(a), b.pk: _snapshot(b)}
    assert together[a.pk] and together[b.pk]
    Contact.objects.all().delete()
    for case in (a, b):
        trace_case(case=case, by=epi, now=at(24 * 5))
    assert {a.pk: _snapshot(a), b.pk: _snapshot(b)} == together


def test_tracing_cases_together_is_all_or_nothing(world, epi, monkeypatch):
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    a = make_case(world.an, epi)
    b = make_case(world.stranger, epi)
    from lachan.tracing import engine

    calls = []

    def fail_on_second(case, found, **kwargs):
        calls.append(case)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(case, found, **kwargs)

    original = engine._write
    monkeypatch.setattr(engine, "_write", fail_on_second)
    with pytest.raises(RuntimeError):
        engine.trace_cases(cases=[a, b], by=epi)
    assert not Contact.objects.exists() and not TracingRun.objects.exists()
