"""The monitoring API: the citizen app by token and by signed link, staff endpoints, errors."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.quarantine import links
from lachan.quarantine.models import Alert, LocationPing, SymptomReport

from .monitoring_fixtures import *  # noqa: F403 (the order fixtures)
from .monitoring_fixtures import HOME, make_order, make_person

pytestmark = pytest.mark.django_db
BASE = "/api/quarantine"


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def fix(metres_north=0, ago=60, accuracy=10):
    at = timezone.now() - timedelta(seconds=ago)
    return {"at": at.isoformat(), "latitude": HOME[0] + metres_north / 111_195, "longitude": HOME[1],
            "accuracy_m": accuracy}


@pytest.fixture
def citizen(order, make_user, token_for):
    user = make_user(Role.CITIZEN, username="0901234567")
    order.person.account = user
    order.person.save()
    return user, token_for(user)


def test_the_citizen_app_with_a_token(client, citizen, order):
    _user, auth = citizen
    answer = client.get(f"{BASE}/my/order", **auth)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["code"], body["day"], body["days"], body["location_consent"], body["report_by"]) == (
        order.code, 4, 14, False, "20:00")
    answer = post(client, f"{BASE}/my/reports", {"temperature_c": 38.6, "cough": True}, **auth)
    assert answer.status_code == 201 and answer.json()["alarming"] and answer.json()["source"] == "app"
    assert Alert.objects.get().kind == "symptoms"
    assert post(client, f"{BASE}/my/pings", {"pings": [fix()]}, **auth).json()["code"] == \
        "quarantine_no_location_consent"
    assert post(client, f"{BASE}/my/consent", **auth).json()["location_consent"] is True
    answer = post(client, f"{BASE}/my/pings", {"pings": [fix(5, ago=90), fix(300, ago=30)]}, **auth)
    assert answer.status_code == 200 and answer.json() == {"received": 2, "stored": 2, "outside": 1,
                                                           "centre_set": False}
    assert Alert.objects.filter(kind="violation").count() == 1
    assert client.delete(f"{BASE}/my/consent", **auth).json()["location_consent"] is False
    assert not LocationPing.objects.exists()


def test_a_citizen_without_an_order(client, make_user, token_for, units):
    auth = token_for(make_user(Role.CITIZEN, username="0909999999"))
    answer = client.get(f"{BASE}/my/order", **auth)
    assert answer.status_code == 404 and answer.json()["code"] == "quarantine_not_in_quarantine"
    assert post(client, f"{BASE}/my/reports", {}, **auth).status_code == 404


def test_staff_have_no_order_of_their_own(client, staff, token_for):
    answer = client.get(f"{BASE}/my/order", **token_for(staff.commune))
    assert answer.status_code == 403


def test_the_signed_link_needs_no_log_in(client, order):
    token = links.link_token(order)
    answer = client.get(f"{BASE}/link/{token}/order")
    assert answer.status_code == 200 and answer.json()["code"] == order.code
    assert answer["Cache-Control"] == "no-store, private"
    assert post(client, f"{BASE}/link/{token}/reports", {"spo2": 97}).status_code == 201
    assert post(client, f"{BASE}/link/{token}/consent").json()["location_consent"]
    assert post(client, f"{BASE}/link/{token}/pings", {"pings": [fix()]}).json()["stored"] == 1
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for url in (f"{BASE}/link/{forged}/order", f"{BASE}/link/nonsense/order"):
        answer = client.get(url)
        assert answer.status_code == 400 and answer.json()["code"] == "quarantine_link_invalid"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"pings": [{**fix(), "latitude": 95}]}, 400, "quarantine_ping_invalid"),
    ({"pings": [{**fix(), "at": (timezone.now() + timedelta(hours=1)).isoformat()}]}, 400,
     "quarantine_ping_in_future"),
    ({"pings": [{**fix(), "accuracy_m": 0}]}, 400, "quarantine_ping_invalid"),
    ({"pings": [{**fix(), "latitude": "north"}]}, 422, "invalid"),
    ({"pings": [{"latitude": 10}]}, 422, "invalid"),
    ({"pings": []}, 400, "quarantine_ping_invalid"),
    ({}, 422, "invalid"),
])
def test_bad_pings_get_clear_errors(client, units, body, status, code):
    order = make_order(units.commune, consent=True)
    answer = post(client, f"{BASE}/link/{links.link_token(order)}/pings", body)
    assert answer.status_code == status and answer.json()["code"] == code
    assert not LocationPing.objects.exists()


def test_a_nan_coordinate_is_refused(client, units):
    order = make_order(units.commune, consent=True)
    at = timezone.now().isoformat()
    raw = f'{{"pings": [{{"at": "{at}", "latitude": NaN, "longitude": 106.3, "accuracy_m": 5}}]}}'
    answer = client.post(f"{BASE}/link/{links.link_token(order)}/pings", data=raw, content_type="application/json")
    assert answer.status_code in (400, 422) and not LocationPing.objects.exists()


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"temperature_c": 44}, 400, "temperature_c"), ({"spo2": 30}, 400, "spo2"),
    ({"spo2": 97.5}, 422, "spo2"), ({"temperature_c": "hot"}, 422, "temperature_c"),
    ({"on": "2000-01-01"}, 400, "on"), ({"other": "x" * 301}, 422, "other"),
])
def test_bad_reports_get_clear_errors(client, order, body, status, field):
    answer = post(client, f"{BASE}/link/{links.link_token(order)}/reports", body)
    assert answer.status_code == status
    assert field in json.dumps(answer.json())
    assert not SymptomReport.objects.exists()


def test_a_report_for_an_ended_order(client, units):
    ended = make_order(units.commune, status="released")
    answer = post(client, f"{BASE}/link/{links.link_token(ended)}/reports", {})
    assert answer.status_code == 400 and answer.json()["code"] == "quarantine_not_in_quarantine"


def test_staff_endpoints_within_the_jurisdiction(client, order, other_order, staff, token_for):
    auth = token_for(staff.commune)
    answer = post(client, f"{BASE}/orders/{order.pk}/reports", {"temperature_c": 37.1}, **auth)
    assert answer.status_code == 201 and answer.json()["source"] == "staff" and answer.json()["recorded_by"] == "commune"
    answer = client.get(f"{BASE}/orders/{order.pk}/reports", **auth)
    assert [r["temperature_c"] for r in answer.json()["items"]] == [37.1]
    # Another commune's order does not exist for this station.
    assert post(client, f"{BASE}/orders/{other_order.pk}/reports", {}, **auth).status_code == 404
    assert client.get(f"{BASE}/orders/{other_order.pk}/reports", **auth).status_code == 404
    answer = post(client, f"{BASE}/orders/{order.pk}/tell", **auth)
    assert answer.status_code == 201 and f"/quarantine/p/{links.link_token(order)}/" in answer.json()["link"]
    assert post(client, f"{BASE}/orders/{order.pk}/consent", **auth).json()["location_consent"]


def test_the_alert_queue_through_the_api(client, order, other_order, staff, token_for, make_user, units):
    from lachan.quarantine.monitoring import alert_raise

    mine, _ = alert_raise(order=order, kind="violation", detail={"distance_m": 120})
    theirs, _ = alert_raise(order=other_order, kind="symptoms")
    auth = token_for(staff.commune)
    items = client.get(f"{BASE}/alerts", **auth).json()["items"]
    assert [a["id"] for a in items] == [mine.pk] and items[0]["actions"] == ["acknowledge", "handle", "close"]
    assert client.get(f"{BASE}/alerts/{theirs.pk}", **auth).status_code == 404
    assert post(client, f"{BASE}/alerts/{theirs.pk}/acknowledge", {}, **auth).status_code == 404
    answer = post(client, f"{BASE}/alerts/{mine.pk}/acknowledge", {"note": "đang gọi"}, **auth)
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    assert answer.json()["acknowledged_by"] == "commune" and answer.json()["note"] == "đang gọi"
    assert post(client, f"{BASE}/alerts/{mine.pk}/handle", **auth).json()["status"] == "handled"
    answer = post(client, f"{BASE}/alerts/{mine.pk}/acknowledge", **auth)
    assert answer.status_code == 400 and answer.json()["code"] == "quarantine_alert_transition"
    assert post(client, f"{BASE}/alerts/{mine.pk}/close", **auth).json()["status"] == "closed"
    assert client.get(f"{BASE}/alerts?status=closed", **auth).json()["items"][0]["closed_by"] == "commune"
    assert client.get(f"{BASE}/alerts?status=bogus", **auth).status_code == 422
    assert client.get(f"{BASE}/alerts?kind=bogus", **auth).status_code == 422
    ioc = token_for(make_user(Role.IOC_OPERATOR, unit=units.province))
    assert len(client.get(f"{BASE}/alerts?status=all", **ioc).json()["items"]) == 2
    assert [a["id"] for a in client.get(f"{BASE}/alerts?commune={units.other_commune.code}", **ioc).json()[
        "items"]] == [theirs.pk]
    citizen = token_for(make_user(Role.CITIZEN))
    assert client.get(f"{BASE}/alerts", **citizen).status_code == 403


def test_the_overview_through_the_api(client, order, other_order, staff, token_for, units):
    answer = client.get(f"{BASE}/overview", **token_for(staff.district))
    assert answer.status_code == 200
    body = answer.json()
    assert [r["commune_code"] for r in body["rows"]] == [units.commune.code]
    assert body["total"]["quarantine_home"] == 1
    body = client.get(f"{BASE}/overview?all=true&district={units.other_district.code}",
                      **token_for(staff.province)).json()
    assert body["total"]["quarantine_home"] == 1 and len(body["rows"]) == units.other_district.children.count()
    assert client.get(f"{BASE}/overview?district=nope", **token_for(staff.province)).json()["rows"] == []
    assert client.get(f"{BASE}/overview").status_code == 401


def test_a_person_of_another_commune_cannot_be_reached_by_the_citizen_endpoints(client, other_order, citizen):
    _user, auth = citizen
    assert client.get(f"{BASE}/my/order", **auth).json()["code"] != other_order.code
    assert make_person  # the fixtures module is used
