import json
from datetime import date

import pytest

from lachan.accounts.models import ApiToken
from lachan.accounts.roles import Role
from lachan.people.models import DuplicateCandidate, Person


@pytest.fixture
def token_for():
    def make(user):
        raw = ApiToken.generate()
        ApiToken.objects.create(user=user, name="test", prefix=raw[:8], key_hash=ApiToken.hash(raw))
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def people(units, make_person):
    return {
        "an": make_person("Nguyễn Văn An", phone="0912345678", birth_date=date(1990, 5, 1)),
        "an2": make_person("Nguyen Van An", birth_date=date(1990, 5, 1)),
        "chau": make_person("Lê Minh Châu", commune=units.other_commune),
    }


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_unauthenticated_is_401(client, people):
    assert client.get("/api/people/").status_code == 401
    assert client.get("/api/people/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_list_with_token(client, staff, people, token_for):
    auth = token_for(staff.commune)
    data = client.get("/api/people/", {"query": "nguyen van an"}, **auth).json()
    assert {p["full_name"] for p in data["items"]} == {"Nguyễn Văn An", "Nguyen Van An"}
    assert data["has_next"] is False and data["page"] == 1
    assert client.get("/api/people/", {"query": "chau"}, **auth).json()["items"] == []
    paged = client.get("/api/people/", {"page_size": 1}, **auth).json()
    assert len(paged["items"]) == 1 and paged["has_next"] is True


def test_get_with_session_and_404_outside_scope(client, staff, people):
    client.force_login(staff.commune)
    one = client.get(f"/api/people/{people['an'].pk}")
    assert one.status_code == 200 and one.json()["phone"] == "0912345678"
    outside = client.get(f"/api/people/{people['chau'].pk}")
    assert outside.status_code == 404 and outside.json()["code"] == "people_not_found"
    assert client.get("/api/people/not-a-uuid").status_code == 422


def test_create_and_bad_input(client, staff, units, token_for):
    auth = token_for(staff.commune)
    bad = post(client, "/api/people/", {"full_name": "", "commune": units.other_commune.code, "phone": "+12025550123",
                                        "national_id": "0820900001"}, **auth)
    assert bad.status_code == 400
    fields = {e["field"]: e["code"] for e in bad.json()["errors"]}
    assert fields == {"full_name": "people_name_required", "commune": "people_commune_out_of_scope",
                      "phone": "people_phone_invalid", "national_id": "people_national_id_length"}
    impossible = post(client, "/api/people/", {"full_name": "An", "commune": units.commune.code, "birth_date": "2021-02-30"}, **auth)
    assert impossible.status_code == 422
    assert not Person.objects.exists()
    ok = post(client, "/api/people/", {"full_name": "trần bình", "sex": "F", "commune": units.commune.code,
                                       "birth_date": "1985-02-03", "national_id": "082185000001"}, **auth)
    assert ok.status_code == 201 and ok.json()["full_name"] == "Trần Bình"
    pid = ok.json()["id"]
    patched = client.patch(f"/api/people/{pid}", json.dumps({"phone": "0162 345 6789"}), content_type="application/json", **auth)
    assert patched.status_code == 200 and patched.json()["phone"] == "0323456789"
    wrong = client.patch(f"/api/people/{pid}", json.dumps({"sex": "M"}), content_type="application/json", **auth)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["code"] == "people_national_id_sex"


def test_permission_failure_is_403_with_code(client, units, make_user, token_for, people):
    auth = token_for(make_user(Role.CHECKPOINT_OFFICER, unit=units.province))
    assert client.get("/api/people/", **auth).status_code == 200
    denied = post(client, "/api/people/", {"full_name": "An", "commune": units.commune.code}, **auth)
    assert denied.status_code == 403 and denied.json()["code"] == "people_permission_denied"


def test_duplicates_merge_and_dismiss(client, staff, people, token_for):
    from lachan.people.duplicates import duplicates_detect_all

    duplicates_detect_all()
    cand = DuplicateCandidate.objects.get()
    other = token_for(staff.other_commune)
    assert client.get("/api/people/duplicates/", **other).json()["items"] == []
    assert post(client, f"/api/people/duplicates/{cand.pk}/dismiss", {}, **other).status_code == 404
    auth = token_for(staff.commune)
    listed = client.get("/api/people/duplicates/", **auth).json()["items"]
    assert [d["id"] for d in listed] == [cand.pk]
    bad = post(client, f"/api/people/duplicates/{cand.pk}/merge", {"keep": str(people["chau"].pk)}, **auth)
    assert bad.status_code == 400
    merged = post(client, f"/api/people/duplicates/{cand.pk}/merge", {"keep": str(cand.person_a_id)}, **auth)
    assert merged.status_code == 200 and merged.json()["merged_id"] == str(cand.person_b_id)
    again = post(client, f"/api/people/duplicates/{cand.pk}/dismiss", {}, **auth)
    assert again.status_code == 400 and again.json()["code"] == "people_duplicate_closed"


def test_me_for_citizen(client, units, make_user, people, token_for):
    citizen = make_user(Role.CITIZEN)
    auth = token_for(citizen)
    assert client.get("/api/people/me", **auth).status_code == 404
    people["an"].account = citizen
    people["an"].save()
    assert client.get("/api/people/me", **auth).json()["full_name"] == "Nguyễn Văn An"
    assert client.get("/api/people/", **auth).status_code == 403
    assert client.get(f"/api/people/{people['an2'].pk}", **auth).status_code == 404


def test_openapi_lists_people_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/people/", "/api/people/{person_id}", "/api/people/me", "/api/people/duplicates/",
                 "/api/people/duplicates/{candidate_id}/merge", "/api/people/duplicates/{candidate_id}/dismiss"):
        assert path in paths
    assert {"get", "post"} <= set(paths["/api/people/"]) and {"get", "patch"} <= set(paths["/api/people/{person_id}"])
