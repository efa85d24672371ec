"""Daily check-ins, telling the person their order, the missed check-in and test due jobs."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lachan.accounts.actors import signed_link
from lachan.accounts.models import AuditEvent
from lachan.core.errors import DomainError, PermissionDenied, ValidationFailed
from lachan.notifications.models import Message
from lachan.quarantine import links
from lachan.quarantine.models import Alert, AlertKind, AlertStatus, Order, RequiredTest, SymptomReport
from lachan.quarantine.monitoring import order_notify, reports_missed_raise, symptom_report_record
from lachan.quarantine.monitoring import services as monitoring

from .monitoring_fixtures import *  # noqa: F403 (the order fixtures)
from .monitoring_fixtures import make_order, make_person

pytestmark = pytest.mark.django_db


def _local(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute))


def test_a_plain_check_in_is_kept_and_not_alarming(order):
    report = symptom_report_record(order=order, by=signed_link(order), source="self", temperature_c="36,8", cough=True, spo2=98)
    assert report.temperature_c == Decimal("36.8") and report.cough and not report.alarming and not report.fever
    order.refresh_from_db()
    assert order.last_report_on == timezone.localdate()
    assert not Alert.objects.exists()
    assert AuditEvent.objects.filter(object_type="quarantine_report", person_id=order.person_id,
                                     action="create").exists()


@pytest.mark.parametrize("readings", [
    {"temperature_c": 38.0}, {"fever": True}, {"breathing_difficulty": True}, {"spo2": 95},
])
def test_alarming_readings_raise_a_symptoms_alert_at_once(order, staff, readings):
    staff.commune.phone, staff.commune.email = "0912000111", "tram@example.vn"
    staff.commune.save()
    report = symptom_report_record(order=order, by=signed_link(order), source="app", **readings)
    assert report.alarming
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.commune_id, alert.report_id) == ("symptoms", "open", order.commune_id,
                                                                             report.pk)
    # The commune station is told through the outbox: an SMS and an e-mail.
    assert set(Message.objects.values_list("channel", "to")) == {("sms", "0912000111"), ("email", "tram@example.vn")}
    assert "TRIEU CHUNG" in Message.objects.get(channel="sms").body


def test_a_second_alarming_check_in_adds_to_the_open_alert(order):
    symptom_report_record(order=order, by=signed_link(order), source="self", temperature_c=38.5)
    second = symptom_report_record(order=order, by=signed_link(order), source="self", spo2=90)
    alert = Alert.objects.get()
    assert alert.repeats == 1 and alert.report_id == second.pk and alert.detail["spo2"] == 90


def test_the_staff_record_a_check_in_after_a_call(order, staff):
    report = symptom_report_record(order=order, source="staff", temperature_c=37.2, by=staff.commune)
    assert report.recorded_by == staff.commune and report.source == "staff"


def test_who_may_record_a_check_in(order, staff, make_user, units):
    from lachan.accounts.roles import Role

    with pytest.raises(DomainError) as err:  # staff of another commune: the order does not exist for them
        symptom_report_record(order=order, source="staff", by=staff.other_commune)
    assert err.value.code == "quarantine_order_not_found"
    with pytest.raises(DomainError):  # staff claiming the person reported themselves
        symptom_report_record(order=order, source="self", by=staff.commune)
    with pytest.raises(DomainError):  # the person claiming to be staff
        symptom_report_record(order=order, by=signed_link(order), source="staff")
    lab = make_user(Role.LAB_STAFF)
    with pytest.raises(PermissionDenied):
        symptom_report_record(order=order, source="staff", by=lab)
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(DomainError):  # a citizen who is not the person
        symptom_report_record(order=order, source="app", by=citizen)
    order.person.account = citizen
    order.person.save()
    assert symptom_report_record(order=order, source="app", by=citizen).recorded_by is None
    assert not SymptomReport.objects.filter(recorded_by__isnull=False).exists()


@pytest.mark.parametrize(("readings", "field"), [
    ({"temperature_c": 45}, "temperature_c"), ({"temperature_c": "33.9"}, "temperature_c"),
    ({"temperature_c": "abc"}, "temperature_c"), ({"temperature_c": "NaN"}, "temperature_c"),
    ({"temperature_c": True}, "temperature_c"), ({"spo2": 49}, "spo2"), ({"spo2": 101}, "spo2"),
    ({"spo2": "x"}, "spo2"), ({"spo2": 97.5}, "spo2"), ({"other": "x" * 301}, "other"),
    ({"source": "robot"}, "source"),
])
def test_impossible_readings_are_refused_and_nothing_is_saved(order, readings, field):
    kwargs = {"source": "self", **readings}
    with pytest.raises(DomainError) as err:
        symptom_report_record(order=order, by=signed_link(order), **kwargs)
    assert err.value.code == "quarantine_report_invalid" and err.value.field == field
    assert not SymptomReport.objects.exists() and not Alert.objects.exists()
    order.refresh_from_db()
    assert order.last_report_on is None


def test_several_mistakes_are_told_together(order):
    with pytest.raises(ValidationFailed) as err:
        symptom_report_record(order=order, by=signed_link(order), source="self", temperature_c=50, spo2=20)
    assert {e.field for e in err.value.errors} == {"temperature_c", "spo2"}


def test_the_day_must_be_within_the_order_and_not_in_the_future(order):
    today = timezone.localdate()
    for day in (today + timedelta(days=1), order.starts_on - timedelta(days=1)):
        with pytest.raises(DomainError) as err:
            symptom_report_record(order=order, by=signed_link(order), source="self", on=day)
        assert err.value.field == "on"
    # A day missed earlier may be caught up; the last report day does not go backwards.
    symptom_report_record(order=order, by=signed_link(order), source="self", on=today)
    symptom_report_record(order=order, by=signed_link(order), source="self", on=order.starts_on)
    order.refresh_from_db()
    assert order.last_report_on == today


def test_no_check_in_for_someone_not_in_quarantine(units):
    ended = make_order(units.commune, status="released")
    with pytest.raises(DomainError) as err:
        symptom_report_record(order=ended, by=signed_link(ended), source="self")
    assert err.value.code == "quarantine_not_in_quarantine"
    assert not SymptomReport.objects.exists()


def test_a_late_check_in_closes_the_days_missed_alert(order):
    today = timezone.localdate()
    Alert.objects.create(kind="missed_report", order=order, commune=order.commune, raised_at=timezone.now(),
                         about_on=today)
    symptom_report_record(order=order, by=signed_link(order), source="self")
    alert = Alert.objects.get()
    assert alert.status == "closed" and alert.closed_at and alert.closed_by is None


# ---- telling the person ---------------------------------------------------------------------------------------

def test_order_tell_queues_an_ascii_sms_with_the_signed_link(order, staff):
    message = order_notify(order=order, by=staff.commune, base_url="https://lachan.example.vn/")
    assert message.channel == "sms" and message.to == order.person.phone and message.person_id == order.person_id
    assert message.body.isascii()
    token = links.link_token(order)
    assert f"https://lachan.example.vn/quarantine/p/{token}/" in message.body
    assert order.code in message.body and order.ends_on.strftime("%d/%m/%Y") in message.body
    assert links.link_order(token).pk == order.pk


def test_order_tell_refuses_what_it_cannot_do(units, staff, order):
    no_phone = make_order(units.commune)
    with pytest.raises(DomainError) as err:
        order_notify(order=no_phone, by=staff.commune)
    assert err.value.code == "quarantine_no_phone"
    with pytest.raises(DomainError) as err:
        order_notify(order=order, by=staff.other_commune)
    assert err.value.code == "quarantine_order_not_found"
    ended = make_order(units.commune, person=make_person(units.commune, phone="0903333333"), status="released")
    with pytest.raises(DomainError) as err:
        order_notify(order=ended, by=staff.commune)
    assert err.value.code == "quarantine_order_not_active"
    assert not Message.objects.exists()


def test_forged_or_broken_links_are_refused(order):
    token = links.link_token(order)
    for bad in ("", "abc", token[:-1] + ("A" if token[-1] != "A" else "B"), token.split(".")[0], "x" * 200,
                "é." + token.split(".")[1], f"{token}.extra"):
        with pytest.raises(DomainError) as err:
            links.link_order(bad)
        assert err.value.code == "quarantine_link_invalid"
    assert links.link_order(f"https://x.vn/quarantine/p/{token}/").pk == order.pk


# ---- the daily jobs --------------------------------------------------------------------------------------------

def test_missed_check_ins_are_raised_once_after_report_by(units, staff):
    staff.commune.phone = "0912000111"
    staff.commune.save()
    today = timezone.localdate()
    silent = make_order(units.commune)
    reported = make_order(units.commune)
    symptom_report_record(order=reported, by=signed_link(reported), source="self")
    make_order(units.commune, setting="facility", facility=_facility(units))  # the facility's staff check
    make_order(units.commune, status="released")
    new = make_order(units.commune)
    Order.objects.filter(pk=new.pk).update(created_at=timezone.now())  # made today: not counted yet
    future = make_order(units.commune, starts_on=today + timedelta(days=2))
    assert reports_missed_raise(now=_local(today, 19, 59)) == 0  # before 20:00
    assert reports_missed_raise(now=_local(today, 20, 0)) == 1
    alert = Alert.objects.get()
    assert (alert.order_id, alert.kind, alert.about_on, alert.commune_id, alert.status) == (
        silent.pk, "missed_report", today, units.commune.pk, "open")
    assert reports_missed_raise(now=_local(today, 20, 15)) == 0  # idempotent
    assert Alert.objects.count() == 1 and future.pk != alert.order_id
    digest = Message.objects.get(template_code="quarantine.alert_digest")
    assert digest.to == "0912000111" and "1 nguoi chua khai bao" in digest.body


def _facility(units):
    from lachan.geo.models import Place, PlaceKind
    from lachan.quarantine.models import Facility

    place = Place.objects.create(kind=PlaceKind.QUARANTINE_FACILITY, commune=units.commune, name="Khu cách ly KTX",
                                 latitude=10.37, longitude=106.37)
    return Facility.objects.create(place=place)


def test_tests_due_today_raise_one_alert_each(units):
    today = timezone.localdate()
    due = make_order(units.commune)
    RequiredTest.objects.create(order=due, day=4, due_on=today)
    RequiredTest.objects.create(order=due, day=7, due_on=today + timedelta(days=3))
    done = make_order(units.commune)
    RequiredTest.objects.create(order=done, day=4, due_on=today, status="sampled")
    ended = make_order(units.commune, status="ended_early")
    RequiredTest.objects.create(order=ended, day=4, due_on=today)
    old = make_order(units.commune)
    RequiredTest.objects.create(order=old, day=1, due_on=today - timedelta(days=5))
    assert monitoring.tests_due_raise(now=_local(today, 6)) == 1
    assert monitoring.tests_due_raise(now=_local(today, 7)) == 0
    alert = Alert.objects.get()
    assert (alert.order_id, alert.kind, alert.about_on) == (due.pk, AlertKind.TEST_DUE, today)


def test_jobs_are_set_based(units, django_assert_max_num_queries):
    today = timezone.localdate()
    for _ in range(30):
        order = make_order(units.commune)
        RequiredTest.objects.create(order=order, day=4, due_on=today)
    with django_assert_max_num_queries(12):
        assert reports_missed_raise(now=_local(today, 21), notify=False) == 30
    with django_assert_max_num_queries(6):
        assert monitoring.tests_due_raise(now=_local(today, 6), notify=False) == 30
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 60


def test_staff_of_another_commune_cannot_record(other_order, staff):
    with pytest.raises(DomainError) as err:
        symptom_report_record(order=other_order, source="staff", by=staff.commune)
    assert err.value.code == "quarantine_order_not_found" and not SymptomReport.objects.exists()
