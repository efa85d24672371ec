"""The alert queue: raising (idempotent), transitions with who and when, jurisdiction, the overview."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.notifications.models import Message
from lachan.quarantine.models import Alert, RequiredTest
from lachan.quarantine.monitoring import selectors
from lachan.quarantine.monitoring.alerts import (
    alert_acknowledge,
    alert_actions,
    alert_close,
    alert_handle,
    alert_raise,
    alert_transition,
)

from .monitoring_fixtures import *  # noqa: F403 (the order fixtures)
from .monitoring_fixtures import make_order, make_person

pytestmark = pytest.mark.django_db


def test_raising_is_idempotent_per_kind(order):
    today = timezone.localdate()
    first, new = alert_raise(order=order, kind="missed_report", about_on=today)
    again, new_again = alert_raise(order=order, kind="missed_report", about_on=today)
    assert new and not new_again and first.pk == again.pk
    v1, _ = alert_raise(order=order, kind="violation", detail={"distance_m": 100})
    v2, new_v2 = alert_raise(order=order, kind="violation", count=3, detail={"distance_m": 200})
    assert not new_v2 and v1.pk == v2.pk and v2.repeats == 3 and v2.detail["distance_m"] == 200
    assert Alert.objects.count() == 2
    with pytest.raises(ValueError):
        alert_raise(order=order, kind="test_due")  # a day is needed
    with pytest.raises(ValueError):
        alert_raise(order=order, kind="nonsense")


def test_a_new_alert_goes_to_every_station_account_of_the_commune(order, staff, make_user, units):
    staff.commune.phone, staff.commune.email = "0912000111", "tram1@example.vn"
    staff.commune.save()
    make_user(Role.COMMUNE_STATION, unit=units.commune, phone="0912000222", language="en")
    make_user(Role.COMMUNE_STATION, unit=units.commune, phone="0912000333", is_active=False)
    staff.other_commune.phone = "0912000444"
    staff.other_commune.save()
    alert_raise(order=order, kind="violation", detail={"distance_m": 140.0, "accuracy_m": 12.0})
    sent = {(m.channel, m.to, m.language) for m in Message.objects.all()}
    assert sent == {("sms", "0912000111", "vi"), ("email", "tram1@example.vn", "vi"), ("sms", "0912000222", "en")}
    english = Message.objects.get(to="0912000222")
    assert "LEFT QUARANTINE" in english.body and "140 m" in english.body and english.body.isascii()
    mail = Message.objects.get(channel="email")
    assert "rời nơi cách ly" in mail.subject and "Rời nơi cách ly" in mail.body and order.person.full_name in mail.body


def test_a_bad_station_address_does_not_lose_the_alert(order, staff):
    staff.commune.phone = "12345"  # not a mobile number
    staff.commune.save()
    alert, new = alert_raise(order=order, kind="violation")
    assert new and Alert.objects.filter(pk=alert.pk).exists() and not Message.objects.exists()


def test_transitions_keep_who_and_when(order, staff):
    alert, _ = alert_raise(order=order, kind="symptoms", detail={"temperature_c": "39.0"})
    assert alert_actions(alert) == ["acknowledge", "handle", "close"]
    alert = alert_acknowledge(alert=alert, by=staff.commune)
    assert alert.status == "acknowledged" and alert.acknowledged_by == staff.commune and alert.acknowledged_at
    assert alert_actions(alert) == ["handle", "close"]
    alert = alert_handle(alert=alert, by=staff.district, note="Đã gọi, chuyển viện")
    assert (alert.status, alert.handled_by, alert.note) == ("handled", staff.district, "Đã gọi, chuyển viện")
    alert = alert_close(alert=alert, by=staff.province)
    assert alert.status == "closed" and alert.closed_by == staff.province and alert.note == "Đã gọi, chuyển viện"
    assert alert_actions(alert) == []
    events = AuditEvent.objects.filter(object_type="quarantine_alert", person_id=order.person_id)
    assert [e.detail["to"] for e in events.order_by("at", "id")] == ["acknowledged", "handled", "closed"]


def test_invalid_transitions_are_refused(order, staff):
    alert, _ = alert_raise(order=order, kind="violation")
    alert_close(alert=alert, by=staff.commune)
    for action in ("acknowledge", "handle", "close"):
        with pytest.raises(DomainError) as err:
            alert_transition(alert=alert, action=action, by=staff.commune)
        assert err.value.code == "quarantine_alert_transition"
    with pytest.raises(DomainError) as err:
        alert_transition(alert=alert, action="delete", by=staff.commune)
    assert err.value.code == "quarantine_alert_transition"
    second, _ = alert_raise(order=order, kind="violation")
    alert_handle(alert=second, by=staff.commune)
    with pytest.raises(DomainError):
        alert_acknowledge(alert=second, by=staff.commune)  # handled cannot go back
    with pytest.raises(DomainError) as err:
        alert_acknowledge(alert=alert_raise(order=order, kind="silent")[0], by=staff.commune, note="x" * 501)
    assert err.value.field == "note"


def test_a_stale_button_does_not_win(order, staff):
    alert, _ = alert_raise(order=order, kind="violation")
    stale = Alert.objects.get(pk=alert.pk)
    alert_handle(alert=alert, by=staff.commune)
    with pytest.raises(DomainError):  # another person's page still showed it open
        alert_acknowledge(alert=stale, by=staff.district)
    assert Alert.objects.get(pk=alert.pk).status == "handled"


def test_who_may_deal_with_an_alert(order, staff, make_user, units):
    alert, _ = alert_raise(order=order, kind="violation")
    with pytest.raises(DomainError) as err:
        alert_acknowledge(alert=alert, by=staff.other_commune)
    assert err.value.code == "quarantine_alert_not_found"
    with pytest.raises(PermissionDenied):
        alert_acknowledge(alert=alert, by=make_user(Role.LAB_STAFF))
    ioc = make_user(Role.IOC_OPERATOR, unit=units.province)
    assert alert_acknowledge(alert=alert, by=ioc).acknowledged_by == ioc


def test_the_queue_is_scoped_and_filtered(order, other_order, staff, make_user, units):
    mine, _ = alert_raise(order=order, kind="violation")
    alert_raise(order=order, kind="missed_report", about_on=timezone.localdate())
    theirs, _ = alert_raise(order=other_order, kind="symptoms")
    assert set(selectors.alert_list(user=staff.commune)) == {mine, Alert.objects.get(kind="missed_report")}
    assert set(selectors.alert_list(user=staff.other_commune)) == {theirs}
    assert selectors.alert_list(user=staff.district).count() == 2  # Mỹ Tho only
    ioc = make_user(Role.IOC_OPERATOR, unit=units.province)
    assert selectors.alert_list(user=ioc).count() == 3
    assert list(selectors.alert_list(user=ioc, kind="symptoms")) == [theirs]
    alert_close(alert=mine, by=staff.commune)
    assert mine not in selectors.alert_list(user=staff.commune)
    assert list(selectors.alert_list(user=staff.commune, status="closed")) == [Alert.objects.get(pk=mine.pk)]
    assert selectors.alert_list(user=staff.commune, status="all").count() == 2
    assert list(selectors.alert_list(user=ioc, query=other_order.code)) == [theirs]
    with pytest.raises(NotFound):
        selectors.alert_get(user=staff.commune, alert_id=theirs.pk)
    with pytest.raises(NotFound):
        selectors.alert_get(user=staff.commune, alert_id="abc")
    with pytest.raises(PermissionDenied):
        selectors.alert_list(user=make_user(Role.LAB_STAFF))
    with pytest.raises(PermissionDenied):
        selectors.alert_list(user=make_user(Role.CITIZEN))


def test_the_fingerprint_changes_with_what_is_shown(order, staff):
    alert, _ = alert_raise(order=order, kind="violation")
    before = selectors.alerts_fingerprint(list(selectors.alert_list(user=staff.commune)))
    assert before == selectors.alerts_fingerprint(list(selectors.alert_list(user=staff.commune)))
    alert_raise(order=order, kind="violation")  # a repeat
    repeat = selectors.alerts_fingerprint(list(selectors.alert_list(user=staff.commune)))
    alert_acknowledge(alert=alert, by=staff.commune)
    acked = selectors.alerts_fingerprint(list(selectors.alert_list(user=staff.commune)))
    assert len({before, repeat, acked}) == 3


def test_the_overview_counts_per_commune(units, staff, make_user, django_assert_max_num_queries):
    from lachan.geo.models import Place, PlaceKind
    from lachan.quarantine.models import Facility

    today = timezone.localdate()
    facility = Facility.objects.create(place=Place.objects.create(kind=PlaceKind.QUARANTINE_FACILITY,
                                                                  commune=units.commune, name="KTX"))
    a = make_order(units.commune)
    make_order(units.commune, starts_on=today - timedelta(days=13))  # last day today: due for release
    make_order(units.commune, setting="facility", facility=facility)
    make_order(units.commune, kind="isolation", days=10)
    make_order(units.commune, status="released")
    make_order(units.commune2, kind="isolation", setting="facility", facility=facility)
    b = make_order(units.other_commune)
    RequiredTest.objects.create(order=a, day=4, due_on=today)
    RequiredTest.objects.create(order=b, day=4, due_on=today)
    alert_raise(order=a, kind="violation")
    alert_raise(order=a, kind="missed_report", about_on=today)
    with django_assert_max_num_queries(8):
        data = selectors.overview(user=staff.district, hide_empty=True)
    rows = {r.commune.pk: r for r in data.rows}
    assert set(rows) == {units.commune.pk, units.commune2.pk}  # communes with nobody are hidden
    r = rows[units.commune.pk]
    assert (r.quarantine_home, r.quarantine_facility, r.isolation_home, r.isolation_facility) == (2, 1, 1, 0)
    assert (r.release_due, r.tests_due, r.open_alerts, r.people) == (1, 1, 2, 4)
    assert r.alerts_by_kind == {"violation": 1, "missed_report": 1}
    assert rows[units.commune2.pk].isolation_facility == 1
    assert (data.total.people, data.total.open_alerts, data.total.tests_due) == (5, 2, 1)
    # The commune station: its own row; another commune's station sees its own only.
    assert [x.commune for x in selectors.overview(user=staff.commune).rows] == [units.commune]
    other = selectors.overview(user=staff.other_commune)
    assert other.total.people == 1 and other.total.tests_due == 1
    ioc = make_user(Role.IOC_OPERATOR, unit=units.province)
    assert selectors.overview(user=ioc).total.people == 6
    everyone = selectors.overview(user=ioc)
    assert len(everyone.rows) > 100 and everyone.total.people == 6
    assert selectors.overview(user=ioc, district_id=units.other_district.pk).total.people == 1
    with pytest.raises(PermissionDenied):
        selectors.overview(user=make_user(Role.CITIZEN))
    with pytest.raises(PermissionDenied):
        selectors.overview(user=make_user(Role.LAB_STAFF))


def test_the_order_monitoring_state(units):
    today = timezone.localdate()
    order = make_order(units.commune, person=make_person(units.commune), starts_on=today - timedelta(days=2))
    RequiredTest.objects.create(order=order, day=1, due_on=today - timedelta(days=2), status="done")
    RequiredTest.objects.create(order=order, day=7, due_on=today + timedelta(days=4))
    state = selectors.order_monitoring(order=order)
    assert (state.day, state.days, state.next_test.day, state.reported_today) == (3, 14, 7, False)


def test_the_queue_is_searched_as_people_are(units, staff):
    """Issue 12 item 21: the alert search needed diacritics; it reads names folded, a CCCD and a phone."""
    person = make_person(units.commune, name="Lê Thị Hồng Đào", phone="0911222333")
    person.national_id = "082190000777"
    person.save()
    mine, _ = alert_raise(order=make_order(units.commune, person=person), kind="violation")
    alert_raise(order=make_order(units.commune), kind="violation")
    for query in ("le thi hong dao", "Hồng Đào", "HONG DAO", "082190000777", "0911 222 333", mine.order.code):
        assert list(selectors.alert_list(user=staff.commune, query=query)) == [mine], query
    assert not selectors.alert_list(user=staff.commune, query="hong dao xyz").exists()
    assert not selectors.alert_list(user=staff.commune, query="+1 202 555 0100").exists()


def test_a_temperature_is_written_with_a_decimal_comma_in_vietnamese(units, staff, client):
    """Issue 12 item 23: the queue showed "38.6 °C" (the reading kept as text) in the Vietnamese interface."""
    alert, _ = alert_raise(order=make_order(units.commune), kind="symptoms", detail={"temperature_c": "38.6"})
    client.force_login(staff.commune)
    html = client.get("/quarantine/alerts/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "38,6 °C" in html and "38.6" not in html
    html = client.get("/quarantine/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "38.6 °C" in html


def test_the_alert_sms_writes_numbers_as_its_language_does(units, staff, make_user):
    """Issue 12 item 23: the station's SMS read "38.6 C" in Vietnamese: the shared number helper, per language."""
    staff.commune.phone = "0912000111"
    staff.commune.save()
    make_user(Role.COMMUNE_STATION, unit=units.commune, phone="0912000222", language="en")
    alert_raise(order=make_order(units.commune), kind="symptoms", detail={"temperature_c": "38.6", "spo2": 93})
    vietnamese, english = Message.objects.get(to="0912000111"), Message.objects.get(to="0912000222")
    assert "38,6 °C" in vietnamese.body and "38.6" not in vietnamese.body
    assert "38.6 °C" in english.body
    alert_raise(order=make_order(units.commune), kind="violation", detail={"distance_m": 1400.4, "accuracy_m": 12})
    assert "1.400 m" in Message.objects.filter(to="0912000111").latest("created_at").body


def test_notification_templates_have_the_number_filter_in_their_language(db):
    from lachan.notifications.models import MessageTemplate
    from lachan.notifications.services import template_render

    for language, expected in (("vi", "38,6 °C"), ("en", "38.6 °C")):
        template = MessageTemplate(code="t", channel="sms", language=language, subject="",
                                   body="{{ t|number }} °C")
        assert template_render(template=template, context={"t": 38.6})[1] == expected


def test_an_alert_about_a_case_without_an_order_names_the_case_not_an_order(units, staff, make_user):
    """A case out with no order in force: the station's mail reads "Ca bệnh: F0-…", never "Quyết định:" (the case's
    code is no order number); the SMS gives the bare code, as it gives an order's."""
    staff.commune.phone, staff.commune.email = "0912000111", "tram1@example.vn"
    staff.commune.save()
    make_user(Role.COMMUNE_STATION, unit=units.commune, phone="0912000222", email="station@example.vn",
              language="en")
    alert_raise(person=make_person(units.commune), kind="violation", detail={"case": "F0-000123", "venue": "Cafe"})
    mail = Message.objects.get(channel="email", to="tram1@example.vn")
    assert "Ca bệnh: F0-000123" in mail.body and "Quyết định" not in mail.body
    english = Message.objects.get(channel="email", to="station@example.vn")
    assert "Case: F0-000123" in english.body and "Order:" not in english.body
    assert "(F0-000123)" in Message.objects.get(channel="sms", to="0912000111").body
    assert "(F0-000123)" in Message.objects.get(channel="sms", to="0912000222").body
    # With an order, the order's number as before.
    order = make_order(units.commune)
    alert_raise(order=order, kind="violation", detail={"distance_m": 140.0})
    assert f"Quyết định: {order.code}" in Message.objects.filter(channel="email", to="tram1@example.vn").latest(
        "created_at").body


def test_the_wording_migration_leaves_an_edited_template_alone(db):
    from importlib import import_module

    from django.apps import apps

    from lachan.notifications.models import MessageTemplate

    migration = import_module("lachan.quarantine.migrations.0006_alert_templates_name_the_case")
    mail = MessageTemplate.objects.get(code="quarantine.alert", channel="email", language="vi", version=1)
    sms = MessageTemplate.objects.get(code="quarantine.alert", channel="sms", language="vi", version=1)
    migration.backward(apps, None)
    mail.refresh_from_db()
    assert "Ca bệnh" not in mail.body  # as seeded
    MessageTemplate.objects.filter(pk=sms.pk).update(body="Edited by the province: {{ code }}")
    migration.forward(apps, None)
    mail.refresh_from_db(), sms.refresh_from_db()
    assert "{% if case %}Ca bệnh: {{ case }}" in mail.body and sms.body == "Edited by the province: {{ code }}"
