"""Sampling API: campaigns and sites, one sample and batches from a scanner app, codes, receiving,
rejecting and the queue — within each caller's jurisdiction, with the services' errors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.labs.models import Campaign, Sample, SampleStatus, Swab
from lachan.labs.tests.sampling_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db
API = "/api/labs"


@pytest.fixture
def api(client, token_for):
    """api(user).get/post/patch(path, json) → response."""

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


def test_campaigns(api, staff, units, lab, campaign):
    district = api(staff.district)
    response = district.post("/campaigns", {"name": "Sàng lọc KCN", "kind": "enterprise", "unit": units.commune.code,
                                            "starts_on": "2021-08-20", "pool_size": 10,
                                            "laboratory": str(lab.lab.pk)})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["unit_code"], created["pool_size"], created["laboratory_name"], created["current_round"]) == (
        units.commune.code, 10, "Phòng xét nghiệm CDC Tiền Giang", 1)
    bad = district.post("/campaigns", {"name": "x", "kind": "screening", "unit": units.commune.code,
                                       "starts_on": "2021-08-20", "pool_size": 12})
    assert bad.status_code == 400 and bad.json()["field"] == "pool_size"
    outside = district.post("/campaigns", {"name": "x", "kind": "screening", "unit": units.other_commune.code,
                                           "starts_on": "2021-08-20"})
    assert outside.status_code == 400 and "outside your jurisdiction" in outside.json()["message"]
    names = [c["name"] for c in district.get("/campaigns").json()["items"]]
    assert sorted(names) == ["Sàng lọc KCN", "Sàng lọc TP Mỹ Tho đợt 1"]
    assert api(staff.other_commune).get("/campaigns").json()["items"] == []
    assert api(staff.other_commune).get(f"/campaigns/{created['id']}").status_code == 404
    response = district.patch(f"/campaigns/{created['id']}", {"ends_on": "2021-08-31", "pool_size": 1})
    assert response.status_code == 200 and (response.json()["ends_on"], response.json()["pool_size"]) == (
        "2021-08-31", 1)
    assert api(staff.commune).patch(f"/campaigns/{campaign.campaign.pk}", {"name": "x"}).status_code == 403
    assert district.post(f"/campaigns/{created['id']}/next-round").status_code == 400  # no sample yet


def test_sites(api, staff, units, campaign):
    commune = api(staff.commune)
    sites = commune.get(f"/campaigns/{campaign.campaign.pk}/sites").json()
    assert sorted(s["name"] for s in sites) == ["Nhà văn hoá khu phố 1", "Trường tiểu học"]
    response = commune.post(f"/campaigns/{campaign.campaign.pk}/sites", {"name": "Chợ", "commune": units.commune.code})
    assert response.status_code == 201 and response.json()["commune_code"] == units.commune.code
    response = commune.post(f"/campaigns/{campaign.campaign.pk}/sites", {"name": "Chợ", "commune": units.commune2.code})
    assert response.status_code == 400 and response.json()["field"] == "commune"
    site_id = commune.get(f"/campaigns/{campaign.campaign.pk}/sites").json()[0]["id"]
    assert commune.patch(f"/sites/{site_id}", {"name": "Chợ Mỹ Tho"}).json()["name"] == "Chợ Mỹ Tho"
    assert api(staff.other_commune).patch(f"/sites/{site_id}", {"name": "x"}).status_code == 404


def pool_payload(campaign, people, code, **extra):
    return {"campaign": str(campaign.campaign.pk), "site": str(campaign.site.pk), "code": code,
            "swabs": [{"national_id": p.national_id} for p in people], **extra}


def test_one_sample(api, staff, campaign, people):
    commune = api(staff.commune)
    payload = pool_payload(campaign, people.here[:4], "API-0001")
    payload["swabs"].append({"person_id": str(people.here[4].pk), "reason": "contact"})
    response = commune.post("/samples", payload)
    assert response.status_code == 201, response.json()
    sample = response.json()
    assert (sample["code"], sample["pooled"], sample["swab_count"], sample["status"], sample["created"]) == (
        "API-0001", True, 5, "collected", True)
    assert Swab.objects.get(person=people.here[4]).reason == "contact"
    # The scanner app retries: the same tube with the same people answers the sample already there.
    again = commune.post("/samples", payload)
    assert again.status_code == 200 and again.json()["id"] == sample["id"] and again.json()["created"] is False
    detail = commune.get(f"/samples/{sample['id']}").json()
    assert [s["person_id"] for s in detail["swabs"]] == [str(p.pk) for p in people.here[:5]]
    assert detail["hidden_swabs"] == 0
    assert api(staff.other_commune).get(f"/samples/{sample['id']}").status_code == 404
    listed = commune.get("/samples", {"campaign": str(campaign.campaign.pk), "code": "api"}).json()["items"]
    assert [s["code"] for s in listed] == ["API-0001"]
    assert api(staff.other_commune).get("/samples").json()["items"] == []


@pytest.mark.parametrize("change, codes", [
    ({"code": "API 1"}, ["labs_sample_code_invalid"]),
    ({"code": ""}, ["labs_sample_code_invalid"]),
    ({"swabs": [{"national_id": "082099999999"}, {"phone": "0999999999"}]}, ["labs_person_not_found"] * 2),
    ({"swabs": [{}]}, ["labs_person_not_found"]),
    ({"swabs": [{"person_id": None, "national_id": "x"}]}, ["labs_person_not_found"]),
    ({"pooled": True, "swabs": [{"phone": "0912300001"}]}, ["labs_pool_too_small"]),
    ({"reason": "party"}, ["labs_campaign_invalid"]),
    ({"collected_at": "2150-01-01T00:00:00Z"}, ["labs_date_invalid"]),  # in the future
    ({"collected_at": "1901-01-01T00:00:00Z"}, ["labs_date_invalid"]),  # before anyone was swabbed
])
def test_one_sample_bad_input(api, staff, campaign, people, change, codes):
    response = api(staff.commune).post("/samples", {**pool_payload(campaign, people.here[:5], "API-0001"), **change})
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and sorted(e["code"] for e in body["errors"]) == sorted(codes)
    assert not Sample.objects.exists()


@pytest.mark.parametrize("collected_at", ["2999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_time_beyond_any_calendar_we_keep_is_refused_on_its_field(api, staff, campaign, people, collected_at):
    payload = {**pool_payload(campaign, people.here[:5], "API-0001"), "collected_at": collected_at}
    response = api(staff.commune).post("/samples", payload)
    assert response.status_code == 422, response.json()
    assert [e["field"] for e in response.json()["errors"]] == ["collected_at"]
    assert not Sample.objects.exists()


def test_one_sample_time_beyond_the_calendar(api, staff, campaign, people):
    # Year 1 at +14:00 is before year 1 in UTC: refused by the schema, before any domain rule.
    payload = {**pool_payload(campaign, people.here[:5], "API-0001"), "collected_at": "0001-01-01T00:00:00+14:00"}
    response = api(staff.commune).post("/samples", payload)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "collected_at"
    assert not Sample.objects.exists()


def test_one_sample_unknown_campaign_and_site(api, staff, campaign, people):
    commune = api(staff.commune)
    payload = pool_payload(campaign, people.here[:5], "API-0001")
    response = commune.post("/samples", {**payload, "campaign": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 404 and response.json()["code"] == "labs_campaign_not_found"
    response = commune.post("/samples", {**payload, "site": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 404 and response.json()["code"] == "labs_site_not_found"
    too_many = {**payload, "swabs": [{"national_id": p.national_id} for p in people.here[:11]]}
    response = commune.post("/samples", too_many)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "labs_pool_too_large"
    assert commune.post("/samples", {**payload, "swabs": []}).status_code == 422


def test_batch(api, staff, campaign, people):
    commune = api(staff.commune)
    first = pool_payload(campaign, people.here[:5], "BATCH-01")
    items = [
        first,
        pool_payload(campaign, people.here[4:9], "BATCH-02"),  # here[4] is already in BATCH-01
        pool_payload(campaign, [people.here[9]], "BATCH-03", reason="symptoms"),
        {**pool_payload(campaign, [people.here[10]], ""), "generate_code": True,
         "collected_at": (timezone.now() - timedelta(hours=2)).isoformat()},
        first,  # sent twice in the same batch: the second is a retry
    ]
    response = commune.post("/samples/batch", {"samples": items})
    assert response.status_code == 200, response.json()
    result = response.json()
    assert (result["created"], result["existing"], result["failed"]) == (3, 1, 1)
    statuses = [r["status"] for r in result["results"]]
    assert statuses == [201, 400, 201, 201, 200]
    error = result["results"][1]["error"]
    assert error["code"] == "invalid" and error["errors"][0]["code"] == "labs_person_in_other_pool"
    assert "BATCH-01" in error["message"]
    assert result["results"][3]["sample"]["code"].startswith("82-")
    assert not Sample.objects.filter(code="BATCH-02").exists() and Sample.objects.count() == 3
    assert commune.post("/samples/batch", {"samples": []}).status_code == 422
    assert commune.post("/samples/batch", {"samples": [first] * 201}).status_code == 422


def test_receive_reject_queue(api, staff, campaign, people, lab):
    commune = api(staff.commune)
    for n in range(2):
        commune.post("/samples", pool_payload(campaign, people.here[n * 5:n * 5 + 5], f"RCV-000{n}"))
    tech = api(lab.staff)
    queue = tech.get("/queue").json()
    assert [s["code"] for s in queue["items"]] == ["RCV-0000", "RCV-0001"]
    assert (queue["waiting_to_be_received"], queue["waiting_for_a_result"]) == (2, 0)
    response = tech.post("/samples/receive", {"codes": ["rcv-0000", "NOPE-1"]})
    result = response.json()
    assert (result["received"], result["failed"]) == (1, 1)
    assert [r["status"] for r in result["results"]] == [200, 404]
    assert result["results"][1]["error"]["code"] == "labs_sample_not_found"
    other = api(lab.other_staff).post("/samples/receive", {"codes": ["RCV-0001"]}).json()
    assert other["results"][0]["error"]["code"] == "labs_status_invalid"
    assert commune.post("/samples/receive", {"codes": ["RCV-0001"]}).status_code == 403
    assert tech.post("/samples/receive", {"codes": []}).status_code == 422
    assert tech.post("/samples/receive", {"codes": [" "]}).status_code == 400
    assert tech.get("/queue", {"status": "received"}).json()["items"][0]["code"] == "RCV-0000"
    sample_id = Sample.objects.get(code="RCV-0001").pk
    response = tech.post(f"/samples/{sample_id}/reject", {"reason": "Ống vỡ"})
    assert response.status_code == 200 and response.json()["status"] == SampleStatus.REJECTED
    assert tech.post(f"/samples/{sample_id}/reject", {"reason": "again"}).status_code == 400
    assert api(lab.other_staff).post(f"/samples/{sample_id}/reject", {"reason": "x"}).status_code == 404


def test_codes(api, staff, campaign):
    response = api(staff.commune).post("/codes", {"campaign": str(campaign.campaign.pk),
                                                  "site": str(campaign.site.pk), "count": 2})
    assert response.status_code == 201 and len(response.json()["codes"]) == 2
    assert api(staff.commune).post("/codes", {"campaign": str(campaign.campaign.pk), "count": 0}).status_code == 422
    assert api(staff.other_commune).post("/codes", {"campaign": str(campaign.campaign.pk),
                                                    "count": 1}).status_code == 404


def test_next_round_api(api, staff, campaign, people):
    api(staff.commune).post("/samples", pool_payload(campaign, people.here[:5], "NR-0001"))
    response = api(staff.district).post(f"/campaigns/{campaign.campaign.pk}/next-round")
    assert response.status_code == 200 and response.json()["current_round"] == 2
    assert Campaign.objects.get(pk=campaign.campaign.pk).current_round == 2
