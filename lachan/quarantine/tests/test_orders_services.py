"""Orders (issue 5): the seeded policy versions, a province's own version, creating orders from the policy in
force (dates, tests, radius, facility rooms and beds), the refusals (nothing half-saved), extending, moving,
ending early, releasing, many orders at once, and facilities and rooms."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.models import Policy
from lachan.core.policies import policy_in_force, policy_supersede
from lachan.people.models import Person
from lachan.quarantine import facilities as facility_services
from lachan.quarantine import orders as order_services
from lachan.quarantine.facilities import peak
from lachan.quarantine.models import (
    Alert,
    Facility,
    LocationPing,
    Order,
    OrderEvent,
    OrderStatus,
    RequiredTest,
)
from lachan.quarantine.models import (
    TestStatus as RequiredTestStatus,
)
from lachan.quarantine.orders import OrderIn
from lachan.quarantine.policy import validate_rules
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403
from lachan.quarantine.tests.orders_fixtures import EXERCISE_RULES

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def days(n):
    return timedelta(days=n)


def home(person, by, **kwargs):
    args = {"kind": "quarantine", "setting": "home", "starts_on": TODAY(), "exposed_on": TODAY() - days(1)}
    args.update(kwargs)
    return order_services.order_create(person=person, by=by, **args)


# ---- policies -----------------------------------------------------------------------------------------

def test_seeded_versions_follow_each_other_and_validate():
    versions = list(Policy.objects.filter(kind="quarantine").order_by("valid_from"))
    assert [v.version for v in versions] == [
        "2020-03 (14 days at home)", "2021-05 (21 days facility + 7 home)", "2021-07 (14 days facility + 14 home)",
        "11042/BYT-DP (12/2021)", "2022-02 (5 or 7 days)", "1909/BYT-DP (04/2022)"]
    for before, after in zip(versions, versions[1:], strict=False):
        assert before.valid_to + days(1) == after.valid_from
    assert versions[-1].valid_to is None and versions[-1].rules["quarantine"] is None
    assert all(validate_rules(v.rules) == [] for v in versions)
    assert all(v.source for v in versions)
    dec = policy_in_force("quarantine", date(2021, 12, 20)).rules["quarantine"]
    assert (dec["vaccinated"]["days"], dec["vaccinated"]["test_days"], dec["none"]["days"]) == (7, [1, 7], 14)
    may = policy_in_force("quarantine", date(2021, 6, 1)).rules["quarantine"]["none"]
    assert (may["days"], may["facility_days"], may["test_days"]) == (28, 21, [1, 14, 20])


def test_a_province_supersedes_the_open_ended_version(staff):
    today = TODAY()
    old = Policy.objects.get(kind="quarantine", valid_to__isnull=True)
    with pytest.raises(DomainError) as bad:
        policy_supersede(kind="quarantine", version="x", valid_from=today, rules={"quarantine": {}}, by=staff.province)
    assert bad.value.code == "policy_rules"
    old.refresh_from_db()
    assert old.valid_to is None  # a refused version changes nothing
    with pytest.raises(DomainError) as bad:
        policy_supersede(kind="quarantine", version="x", valid_from=old.valid_from, rules=EXERCISE_RULES)
    assert bad.value.code == "policy_dates"
    with pytest.raises(DomainError) as bad:
        policy_supersede(kind="quarantine", version=old.version, valid_from=today, rules=EXERCISE_RULES)
    assert bad.value.code == "policy_version"
    new = policy_supersede(kind="quarantine", version="TG 2026", valid_from=today, rules=EXERCISE_RULES,
                           by=staff.province)
    old.refresh_from_db()
    assert old.valid_to == today - days(1) and new.valid_to is None
    assert policy_in_force("quarantine", today).pk == new.pk
    assert policy_in_force("quarantine", today - days(1)).pk == old.pk
    with pytest.raises(DomainError) as bad:  # the new version starts today: nothing to cut before it
        policy_supersede(kind="quarantine", version="TG 2026b", valid_from=today - days(3), rules=EXERCISE_RULES)
    assert bad.value.code == "policy_overlap"


# ---- creating an order -------------------------------------------------------------------------------

def test_home_quarantine_from_the_policy_in_force(exercise, people, staff, units):
    person = people.here[0]
    exposed = TODAY() - days(2)
    order = home(person, staff.commune, exposed_on=exposed, latitude=10.35, longitude=106.37)
    assert order.starts_on == TODAY() and order.ends_on == exposed + days(13)  # day 1 is the exposure
    assert order.policy_id == exercise.pk and order.geofence_radius_m == 80
    assert (order.commune, order.address, order.status) == (units.commune, "1 Lê Lợi", OrderStatus.ACTIVE)
    assert order.code.startswith(f"QD-{units.commune.code}-{TODAY():%y%m%d}-") and order.code.endswith("00001")
    tests = list(order.tests.order_by("day").values_list("day", "due_on", "status"))
    # Day 1's test is past: due at once, on the first day of the order.
    assert tests == [(1, TODAY(), "planned"), (7, exposed + days(6), "planned"), (14, exposed + days(13), "planned")]
    event = OrderEvent.objects.get(order=order)
    assert event.kind == "created" and event.by == staff.commune and event.detail["after"]["ends_on"] == str(
        order.ends_on)
    assert AuditEvent.objects.filter(action="order.create", person_id=person.pk, actor=staff.commune).exists()
    second = home(people.here[1], staff.commune, immunity="vaccinated")
    assert second.code.endswith("00002") and second.ends_on == TODAY() - days(1) + days(6)
    assert list(second.tests.values_list("day", flat=True).order_by("day")) == [1, 7]


def test_isolation_counts_from_the_first_day(exercise, people, staff):
    order = order_services.order_create(person=people.here[0], kind="isolation", setting="home", starts_on=TODAY(),
                                  by=staff.commune)
    assert order.ends_on == TODAY() + days(9)
    assert list(order.tests.values_list("day", "due_on")) == [(10, TODAY() + days(9))]


def test_a_historic_facility_then_home_regime(people, staff, facilities):
    # 05/2021: 21 days in a facility then 7 at home, tests on days 1, 14 and 20, day 1 the exposure.
    order = order_services.order_create(person=people.here[0], kind="quarantine", setting="facility",
                                  starts_on=date(2021, 6, 2), exposed_on=date(2021, 6, 1), facility=facilities.camp,
                                  room=facilities.room_a, by=staff.district, today=date(2021, 6, 2))
    assert (order.ends_on, order.home_from) == (date(2021, 6, 28), date(2021, 6, 22))
    assert order.policy.version == "2021-05 (21 days facility + 7 home)"
    assert list(order.tests.values_list("day", "due_on").order_by("day")) == [
        (1, date(2021, 6, 2)), (14, date(2021, 6, 14)), (20, date(2021, 6, 20))]
    assert (order.latitude, order.longitude, order.address) == (10.36, 106.36, "Quốc lộ 1")


def assert_refused(code, call, *, field=None):
    before = (Order.objects.count(), RequiredTest.objects.count(), OrderEvent.objects.count())
    with pytest.raises(DomainError) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    if field:
        assert raised.value.field == field
    assert (Order.objects.count(), RequiredTest.objects.count(), OrderEvent.objects.count()) == before
    return raised.value


def test_bad_orders_are_refused_and_nothing_is_saved(exercise, people, staff, units, facilities):
    a, b = people.here[0], people.here[1]
    by = staff.commune
    assert_refused("quarantine_dates_invalid", lambda: home(a, by, ends_on=TODAY() - days(1)), field="ends_on")
    assert_refused("quarantine_dates_invalid", lambda: home(a, by, exposed_on=TODAY() + days(1)), field="exposed_on")
    assert_refused("quarantine_dates_invalid", lambda: home(a, by, starts_on=TODAY() - days(1), exposed_on=TODAY()))
    assert_refused("quarantine_dates_invalid", lambda: home(a, by, starts_on=None), field="starts_on")
    assert_refused("quarantine_dates_invalid", lambda: home(a, by, starts_on="2021-01-01"), field="starts_on")
    assert_refused("quarantine_dates_invalid", lambda: home(a, by, starts_on=TODAY() + days(40)))
    # The 14 days counted from an exposure 20 days ago are over.
    refused = assert_refused("quarantine_dates_invalid", lambda: home(a, by, exposed_on=TODAY() - days(20)))
    assert "before this order would start" in str(refused.message)
    assert_refused("quarantine_order_invalid", lambda: home(a, by, kind="curfew"), field="kind")
    assert_refused("quarantine_order_invalid", lambda: home(a, by, immunity="lucky"), field="immunity")
    assert_refused("quarantine_order_invalid", lambda: home(a, by, contact_tier=7), field="contact_tier")
    assert_refused("quarantine_order_invalid", lambda: home(a, by, latitude=91, longitude=0), field="latitude")
    assert_refused("quarantine_order_invalid", lambda: home(a, by, latitude=float("nan"), longitude=1))
    assert_refused("quarantine_order_invalid", lambda: home(a, by, commune=units.other_commune), field="commune")
    assert_refused("quarantine_setting_invalid", lambda: home(a, by, facility=facilities.camp))
    # No policy before 03/2020; none that quarantines contacts after 04/2022 (isolation still is).
    assert_refused("quarantine_policy_missing", lambda: home(a, by, starts_on=date(2020, 1, 20), exposed_on=None,
                                                             today=date(2020, 1, 20)))
    assert_refused("quarantine_policy_missing", lambda: home(a, by, starts_on=date(2022, 5, 2), exposed_on=None,
                                                             today=date(2022, 5, 2)), field="kind")
    order_services.order_create(person=b, kind="isolation", setting="home", starts_on=date(2022, 5, 2), by=by,
                          today=date(2022, 5, 2))
    # Outside the jurisdiction, merged, unknown.
    with pytest.raises(NotFound):
        home(people.far[0], by)
    merged = Person.objects.create(full_name="Bản trùng", commune=units.commune, merged_into=a)
    assert_refused("quarantine_person_not_found", lambda: home(merged, by), field="person")
    with pytest.raises(PermissionDenied):
        home(a, staff.other_commune.__class__.objects.create(username="ioc", role=Role.IOC_OPERATOR,
                                                             jurisdiction_unit=units.province))


def test_one_order_at_a_time_per_person(exercise, people, staff):
    person, by = people.here[0], staff.commune
    first = home(person, by)
    refused = assert_refused("quarantine_order_overlaps", lambda: home(person, by, starts_on=first.ends_on + days(3),
                                                                       exposed_on=None))
    assert first.code in str(refused.message) and refused.params["order_code"] == first.code
    order_services.order_end_early(order=first, reason="Chuyển đi tỉnh khác", by=by)
    # Ended today: a new order may start today (it takes over), not over the days the first one ran.
    with pytest.raises(DomainError) as raised:
        home(person, by, starts_on=TODAY() - days(1), exposed_on=None)
    assert raised.value.code == "quarantine_order_overlaps"
    later = home(person, by, starts_on=TODAY(), exposed_on=None)
    assert later.status == "active"


def test_facility_rooms_and_beds(exercise, people, staff, facilities, units):
    by = staff.district
    camp, room_b = facilities.camp, facilities.room_b

    def place(person, room, **kwargs):
        args = {"starts_on": TODAY(), "exposed_on": TODAY(), **kwargs}
        return order_services.order_create(person=person, kind="quarantine", setting="facility", facility=camp, room=room,
                                     by=by, **args)

    first = place(people.here[0], room_b)
    assert (first.commune, first.facility, first.room) == (units.commune, camp, room_b)
    refused = assert_refused("quarantine_room_full", lambda: place(people.here[1], room_b), field="room")
    assert "no free bed" in str(refused.message)
    # A stay after the first one's end fits.
    later = place(people.here[1], room_b, starts_on=first.ends_on + days(1), exposed_on=None,
                  ends_on=first.ends_on + days(5))
    assert later.room == room_b
    assert_refused("quarantine_room_not_found", lambda: place(people.here[2], None), field="room")
    assert_refused("quarantine_room_not_found", lambda: place(people.here[2], facilities.ward_room), field="room")
    assert_refused("quarantine_setting_invalid", lambda: order_services.order_create(
        person=people.here[2], kind="isolation", setting="facility", starts_on=TODAY(), facility=camp,
        room=facilities.room_a, by=by), field="facility")
    assert_refused("quarantine_setting_invalid", lambda: order_services.order_create(
        person=people.here[2], kind="quarantine", setting="facility", starts_on=TODAY(), exposed_on=TODAY(),
        by=by), field="facility")
    # Another district's officer does not see (nor use) the facility.
    from lachan.accounts.models import User
    other = User.objects.create(username="gocong", role=Role.DISTRICT_OFFICER, jurisdiction_unit=units.other_district)
    with pytest.raises(NotFound):
        order_services.order_create(person=people.far[0], kind="quarantine", setting="facility", starts_on=TODAY(),
                              exposed_on=TODAY(), facility=camp, room=facilities.room_a, by=other)


def test_peak_counts_people_at_once_not_orders_met():
    d = date(2021, 7, 1)
    stays = [(d, d + days(2)), (d + days(3), d + days(5)), (d + days(6), d + days(8))]
    assert peak(stays, d, d + days(8)) == 1
    assert peak(stays + [(d + days(2), d + days(3))], d, d + days(8)) == 2
    assert peak(stays, d + days(9), d + days(20)) == 0


# ---- changing an order ---------------------------------------------------------------------------------

def test_extend(exercise, people, staff, facilities):
    by = staff.commune
    order = home(people.here[0], by)
    assert_refused("quarantine_reason_required", lambda: order_services.order_extend(order=order, ends_on=order.ends_on
                                                                               + days(3), reason="  ", by=by))
    assert_refused("quarantine_dates_invalid", lambda: order_services.order_extend(order=order, ends_on=order.ends_on,
                                                                             reason="x", by=by))
    assert_refused("quarantine_dates_invalid", lambda: order_services.order_extend(
        order=order, ends_on=order.starts_on + days(120), reason="x", by=by))
    with pytest.raises(NotFound):
        order_services.order_extend(order=order, ends_on=order.ends_on + days(3), reason="x", by=staff.other_commune)
    old_end = order.ends_on
    order = order_services.order_extend(order=order, ends_on=old_end + days(7), reason="Sốt ngày 10", by=by)
    assert order.ends_on == old_end + days(7)
    event = order.events.get(kind="extended")
    assert event.note == "Sốt ngày 10" and event.detail == {"before": {"ends_on": str(old_end)},
                                                            "after": {"ends_on": str(old_end + days(7))}}
    assert AuditEvent.objects.filter(action="order.extend", object_id=str(order.pk)).exists()
    # In a one-bed room, the extension needs the bed on the added days.
    stay = order_services.order_create(person=people.here[1], kind="quarantine", setting="facility", starts_on=TODAY(),
                                 exposed_on=TODAY(), facility=facilities.camp, room=facilities.room_b,
                                 by=staff.district)
    order_services.order_create(person=people.here[2], kind="quarantine", setting="facility",
                          starts_on=stay.ends_on + days(1), exposed_on=None,
                          facility=facilities.camp, room=facilities.room_b, ends_on=stay.ends_on + days(5),
                          by=staff.district)
    assert_refused("quarantine_room_full", lambda: order_services.order_extend(order=stay, ends_on=stay.ends_on + days(2),
                                                                         reason="x", by=staff.district))


def test_move_between_home_facility_and_rooms(exercise, people, staff, facilities, units):
    by = staff.district
    order = home(people.here[0], by)
    LocationPing.objects.create(order=order, at=timezone.now(), received_at=timezone.now(), latitude=10.3,
                                longitude=106.3, accuracy_m=10, distance_m=5)
    order = order_services.order_move(order=order, setting="facility", facility=facilities.camp, room=facilities.room_b,
                                reason="Nhà chật", by=by)
    assert (order.setting, order.room, order.latitude) == ("facility", facilities.room_b, 10.36)
    assert not LocationPing.objects.filter(order=order).exists()
    assert order.events.get(kind="moved").detail["after"]["setting"] == "facility"
    other = home(people.here[1], by)
    assert_refused("quarantine_room_full", lambda: order_services.order_move(
        order=other, setting="facility", facility=facilities.camp, room=facilities.room_b, by=by))
    assert_refused("quarantine_setting_invalid", lambda: order_services.order_move(
        order=other, setting="home", by=by))
    assert_refused("quarantine_setting_invalid", lambda: order_services.order_move(
        order=order, setting="facility", facility=facilities.camp, room=facilities.room_b, by=by))
    order = order_services.order_move(order=order, setting="facility", facility=facilities.camp, room=facilities.room_a,
                                by=by)
    assert order.room == facilities.room_a and order.events.filter(kind="room").exists()
    # The one-bed room is free again.
    order_services.order_move(order=other, setting="facility", facility=facilities.camp, room=facilities.room_b, by=by)
    order = order_services.order_move(order=order, setting="home", address="99 Hùng Vương", commune=units.commune2, by=by)
    assert (order.setting, order.facility, order.room, order.commune, order.address, order.latitude) == (
        "home", None, None, units.commune2, "99 Hùng Vương", None)
    assert order.events.count() == 4


def test_end_early_and_release(exercise, people, staff):
    by = staff.commune
    order = home(people.here[0], by, exposed_on=TODAY() - days(8))  # days 1 and 7 past: one test now; 14 to come
    assert list(order.tests.values_list("day", "due_on").order_by("day")) == [(7, TODAY()), (14, TODAY() + days(5))]
    LocationPing.objects.create(order=order, at=timezone.now(), received_at=timezone.now(), latitude=10.3,
                                longitude=106.3, accuracy_m=10, distance_m=5)
    assert_refused("quarantine_reason_required", lambda: order_services.order_end_early(order=order, reason="", by=by))
    assert_refused("quarantine_release_too_early", lambda: order_services.order_release(order=order, by=by), field="on")
    RequiredTest.objects.filter(order=order, day=7).update(due_on=TODAY() - days(1))
    alerts = {kind: Alert.objects.create(kind=kind, order=order, commune=order.commune, raised_at=timezone.now(),
                                         about_on=TODAY() if kind == "missed_report" else None)
              for kind in ("violation", "missed_report", "symptoms")}
    order = order_services.order_end_early(order=order, reason="Xác định là F0", by=by)
    # What meant nothing any more is closed; symptoms stay for someone to see to.
    assert {kind: Alert.objects.get(pk=a.pk).status for kind, a in alerts.items()} == {
        "violation": "closed", "missed_report": "closed", "symptoms": "open"}
    assert Alert.objects.get(pk=alerts["violation"].pk).closed_by == by
    assert (order.status, order.ended_on, order.end_reason, order.ended_by) == (
        "ended_early", TODAY(), "Xác định là F0", by)
    assert not LocationPing.objects.filter(order=order).exists()
    assert dict(order.tests.values_list("day", "status")) == {7: "missed", 14: "cancelled"}
    assert_refused("quarantine_order_not_active", lambda: order_services.order_end_early(order=order, reason="x", by=by))
    assert_refused("quarantine_order_not_active", lambda: order_services.order_extend(order=order, ends_on=TODAY()
                                                                                + days(30), reason="x", by=by))
    due = home(people.here[1], by, starts_on=TODAY() - days(14), exposed_on=TODAY() - days(14),
               today=TODAY() - days(1))  # made yesterday, its last day; not released since
    assert due.ends_on == TODAY() - days(1)
    released = order_services.order_release(order=due, by=by)
    assert (released.status, released.ended_on) == ("released", TODAY())
    assert set(released.tests.values_list("status", flat=True)) <= {"missed", "cancelled"}
    assert released.events.filter(kind="released").exists()


def test_release_many(exercise, people, staff):
    by = staff.commune
    due = [home(p, by, starts_on=TODAY() - days(13), exposed_on=TODAY() - days(13)) for p in people.here[:2]]
    running = home(people.here[2], by)
    results = order_services.orders_release_many(orders=[o.pk for o in due] + [running.pk, "nonsense"], by=by)
    assert [r.error.code if r.error else "ok" for r in results] == [
        "ok", "ok", "quarantine_release_too_early", "quarantine_order_not_found"]
    assert Order.objects.filter(status="released").count() == 2


# ---- many orders at once ----------------------------------------------------------------------------------

def test_many_orders_skip_people_already_in_quarantine(exercise, people, staff):
    by = staff.district
    taken = home(people.here[0], by)
    items = [OrderIn(person=p, kind="quarantine", setting="home", starts_on=TODAY(), exposed_on=TODAY() - days(1),
                     contact_tier=1) for p in [*people.here, *people.near]]
    items.append(OrderIn(person=people.here[1].pk, kind="quarantine", setting="home", starts_on=TODAY()))
    result = order_services.orders_create_many(items=items, by=by)
    assert len(result.created) == 6
    assert [(s.index, s.order_code) for s in result.skipped] == [(0, taken.code), (7, "")]
    assert "already has order" in result.skipped[0].message
    codes = sorted(c.code for c in result.created)
    assert len(set(codes)) == 6 and Order.objects.filter(status="active").count() == 7
    assert RequiredTest.objects.filter(order_id__in=[c.order_id for c in result.created]).count() == 18
    assert OrderEvent.objects.filter(kind="created").count() == 7
    assert AuditEvent.objects.filter(action="order.create", object_type="person").count() == 6
    assert {c.index for c in result.created} == {1, 2, 3, 4, 5, 6}
    again = order_services.orders_create_many(items=items, by=by)
    assert again.created == [] and len(again.skipped) == 8


def test_a_bad_item_refuses_the_whole_batch(exercise, people, staff):
    items = [OrderIn(person=p, kind="quarantine", setting="home", starts_on=TODAY()) for p in people.here]
    items[3].ends_on = TODAY() - days(2)
    items.append(OrderIn(person=people.far[0], kind="quarantine", setting="home", starts_on=TODAY()))
    with pytest.raises(ValidationFailed) as raised:
        order_services.orders_create_many(items=items, by=staff.commune)
    assert [(e.code, e.params["index"]) for e in raised.value.errors] == [
        ("quarantine_dates_invalid", 3), ("quarantine_person_not_found", 5)]
    assert Order.objects.count() == 0 and OrderEvent.objects.count() == 0
    with pytest.raises(DomainError):
        order_services.orders_create_many(items="not a list", by=staff.commune)


def test_many_orders_in_one_room_respect_its_beds(exercise, people, staff, facilities):
    items = [OrderIn(person=p, kind="quarantine", setting="facility", starts_on=TODAY(), exposed_on=TODAY(),
                     facility=facilities.camp, room=facilities.room_a) for p in people.here[:3]]
    with pytest.raises(ValidationFailed) as raised:
        order_services.orders_create_many(items=items, by=staff.district)
    assert [(e.code, e.params["index"]) for e in raised.value.errors] == [("quarantine_room_full", 2)]
    assert order_services.orders_create_many(items=items[:2], by=staff.district).created


def test_tests_marked_sampled(exercise, people, staff):
    order = home(people.here[0], staff.commune, exposed_on=TODAY() - days(6))  # day 7 due today
    marked = order_services.tests_mark_sampled(swabs=[(people.here[0].pk, None, TODAY()), (people.here[1].pk, None, TODAY())])
    assert marked == 1
    assert dict(order.tests.values_list("day", "status")) == {7: "sampled", 14: "planned"}
    assert order_services.tests_mark_sampled(swabs=[]) == 0


def test_due_summary_job_marks_old_tests_missed(exercise, people, staff):
    order = home(people.here[0], staff.commune)
    RequiredTest.objects.filter(order=order, day=1).update(due_on=TODAY() - days(3))
    assert order_services.orders_due_summary() == "0 orders due for release; 1 tests marked missed"
    assert order.tests.get(day=1).status == RequiredTestStatus.MISSED


# ---- facilities -----------------------------------------------------------------------------------------

def test_facilities_and_rooms(staff, units, exercise, people):
    camp = facility_services.facility_create(name="  Ký túc xá   Đại học ", commune=units.commune.code, by=staff.commune)
    assert camp.place.name == "Ký túc xá Đại học" and camp.place.kind == "quarantine_facility"
    with pytest.raises(DomainError) as raised:
        facility_services.facility_create(name="x", commune=units.other_commune, by=staff.commune)
    assert raised.value.field == "commune"
    with pytest.raises(DomainError):
        facility_services.facility_create(name="", commune=units.commune, by=staff.commune)
    room = facility_services.room_create(facility=camp, name="101", beds=2, by=staff.commune)
    with pytest.raises(DomainError) as raised:
        facility_services.room_create(facility=camp, name="101", beds=2, by=staff.commune)
    assert raised.value.code == "quarantine_room_invalid"
    for beds in (0, 501, "many", True):
        with pytest.raises(DomainError):
            facility_services.room_create(facility=camp, name="102", beds=beds, by=staff.commune)
    for person in people.here[:2]:
        order_services.order_create(person=person, kind="quarantine", setting="facility", starts_on=TODAY(),
                              exposed_on=TODAY(), facility=camp, room=room, by=staff.commune)
    with pytest.raises(DomainError) as raised:
        facility_services.room_update(room=room, beds=1, by=staff.commune)
    assert raised.value.code == "quarantine_room_full"
    assert facility_services.room_update(room=room, name="101A", beds=4, by=staff.commune).beds == 4
    with pytest.raises(DomainError):
        facility_services.facility_update(facility=camp, for_isolation=True, by=staff.commune)
    camp = facility_services.facility_update(facility=camp, is_active=False, notes="Đóng cửa", by=staff.commune)
    assert not Facility.objects.get(pk=camp.pk).is_active
    # The other commune's station sees the district's facilities but may not change them.
    with pytest.raises(NotFound):
        facility_services.room_create(facility=camp, name="9", beds=1, by=staff.other_commune)
    commune2_station = staff.commune.__class__.objects.create(username="c2", role=Role.COMMUNE_STATION,
                                                              jurisdiction_unit=units.commune2)
    with pytest.raises(PermissionDenied):
        facility_services.room_create(facility=camp, name="9", beds=1, by=commune2_station)


def test_release_on_the_last_day_counts_its_test_not_taken_as_missed(exercise, people, staff):
    by = staff.commune
    order = home(people.here[2], by, starts_on=TODAY() - days(13), exposed_on=TODAY() - days(13))
    assert order.ends_on == TODAY() and order.tests.get(day=14).due_on == TODAY()
    released = order_services.order_release(order=order, by=by)
    assert released.tests.get(day=14).status == "missed"  # not "not needed": the exit test was not taken



def test_the_pages_entry_points_open_their_own_transaction(staff, units, exercise, people):
    """Issue 13 (B.5): an entry point called inside another transaction fails loudly (durable), instead of making
    its commit, and what it tells after the commit, depend on an outer block."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        facility_services.facility_create(name="Ký túc xá", commune=units.commune, by=staff.commune)
    camp = facility_services.facility_create(name="Ký túc xá", commune=units.commune, by=staff.commune)
    assert camp.place.name == "Ký túc xá"
