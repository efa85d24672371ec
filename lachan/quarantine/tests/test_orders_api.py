"""Orders API (/api/quarantine): orders one by one and in a batch, their changes, facilities and rooms,
policies, PDFs — within each caller's jurisdiction, with the services' errors (never a 500)."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.quarantine.models import Order
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db
API = "/api/quarantine"


@pytest.fixture
def api(client, token_for):
    class Caller:
        def __init__(self, user):
            self.headers = token_for(user)

        def get(self, path, params=None):
            return client.get(API + path, params or {}, **self.headers)

        def post(self, path, data=None):
            return client.post(API + path, data or {}, content_type="application/json", **self.headers)

        def patch(self, path, data):
            return client.patch(API + path, data, content_type="application/json", **self.headers)

    return Caller


def today(n=0):
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def test_orders_through_the_api(api, exercise, people, staff, units):
    station = api(staff.commune)
    person = people.here[0]
    response = station.post("/orders", {"person_id": str(person.pk), "kind": "quarantine", "starts_on": today(),
                                        "exposed_on": today(-1), "contact_tier": 1})
    assert response.status_code == 201, response.json()
    order = response.json()
    assert (order["person_name"], order["setting"], order["commune_code"], order["ends_on"], order["day"],
            order["days"], order["policy_version"]) == (person.full_name, "home", units.commune.code, today(12), 1, 13,
                                                        "Tiền Giang exercise")
    assert [t["day"] for t in order["tests"]] == [1, 7, 14] and order["events"][0]["kind"] == "created"
    again = station.post("/orders", {"person_id": str(person.pk), "kind": "quarantine", "starts_on": today()})
    assert again.status_code == 400 and again.json()["code"] == "quarantine_order_overlaps"
    bad = station.post("/orders", {"person_id": str(people.here[1].pk), "kind": "quarantine", "starts_on": today(),
                                   "ends_on": today(-3)})
    assert bad.status_code == 400 and bad.json()["field"] == "ends_on"
    assert station.post("/orders", {"person_id": str(people.here[1].pk), "kind": "quarantine",
                                    "starts_on": "nonsense"}).status_code == 422
    assert station.post("/orders", {"person_id": str(people.far[0].pk), "kind": "quarantine",
                                    "starts_on": today()}).status_code == 404
    assert station.post("/orders", {"person_id": str(people.here[1].pk), "kind": "quarantine", "starts_on": today(),
                                    "latitude": 95, "longitude": 10}).status_code == 400
    # Lists and filters, within the jurisdiction.
    items = station.get("/orders").json()["items"]
    assert [i["code"] for i in items] == [order["code"]]
    assert station.get("/orders", {"q": "xa mot 1"}).json()["items"][0]["code"] == order["code"]
    assert station.get("/orders", {"q": person.national_id}).json()["items"]
    assert station.get("/orders", {"due": "today"}).json()["items"] == []
    assert station.get("/orders", {"commune": "nope"}).json()["items"] == []
    assert station.get("/orders", {"page": "-3"}).status_code in (200, 422)
    other = api(staff.other_commune)
    assert other.get("/orders").json()["items"] == []
    assert other.get(f"/orders/{order['id']}").status_code == 404
    assert other.post(f"/orders/{order['id']}/end", {"reason": "x"}).status_code == 404
    assert AuditEvent.objects.filter(action="order.list", person_id=person.pk).exists()
    # Changes.
    extended = station.post(f"/orders/{order['id']}/extend", {"ends_on": today(20), "reason": "Sốt"})
    assert extended.status_code == 200 and extended.json()["ends_on"] == today(20)
    assert station.post(f"/orders/{order['id']}/extend", {"ends_on": today(2), "reason": "x"}).status_code == 400
    assert station.post(f"/orders/{order['id']}/release").json()["code"] == "quarantine_release_too_early"
    assert station.post(f"/orders/{order['id']}/end", {"reason": ""}).json()["code"] == "quarantine_reason_required"
    ended = station.post(f"/orders/{order['id']}/end", {"reason": "Chuyển đi"})
    assert ended.status_code == 200 and ended.json()["status"] == "ended_early"
    assert station.get("/orders", {"status": "all"}).json()["items"][0]["status"] == "ended_early"
    assert station.get("/orders").json()["items"] == []


def test_batch_and_release_many(api, exercise, people, staff):
    district = api(staff.district)
    taken = district.post("/orders", {"person_id": str(people.here[0].pk), "kind": "quarantine",
                                      "starts_on": today(-13), "exposed_on": today(-13)}).json()
    orders = [{"person_id": str(p.pk), "kind": "quarantine", "starts_on": today(), "exposed_on": today(-2)}
              for p in [*people.here, *people.near]]
    response = district.post("/orders/batch", {"orders": orders})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert len(body["created"]) == 6 and body["skipped"][0]["order_code"] == taken["code"]
    orders[2]["ends_on"] = today(-5)
    orders.append({"person_id": str(people.far[0].pk), "kind": "quarantine", "starts_on": today()})
    refused = district.post("/orders/batch", {"orders": orders})
    # The bad items are named (the others would be skipped: they now have orders).
    assert refused.status_code == 400
    assert [(e["code"], e["params"]["index"]) for e in refused.json()["errors"]] == [
        ("quarantine_dates_invalid", 2), ("quarantine_person_not_found", 7)]
    assert district.post("/orders/batch", {"orders": []}).status_code == 422
    released = district.post("/orders/release", {"orders": [taken["id"], body["created"][0]["order_id"]]}).json()
    assert (released["released"], released["failed"]) == (1, 1)
    assert Order.objects.get(pk=taken["id"]).status == "released"


def test_facilities_rooms_and_moves(api, exercise, people, staff, units, facilities):
    district = api(staff.district)
    listed = district.get("/facilities").json()["items"]
    assert {f["name"]: (f["beds"], f["free"]) for f in listed} == {
        "Khu cách ly Trường Quân sự": (3, 3), "Bệnh viện dã chiến số 1": (3, 3)}
    created = district.post("/facilities", {"name": "Ký túc xá", "commune": units.commune.code})
    assert created.status_code == 201 and created.json()["rooms"] == []
    fid = created.json()["id"]
    room = district.post(f"/facilities/{fid}/rooms", {"name": "101", "beds": 1})
    assert room.status_code == 201 and room.json()["beds"] == 1
    assert district.post(f"/facilities/{fid}/rooms", {"name": "101", "beds": 1}).status_code == 400
    assert district.post(f"/facilities/{fid}/rooms", {"name": "102", "beds": 0}).status_code == 422
    room_id = room.json()["rooms"][0]["id"]
    placed = district.post("/orders", {"person_id": str(people.here[0].pk), "kind": "quarantine",
                                       "setting": "facility", "starts_on": today(), "exposed_on": today(),
                                       "facility": fid, "room": room_id})
    assert placed.status_code == 201, placed.json()
    assert district.get(f"/facilities/{fid}").json()["in_use"] == 1
    full = district.post("/orders", {"person_id": str(people.here[1].pk), "kind": "quarantine",
                                     "setting": "facility", "starts_on": today(), "exposed_on": today(),
                                     "facility": fid, "room": room_id})
    assert full.status_code == 400 and full.json()["code"] == "quarantine_room_full"
    assert district.patch(f"/rooms/{room_id}", {"beds": 3}).json()["free"] == 2
    moved = district.post(f"/orders/{placed.json()['id']}/move", {"setting": "home", "reason": "Về nhà"})
    assert moved.status_code == 200 and moved.json()["setting"] == "home"
    bad = district.post(f"/orders/{placed.json()['id']}/move", {"setting": "facility", "facility": fid})
    assert bad.status_code == 400 and bad.json()["field"] == "room"
    assert district.patch(f"/facilities/{fid}", {"is_active": False}).json()["is_active"] is False
    assert api(staff.other_commune).get(f"/facilities/{fid}").status_code == 404
    policies = district.get("/policies").json()
    assert policies[0]["version"] == "Tiền Giang exercise" and len(policies) == 7


def test_pdfs(api, exercise, people, staff, client):
    station = api(staff.commune)
    order = station.post("/orders", {"person_id": str(people.here[0].pk), "kind": "quarantine",
                                     "starts_on": today(-13), "exposed_on": today(-13), "contact_tier": 1}).json()
    response = station.get(f"/orders/{order['id']}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    refused = station.get(f"/orders/{order['id']}/pdf", {"document": "certificate"})
    assert refused.status_code == 400
    station.post(f"/orders/{order['id']}/release")
    certificate = station.get(f"/orders/{order['id']}/pdf", {"document": "certificate"})
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="order.print", object_id=order["id"]).count() == 2
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=certificate.content, capture_output=True).stdout.decode()
        assert "GIẤY XÁC NHẬN" in text and people.here[0].full_name in text
        text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True).stdout.decode()
        assert "QUYẾT ĐỊNH" in text and order["code"] in text and "cách ly y tế" in text


def test_the_api_refuses_an_order_dated_months_back(api, exercise, people, staff):
    response = api(staff.commune).post("/orders", {"person_id": str(people.here[0].pk), "kind": "isolation",
                                                   "starts_on": today(-335)})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("quarantine_dates_invalid", "starts_on")
    assert not Order.objects.exists()
