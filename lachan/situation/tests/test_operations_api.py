"""The operations-centre API: GET /api/operations/summary and /api/operations/feed, scoped like the page; bad input
answered with clear 4xx errors."""

import pytest

from lachan.accounts.roles import Role
from lachan.situation.tests.test_operations import seeded_now  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("seeded_now")
def test_summary_of_a_commune_station(client, staff, token_for):
    response = client.get("/api/operations/summary", **token_for(staff.commune))
    assert response.status_code == 200
    data = response.json()
    assert data["cases"]["today"] == {"total": 5, "community": 3, "in_quarantine": 2}
    assert data["alerts"]["total"] == 1 and data["quarantine"]["quarantine"] == 1
    assert len(data["curve"]["days"]) == 60 and data["curve"]["days"][-1]["total"] == 5
    unit = staff.commune.jurisdiction_unit
    assert data["jurisdiction"] == {"kind": "unit", "name": unit.name, "label": unit.label}
    province = client.get("/api/operations/summary", **token_for(staff.province)).json()
    assert province["cases"]["today"]["total"] == 6 and province["alerts"]["total"] == 2


@pytest.mark.usefixtures("seeded_now")
def test_summary_of_a_laboratory_has_no_case_figures(client, units, make_user, token_for):
    from lachan.geo.models import Place, PlaceKind
    from lachan.labs.models import Laboratory

    lab = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name="Lab",
                                                               commune=units.commune))
    data = client.get("/api/operations/summary", **token_for(make_user(Role.LAB_STAFF, place=lab.place))).json()
    assert data["cases"] is None and data["curve"] is None and data["alerts"] is None and data["risk"] is None
    assert data["tests"]["today"] == {"results": 0, "positives": 0, "positivity": None}


@pytest.mark.usefixtures("seeded_now")
def test_feed_scoped_newest_first_and_since(client, units, staff, token_for):
    from lachan.quarantine.models import Alert

    headers = token_for(staff.commune)
    data = client.get("/api/operations/feed", **headers).json()
    kinds = [i["kind"] for i in data["items"]]
    assert kinds == ["case_confirmed"] * 5 + ["violation"]
    assert data["items"][-1]["id"] == f"alert-{Alert.objects.get(commune=units.commune).pk}"
    assert data["items"][0]["module_label"] == "Cases" and data["items"][0]["url"].startswith("/cases/")
    since = data["items"][-1]["at"]
    newer = client.get("/api/operations/feed", {"since": since, "limit": 3}, **headers).json()
    assert len(newer["items"]) == 3 and all(i["kind"] == "case_confirmed" for i in newer["items"])
    assert newer["since"].startswith(since[:19])


@pytest.mark.parametrize("query, field", [
    ({"since": "yesterday"}, "since"), ({"since": "2021-13-45T99:00"}, "since"),
    ({"limit": 0}, "limit"), ({"limit": 10_000}, "limit"), ({"limit": "many"}, "limit"),
])
def test_feed_bad_input_is_a_clear_error(client, staff, token_for, query, field):
    response = client.get("/api/operations/feed", query, **token_for(staff.province))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["errors"][0]["field"] == field and body["message"]


@pytest.mark.usefixtures("seeded_now")
@pytest.mark.parametrize("since", ["3484-12-26T11:08:47-16:29", "2021-08-14T08:00:00+23:59", "9999-12-31T23:59:59-10:00"])
def test_feed_far_times_and_odd_offsets_are_refused_or_clamped(client, staff, token_for, since):
    # Python accepts offsets up to ±24 h, PostgreSQL only ±16 h: such a time must never reach the database.
    response = client.get("/api/operations/feed", {"since": since}, **token_for(staff.province))
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] == "since"


def test_feed_since_in_the_future_is_an_empty_window(client, staff, token_for):
    response = client.get("/api/operations/feed", {"since": "2199-01-01T00:00:00+07:00"}, **token_for(staff.province))
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == [] and body["since"] <= body["generated_at"]
    # Beyond the years any time is kept in (core.dates): refused on its field, not a 500.
    response = client.get("/api/operations/feed", {"since": "2999-01-01T00:00:00+07:00"}, **token_for(staff.province))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "since"


def test_citizens_and_strangers_are_refused(client, db, make_user, token_for):
    assert client.get("/api/operations/summary").status_code == 401
    assert client.get("/api/operations/feed").status_code == 401
    citizen = make_user(Role.CITIZEN, username="0912000111")
    for url in ("/api/operations/summary", "/api/operations/feed"):
        response = client.get(url, **token_for(citizen))
        assert response.status_code == 403 and response.json()["code"] == "operations_permission"


def test_documented_in_openapi(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/operations/summary" in paths and "/api/operations/feed" in paths
