"""Monitoring pages: the alert queue and its poll, the overview, the phone page, the order's monitoring section."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.notifications.models import Message
from lachan.quarantine import links
from lachan.quarantine.models import Alert, Order, SymptomReport
from lachan.quarantine.monitoring import alert_raise

from .monitoring_fixtures import *  # noqa: F403 (the order fixtures)
from .monitoring_fixtures import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(order, other_order):
    mine, _ = alert_raise(order=order, kind="violation", detail={"distance_m": 140.0, "accuracy_m": 10.0,
                                                                 "radius_m": 50.0})
    theirs, _ = alert_raise(order=other_order, kind="symptoms", detail={"temperature_c": "39.1"})
    return mine, theirs


def test_the_queue_shows_the_jurisdictions_alerts(client, staff, alerts, order):
    mine, theirs = alerts
    client.force_login(staff.commune)
    page = client.get(reverse("quarantine:alerts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert order.person.full_name in html and f'data-alert="{mine.pk}"' in html and f'data-alert="{theirs.pk}"' not in html
    assert "140 m" in html
    assert AuditEvent.objects.filter(object_type="quarantine_alert", person_id=order.person_id, action="list").exists()
    # Filters: nothing of another kind; a bad filter is ignored, not an error.
    assert f'data-alert="{mine.pk}"' not in client.get(reverse("quarantine:alerts"), {"kind": "symptoms"}).content.decode()
    assert client.get(reverse("quarantine:alerts"), {"kind": "x", "status": "y", "commune": "z", "page": "-3"}).status_code == 200


def test_the_poll_answers_204_when_nothing_changed(client, staff, alerts, order):
    mine, _theirs = alerts
    client.force_login(staff.commune)
    first = client.get(reverse("quarantine:alert_rows"))
    assert first.status_code == 200
    fp = first.content.decode().split('data-fingerprint="')[1].split('"')[0]
    audits = AuditEvent.objects.count()
    assert client.get(reverse("quarantine:alert_rows"), {"fp": fp}).status_code == 204
    assert AuditEvent.objects.count() == audits  # nothing read again, nothing audited
    alert_raise(order=order, kind="missed_report", about_on=mine.raised_at.date())
    changed = client.get(reverse("quarantine:alert_rows"), {"fp": fp})
    assert changed.status_code == 200 and "missed_report" in changed.content.decode()


def test_the_buttons_work_with_and_without_javascript(client, staff, alerts):
    mine, theirs = alerts
    client.force_login(staff.commune)
    url = reverse("quarantine:alert_act", args=[mine.pk])
    answer = client.post(url, {"action": "acknowledge", "note": "đang gọi"}, HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    answer = client.post(url, {"action": "acknowledge"}, HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 400 and answer.json()["code"] == "quarantine_alert_transition"
    answer = client.post(url, {"action": "handle", "next": "https://evil.example/"})
    assert answer.status_code == 302 and answer["Location"] == reverse("quarantine:alerts")
    assert Alert.objects.get(pk=mine.pk).handled_by == staff.commune
    # Another commune's alert: 404.
    assert client.post(reverse("quarantine:alert_act", args=[theirs.pk]), {"action": "close"}).status_code == 404
    assert client.get(url).status_code == 405


def test_who_may_see_the_queue(client, staff, make_user, alerts, units):
    client.force_login(make_user(Role.LAB_STAFF))
    assert client.get(reverse("quarantine:alerts")).status_code == 403
    client.force_login(make_user(Role.CITIZEN))
    assert client.get(reverse("quarantine:alerts")).status_code == 403
    ioc = make_user(Role.IOC_OPERATOR, unit=units.province)
    client.force_login(ioc)
    html = client.get(reverse("quarantine:alerts")).content.decode()
    assert all(f'data-alert="{a.pk}"' in html for a in alerts)
    assert client.post(reverse("quarantine:alert_act", args=[alerts[1].pk]), {"action": "acknowledge"}).status_code == 302
    client.logout()
    assert client.get(reverse("quarantine:alerts")).status_code == 302  # to the log-in


def test_the_queue_exports_to_excel(client, staff, alerts, order):
    client.force_login(staff.commune)
    answer = client.get(reverse("quarantine:alerts_export"))
    assert answer.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][6] == order.code


def test_the_overview_page_and_its_export(client, staff, alerts, units):
    client.force_login(staff.district)
    page = client.get(reverse("quarantine:overview"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-commune="{units.commune.code}"' in html and f'data-commune="{units.other_commune.code}"' not in html
    answer = client.get(reverse("quarantine:overview_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active.values)
    assert rows[1][1] == units.commune.name and rows[1][2] == 1 and rows[-1][-1] == 1
    client.force_login(staff.province)
    html = client.get(reverse("quarantine:overview"), {"district": "bad", "all": "1"}).content.decode()
    assert f'data-commune="{units.other_commune.code}"' in html


# ---- the phone page ---------------------------------------------------------------------------------------------

def test_the_phone_page_shows_the_order_and_takes_a_check_in(client, order):
    url = reverse("quarantine:phone", args=[links.link_token(order)])
    page = client.get(url)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store, private"
    html = page.content.decode()
    assert order.code in html and "Day 4 of 14" in html
    answer = client.post(url, {"well": "1", "cough": "on"})
    assert answer.status_code == 302 and answer["Location"].endswith("?done=1")
    report = SymptomReport.objects.get()
    assert report.source == "self" and not report.cough and not report.alarming
    answer = client.post(url, {"action": "report", "temperature_c": "39,2", "breathing_difficulty": "on"})
    assert answer["Location"].endswith("?done=alarming")
    assert Alert.objects.get().kind == "symptoms"
    assert "Thank you" in client.get(url + "?done=1").content.decode()


def test_the_phone_page_refuses_impossible_readings(client, order):
    url = reverse("quarantine:phone", args=[links.link_token(order)])
    answer = client.post(url, {"action": "report", "temperature_c": "47", "spo2": "12"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "between 34 and 43" in html and "between 50 and 100" in html
    assert not SymptomReport.objects.exists()


def test_the_phone_page_consent(client, order):
    url = reverse("quarantine:phone", args=[links.link_token(order)])
    client.post(url, {"action": "consent"})
    assert Order.objects.get(pk=order.pk).location_consent_at is not None
    client.post(url, {"action": "revoke"})
    assert Order.objects.get(pk=order.pk).location_consent_at is None


def test_the_phone_page_of_a_bad_link_or_an_ended_order(client, units):
    page = client.get(reverse("quarantine:phone", args=["not-a-token"]))
    assert page.status_code == 404 and "not valid" in page.content.decode()
    ended = make_order(units.commune, status="released")
    url = reverse("quarantine:phone", args=[links.link_token(ended)])
    assert "has ended" in client.get(url).content.decode()
    assert client.post(url, {"well": "1"}).status_code == 400
    assert not SymptomReport.objects.exists()


# ---- the order's monitoring section -----------------------------------------------------------------------------

def test_staff_record_a_check_in_after_a_call(client, staff, order, other_order):
    client.force_login(staff.commune)
    page = client.get(reverse("quarantine:order_monitoring", args=[order.pk]))
    assert page.status_code == 200 and 'data-testid="monitoring-panel"' in page.content.decode()
    answer = client.post(reverse("quarantine:order_report", args=[order.pk]),
                         {"temperature_c": "37.0", "spo2": "94", "next": "/quarantine/alerts/"})
    assert answer.status_code == 302 and answer["Location"] == "/quarantine/alerts/"
    report = SymptomReport.objects.get()
    assert report.source == "staff" and report.recorded_by == staff.commune and report.alarming
    answer = client.post(reverse("quarantine:order_report", args=[order.pk]), {"temperature_c": "60"})
    assert answer.status_code == 400 and "between 34 and 43" in answer.content.decode()
    assert client.get(reverse("quarantine:order_monitoring", args=[other_order.pk])).status_code == 404
    assert client.post(reverse("quarantine:order_report", args=[other_order.pk]), {}).status_code == 404


def test_staff_tell_the_person_and_record_consent(client, staff, order):
    client.force_login(staff.commune)
    answer = client.post(reverse("quarantine:order_tell", args=[order.pk]))
    assert answer.status_code == 302
    message = Message.objects.get(template_code="quarantine.order_notice")
    assert f"http://testserver/quarantine/p/{links.link_token(order)}/" in message.body
    client.post(reverse("quarantine:order_consent", args=[order.pk]), {"consent": "1"})
    assert Order.objects.get(pk=order.pk).location_consent_at is not None
    client.force_login(staff.other_commune)
    assert client.post(reverse("quarantine:order_tell", args=[order.pk])).status_code == 404
