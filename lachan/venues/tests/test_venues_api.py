import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import ApiToken
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, ValidationFailed
from lachan.people.models import Person
from lachan.venues import qr, selectors, services
from lachan.venues.logbooks import imports as logbook
from lachan.venues.models import CheckIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for():
    def make(user):
        raw = ApiToken.generate()
        ApiToken.objects.create(user=user, name="test", prefix=raw[:8], key_hash=ApiToken.hash(raw))
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


# ---- registration and jurisdiction ---------------------------------------------------------------

def test_register_validates_everything(owner, units):
    with pytest.raises(ValidationFailed) as exc:
        services.venue_register(by=owner, name=" ", kind="disco", size="huge", commune="99999", latitude="abc")
    fields = {e.field for e in exc.value.errors}
    assert {"name", "kind", "size", "commune", "latitude"} <= fields


def test_commune_staff_cannot_register_outside(staff, units):
    with pytest.raises(ValidationFailed):
        services.venue_register(by=staff.commune, name="Chợ", kind="market", size="large", commune=units.other_commune)
    venue = services.venue_register(by=staff.commune, name="Chợ", kind="market", size="large", commune=units.commune)
    assert venue.owner is None and venue.place.kind == "venue" and len(venue.code) == 12


def test_venue_lists_by_jurisdiction(owner, venue, staff, units, make_user):
    other_owner = make_user(Role.VENUE_OWNER)
    elsewhere = services.venue_register(by=other_owner, name="Karaoke Sao", kind="karaoke", size="small",
                                        commune=units.other_commune)
    assert list(selectors.venue_list(user=owner)) == [venue]
    assert list(selectors.venue_list(user=other_owner)) == [elsewhere]
    assert list(selectors.venue_list(user=staff.commune)) == [venue]
    assert list(selectors.venue_list(user=staff.other_commune)) == [elsewhere]
    assert set(selectors.venue_list(user=staff.province)) == {venue, elsewhere}
    citizen = make_user(Role.CITIZEN)
    assert not selectors.venue_list(user=citizen).exists()


def test_pages_scope_and_404(client, owner, venue, staff, units, make_user):
    client.force_login(owner)
    assert venue.place.name.encode() in client.get("/venues/").content
    assert client.get(f"/venues/{venue.pk}/").status_code == 200
    png = client.get(f"/venues/{venue.pk}/poster.png")
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = client.get(f"/venues/{venue.pk}/poster.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    client.force_login(staff.other_commune)
    assert client.get(f"/venues/{venue.pk}/").status_code == 404
    assert client.get(f"/venues/{venue.pk}/poster.pdf").status_code == 404


def test_register_page(client, owner, units):
    client.force_login(owner)
    response = client.post("/venues/new/", {"name": "Tiệm tóc Mai", "kind": "barber", "size": "small",
                                            "commune": units.commune.code, "address": "5 Hùng Vương"})
    assert response.status_code == 302
    response = client.post("/venues/new/", {"name": "", "kind": "barber", "size": "small", "commune": ""})
    assert response.status_code == 200


# ---- API ---------------------------------------------------------------------------------------

def test_api_checkin_idempotent_and_checkout(client, owner, venue, person, token_for):
    auth = token_for(owner)
    token = qr.qr_token(venue)
    at = (timezone.now() - timedelta(minutes=20)).isoformat()
    body = {"qr": f"https://x/c/{token}", "person_id": str(person.pk), "client_key": "dev-1", "checked_in_at": at}
    first = post(client, "/api/venues/checkins", body, **auth)
    assert first.status_code == 201, first.content
    again = post(client, "/api/venues/checkins", body, **auth)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert CheckIn.objects.count() == 1 and CheckIn.objects.get().source == "api"
    checkin_id = first.json()["id"]
    out = post(client, f"/api/venues/checkins/{checkin_id}/checkout", {}, **auth)
    assert out.status_code == 200 and out.json()["checkout_assumed"] is False


def test_api_checkin_errors(client, owner, venue, person, token_for, staff):
    auth = token_for(owner)
    code, sig = qr.qr_token(venue).split(".")
    cases = [
        ({"code": code, "signature": "x" * 16, "person_id": str(person.pk)}, 400, "venue_qr_forged"),
        ({"qr": "nonsense", "person_id": str(person.pk)}, 400, "venue_qr_malformed"),
        ({"code": code, "signature": sig}, 400, "checkin_person_unknown"),
        ({"code": code, "signature": sig, "person_id": str(person.pk),
          "checked_in_at": (timezone.now() + timedelta(hours=1)).isoformat()}, 400, "checkin_time_future"),
        ({"code": code, "signature": sig, "person_id": str(person.pk),
          "checked_in_at": (timezone.now() - timedelta(days=90)).isoformat()}, 400, "checkin_time_too_old"),
        ({"code": code, "signature": sig, "person_id": str(person.pk), "client_key": "k" * 65}, 400,
         "checkin_client_key_invalid"),
    ]
    for body, status, error in cases:
        response = post(client, "/api/venues/checkins", body, **auth)
        assert (response.status_code, response.json()["code"]) == (status, error), body
    # staff of another commune cannot check people in at this venue, nor check them out
    other = token_for(staff.other_commune)
    response = post(client, "/api/venues/checkins", {"code": code, "signature": sig, "person_id": str(person.pk)}, **other)
    assert response.status_code == 404
    checkin, _ = services.checkin_create(venue=venue, person=person)
    assert post(client, f"/api/venues/checkins/{checkin.pk}/checkout", {}, **other).status_code == 404
    assert post(client, "/api/venues/checkins/999999/checkout", {}, **auth).status_code == 404
    too_long = {"checked_out_at": (timezone.now() + timedelta(days=1)).isoformat()}
    assert post(client, f"/api/venues/checkins/{checkin.pk}/checkout", too_long, **auth).status_code == 400
    assert not CheckIn.objects.filter(checkout_assumed=False).exists()


def test_api_citizen_checks_in_self(client, venue, person, make_user, token_for):
    citizen = make_user(Role.CITIZEN)
    Person.objects.filter(pk=person.pk).update(account=citizen)
    auth = token_for(citizen)
    response = post(client, "/api/venues/checkins", {"qr": qr.qr_token(venue)}, **auth)
    assert response.status_code == 201 and response.json()["person_id"] == str(person.pk)
    other = Person.objects.create(full_name="B", search_name="b", phone="0987000000", commune=person.commune)
    response = post(client, "/api/venues/checkins", {"qr": qr.qr_token(venue), "person_id": str(other.pk)}, **auth)
    assert response.status_code == 404


def test_api_register_venue(client, owner, units, token_for):
    auth = token_for(owner)
    response = post(client, "/api/venues/", {"name": "Quán ăn Hòa", "kind": "restaurant", "size": "small",
                                              "commune": units.commune.code}, **auth)
    assert response.status_code == 201 and response.json()["qr_path"].startswith("/c/")
    response = post(client, "/api/venues/", {"name": "", "kind": "x", "size": "small", "commune": "0"}, **auth)
    assert response.status_code == 400


# ---- paper logbook ------------------------------------------------------------------------------

def _csv(rows):
    header = "Họ tên,Số điện thoại,Năm sinh,Xã,Giờ vào,Giờ ra\n"
    return (header + "\n".join(",".join(r) for r in rows)).encode()


def _t(minutes_ago):
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M")


def test_logbook_all_or_nothing(venue, person, units, owner):
    good = [
        ["Nguyễn Văn An", "0912345678", "1980", units.commune.code, _t(120), _t(90)],  # the existing person
        ["Trần Thị Lan", "0987111222", "1995", units.commune.code, _t(100), ""],
        ["Trần Thị Lan", "0987111222", "1995", units.commune.code, _t(50), ""],  # same new person twice
    ]
    bad = good + [
        ["", "0912", "3000", "Nowhere", "yesterday", ""],
        ["Lê Văn Tư", "0909000111", "1970", units.commune.code, _t(-60), ""],
        ["Lê Văn Tư", "0909000111", "1970", units.commune.code, _t(600), _t(10)],
        ["Lê Văn Tư", "0909000111", "1970", units.commune.code, _t(60), _t(90)],
    ]
    result = logbook.logbook_import(venue=venue, data=_csv(bad), filename="log.csv", by=owner)
    assert not result.ok and result.created == 0
    assert not CheckIn.objects.exists() and Person.objects.count() == 1
    by_row = {(e.row, e.field) for e in result.errors}
    assert {(5, "full_name"), (5, "phone"), (5, "birth_year"), (5, "commune"), (5, "checked_in_at"),
            (6, "checked_in_at"), (7, "checked_out_at"), (8, "checked_out_at")} <= by_row
    errors_csv = result.errors_csv()
    assert errors_csv.startswith("row,column,error") and "\n5,full name," in errors_csv  # columns by name
    result = logbook.logbook_import(venue=venue, data=_csv(good), filename="log.csv", by=owner)
    assert result.ok and result.created == 1 and result.people_held == 1  # Lan waits for the station
    assert CheckIn.objects.filter(person=person, checkout_assumed=False).count() == 1
    assert Person.objects.count() == 1


def test_logbook_excel_and_missing_columns(venue, units, owner):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Full name", "Phone", "Date of birth", "Commune", "Check-in"])
    sheet.append(["Phạm Văn Bảy", "0911222333", timezone.now().date().replace(year=1960), units.commune.code,
                  timezone.localtime().replace(tzinfo=None) - timedelta(hours=1)])
    out = io.BytesIO()
    book.save(out)
    result = logbook.logbook_import(venue=venue, data=out.getvalue(), filename="log.xlsx", by=owner)
    assert result.ok, result.errors
    assert result.logbook.visitors.get().birth_year == 1960
    result = logbook.logbook_import(venue=venue, data=b"name,phone\nA,0911222333\n", filename="x.csv", by=owner)
    assert not result.ok and "Missing columns" in result.errors[0].message
    with pytest.raises(DomainError) as exc:
        logbook.logbook_import(venue=venue, data=b"not a zip", filename="x.xlsx", by=owner)
    assert exc.value.code == "logbook_file_invalid"


def test_logbook_page_error_report(client, owner, venue, units):
    client.force_login(owner)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _csv([["X", "123", "1980", units.commune.code, _t(10), ""]])
    response = client.post(f"/venues/{venue.pk}/", {"file": SimpleUploadedFile("log.csv", data)})
    assert response.status_code == 200 and b"logbook-errors" in response.content
    report = client.get(f"/venues/{venue.pk}/logbook/errors.csv")
    assert report.status_code == 200 and b"phone" in report.content
