"""Location consent, pings judged against the geofence, violation and silent alerts, pings deleted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.actors import signed_link
from lachan.core.errors import DomainError
from lachan.notifications.models import Message
from lachan.quarantine.models import Alert, LocationPing, Order
from lachan.quarantine.monitoring.geofence import (
    haversine_m,
    location_consent_give,
    location_consent_revoke,
    pings_delete_ended,
    pings_record,
    silent_raise,
)

from .monitoring_fixtures import HOME, make_order, make_person

pytestmark = pytest.mark.django_db

NORTH_1M = 1 / 111_195  # degrees of latitude per metre


def ping(metres_north=0.0, *, accuracy=10.0, ago=timedelta(minutes=1), now=None, centre=HOME):
    now = now or timezone.now()
    return {"at": now - ago, "latitude": centre[0] + metres_north * NORTH_1M, "longitude": centre[1],
            "accuracy_m": accuracy}


@pytest.fixture
def watched(units, staff):
    staff.commune.phone = "0912000111"
    staff.commune.save()
    return make_order(units.commune, person=make_person(units.commune), consent=True)


def test_haversine():
    assert haversine_m(*HOME, *HOME) == 0
    assert abs(haversine_m(HOME[0], HOME[1], HOME[0] + 1000 * NORTH_1M, HOME[1]) - 1000) < 1
    assert abs(haversine_m(10.762622, 106.660172, 21.028511, 105.804817) / 1000 - 1140) < 15  # HCMC–Hà Nội


def test_pings_inside_are_stored_and_raise_nothing(watched):
    result = pings_record(order=watched, by=signed_link(watched), pings=[ping(10, ago=timedelta(minutes=3)), ping(30, accuracy=5)])
    assert (result.received, result.stored, result.outside, result.alert_id) == (2, 2, 0, None)
    assert LocationPing.objects.filter(order=watched, outside=False).count() == 2
    watched.refresh_from_db()
    assert watched.last_ping_at is not None and not Alert.objects.exists()


def test_a_ping_outside_raises_a_violation_in_the_same_call_and_tells_the_station(watched):
    result = pings_record(order=watched, by=signed_link(watched), pings=[ping(10, ago=timedelta(minutes=2)), ping(400, accuracy=20)])
    assert result.outside == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.id, alert.repeats) == ("violation", "open", result.alert_id, 0)
    assert 390 < alert.detail["distance_m"] < 410 and alert.detail["accuracy_m"] == 20
    sms = Message.objects.get(template_code="quarantine.alert")
    assert sms.to == "0912000111" and "ROI NOI CACH LY" in sms.body and watched.code in sms.body
    # Still outside: the open alert counts the repeats; no new alert, no new message.
    pings_record(order=watched, by=signed_link(watched), pings=[ping(500, ago=timedelta(seconds=30)), ping(600, ago=timedelta(seconds=10))])
    alert.refresh_from_db()
    assert alert.repeats == 2 and Alert.objects.count() == 1 and Message.objects.count() == 1


def test_a_poor_fix_is_not_a_violation(watched):
    # 80 m from home with ± 40 m: could be 40 m from home, inside a 50 m fence.
    assert pings_record(order=watched, by=signed_link(watched), pings=[ping(80, accuracy=40)]).outside == 0
    # 2 km away but ± 900 m: stored, never judged.
    assert pings_record(order=watched, by=signed_link(watched), pings=[ping(2000, accuracy=900, ago=timedelta(seconds=5))]).outside == 0
    # 80 m with ± 20 m is outside for sure.
    assert pings_record(order=watched, by=signed_link(watched), pings=[ping(80, accuracy=20, ago=timedelta(seconds=1))]).outside == 1
    assert LocationPing.objects.count() == 3


def test_after_handling_leaving_again_raises_a_new_alert(watched, staff):
    from lachan.quarantine.monitoring import alert_handle

    pings_record(order=watched, by=signed_link(watched), pings=[ping(400)])
    alert_handle(alert=Alert.objects.get(), by=staff.commune, note="Đã nhắc về nhà")
    pings_record(order=watched, by=signed_link(watched), pings=[ping(400, ago=timedelta(seconds=5))])
    assert list(Alert.objects.order_by("id").values_list("status", flat=True)) == ["handled", "open"]


def test_a_batch_sent_again_is_not_stored_twice(watched):
    batch = [ping(10, ago=timedelta(minutes=2)), ping(20, ago=timedelta(minutes=1))]
    pings_record(order=watched, by=signed_link(watched), pings=batch)
    again = pings_record(order=watched, by=signed_link(watched), pings=batch)
    assert (again.received, again.stored) == (2, 0)
    assert LocationPing.objects.count() == 2


@pytest.mark.parametrize(("bad", "field", "code"), [
    ({"latitude": 91}, "latitude", "quarantine_ping_invalid"),
    ({"latitude": -90.5}, "latitude", "quarantine_ping_invalid"),
    ({"longitude": 180.01}, "longitude", "quarantine_ping_invalid"),
    ({"latitude": float("nan")}, "latitude", "quarantine_ping_invalid"),
    ({"longitude": float("inf")}, "longitude", "quarantine_ping_invalid"),
    ({"latitude": "abc"}, "latitude", "quarantine_ping_invalid"),
    ({"latitude": None}, "latitude", "quarantine_ping_invalid"),
    ({"accuracy_m": 0}, "accuracy_m", "quarantine_ping_invalid"),
    ({"accuracy_m": -5}, "accuracy_m", "quarantine_ping_invalid"),
    ({"at": "later"}, "at", "quarantine_ping_invalid"),
    ({"at": "2021-08-01T08:00:00"}, "at", "quarantine_ping_invalid"),  # no time zone
    ({"future": timedelta(minutes=10)}, "at", "quarantine_ping_in_future"),
    ({"future": -timedelta(days=30)}, "at", "quarantine_ping_invalid"),  # before the order
])
def test_impossible_pings_refuse_the_whole_batch(watched, bad, field, code):
    wrong = ping(10)
    if "future" in bad:
        wrong["at"] = timezone.now() + bad.pop("future")
    wrong.update(bad)
    with pytest.raises(DomainError) as err:
        pings_record(order=watched, by=signed_link(watched), pings=[ping(5, ago=timedelta(minutes=3)), wrong])
    assert err.value.code == code and err.value.field == f"pings[1].{field}"
    assert not LocationPing.objects.exists()
    watched.refresh_from_db()
    assert watched.last_ping_at is None


def test_a_small_clock_skew_is_accepted(watched):
    assert pings_record(order=watched, by=signed_link(watched), pings=[ping(5, ago=-timedelta(seconds=60))]).stored == 1


def test_batch_size_and_empty_batches(watched):
    for pings in ([], [ping(1, ago=timedelta(seconds=i + 1)) for i in range(101)], "x"):
        with pytest.raises(DomainError) as err:
            pings_record(order=watched, by=signed_link(watched), pings=pings)
        assert err.value.code == "quarantine_ping_invalid" and err.value.field == "pings"


def test_pings_need_consent_and_an_order_in_force(units):
    no_consent = make_order(units.commune)
    with pytest.raises(DomainError) as err:
        pings_record(order=no_consent, by=signed_link(no_consent), pings=[ping()])
    assert err.value.code == "quarantine_no_location_consent"
    ended = make_order(units.commune, consent=True, status="released")
    with pytest.raises(DomainError) as err:
        pings_record(order=ended, by=signed_link(ended), pings=[ping()])
    assert err.value.code == "quarantine_not_in_quarantine"
    assert not LocationPing.objects.exists()


def test_the_first_accurate_fix_after_consent_becomes_the_centre(units):
    order = make_order(units.commune, centre=None, consent=True)
    # A poor fix first: stored, not judged, no centre from it.
    first = pings_record(order=order, by=signed_link(order), pings=[ping(0, accuracy=120, ago=timedelta(minutes=5))])
    assert not first.centre_set and first.outside == 0
    second = pings_record(order=order, by=signed_link(order), pings=[ping(0, accuracy=15, ago=timedelta(minutes=4)),
                                              ping(300, accuracy=10, ago=timedelta(minutes=1))])
    order.refresh_from_db()
    assert second.centre_set and abs(order.latitude - HOME[0]) < 1e-9 and second.outside == 1


def test_a_facility_order_is_judged_from_the_facility(units):
    from lachan.geo.models import Place, PlaceKind
    from lachan.quarantine.models import Facility

    place = Place.objects.create(kind=PlaceKind.QUARANTINE_FACILITY, commune=units.commune, name="KTX",
                                 latitude=HOME[0], longitude=HOME[1])
    order = make_order(units.commune, setting="facility", facility=Facility.objects.create(place=place), centre=None,
                       consent=True)
    assert pings_record(order=order, by=signed_link(order), pings=[ping(300)]).outside == 1


def test_consent_given_and_withdrawn(units, staff):
    order = make_order(units.commune)
    location_consent_give(order=order, by=staff.commune)
    assert Order.objects.get(pk=order.pk).location_consent_at is not None
    pings_record(order=order, by=signed_link(order), pings=[ping(5)])
    location_consent_revoke(order=order, by=signed_link(order))
    assert Order.objects.get(pk=order.pk).location_consent_at is None
    assert not LocationPing.objects.exists()  # what was sent is deleted
    with pytest.raises(DomainError) as err:
        location_consent_give(order=order, by=staff.other_commune)
    assert err.value.code == "quarantine_order_not_found"


def test_silent_orders_get_one_alert_per_silence(units, staff):
    now = timezone.now()
    staff.commune.phone = "0912000111"
    staff.commune.save()
    quiet = make_order(units.commune, consent=True)
    Order.objects.filter(pk=quiet.pk).update(last_ping_at=now - timedelta(minutes=61))
    fresh = make_order(units.commune, consent=True)
    Order.objects.filter(pk=fresh.pk).update(last_ping_at=now - timedelta(minutes=30))
    never = make_order(units.commune, consent=True)  # consent 2 h ago, nothing since
    make_order(units.commune)  # no consent: not watched
    Order.objects.filter(pk=make_order(units.commune, consent=True, status="released").pk).update(
        last_ping_at=now - timedelta(hours=5))
    assert silent_raise(now=now) == 2
    assert set(Alert.objects.values_list("order_id", flat=True)) == {quiet.pk, never.pk}
    assert "2 nguoi mat tin hieu" in Message.objects.get(template_code="quarantine.alert_digest").body
    assert silent_raise(now=now + timedelta(minutes=1)) == 0  # still open: nothing new
    # Dealt with and still silent: no new alert for the same silence.
    Alert.objects.update(status="closed")
    assert silent_raise(now=now + timedelta(minutes=2)) == 0
    # Heard from again, then silent again: a new one (and the one that fell silent meanwhile).
    later = now + timedelta(minutes=5)
    pings_record(order=quiet, by=signed_link(quiet), pings=[ping(5, now=later)], now=later)
    assert silent_raise(now=later + timedelta(minutes=60)) == 2
    assert Alert.objects.filter(order=quiet).count() == 2 and Alert.objects.filter(order=never).count() == 1
    assert Alert.objects.filter(order=fresh, status="open").count() == 1


def test_a_ping_after_a_silence_is_noted_on_the_open_alert(units):
    now = timezone.now()
    order = make_order(units.commune, consent=True)
    Order.objects.filter(pk=order.pk).update(last_ping_at=now - timedelta(hours=3))
    silent_raise(now=now)
    order.refresh_from_db()
    pings_record(order=order, by=signed_link(order), pings=[ping(5, now=now)], now=now)
    assert "heard_again_at" in Alert.objects.get().detail


def test_pings_of_ended_orders_are_deleted(units):
    keep = make_order(units.commune, consent=True)
    gone = make_order(units.commune, consent=True)
    pings_record(order=keep, by=signed_link(keep), pings=[ping(5)])
    pings_record(order=gone, by=signed_link(gone), pings=[ping(5)])
    Order.objects.filter(pk=gone.pk).update(status="released")
    assert pings_delete_ended() == 1
    assert list(LocationPing.objects.values_list("order_id", flat=True)) == [keep.pk]


def test_silent_job_is_set_based(units, django_assert_max_num_queries):
    now = timezone.now()
    for _ in range(25):
        make_order(units.commune, consent=True)
    with django_assert_max_num_queries(5):
        assert silent_raise(now=now, notify=False) == 25
