import json
from datetime import UTC, date
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.notifications.models import Message
from lachan.tracing.models import Contact, ProximityEncounter
from lachan.workflows.case_confirmation import case_confirm_and_trace

from .conftest import at, checkin

pytestmark = pytest.mark.django_db


@pytest.fixture
def traced(world, epi):
    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    checkin(world.an, world.mart, at(5), 60)
    checkin(world.shopper, world.mart, at(5), 60)  # lives in the other district
    checkin(world.wife, world.cafe, at(30), 60)
    checkin(world.friend_of_wife, world.cafe, at(30), 60)  # F2, commune2
    return case_confirm_and_trace(person=world.an, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13),
                                  origin="community", confirmed_at=at(96), by=epi)


def test_workflow_confirms_traces_and_queues_notices(traced, world):
    assert traced.run.counts == {"notices": 1, "f1": 2, "f2": 1, "f3": 0}
    messages = Message.objects.filter(template_code__startswith="tracing.")
    assert {m.person_id for m in messages} == {world.wife.pk, world.cafe_friend.pk, world.shopper.pk}
    assert messages.get(person_id=world.shopper.pk).template_code == "tracing.exposure_notice"
    # Tracing again tells nobody twice.
    from lachan.workflows.case_confirmation import case_retrace

    assert case_retrace(case=traced.case, by=world.staff.epidemiologist).notified == 0


def test_exposure_notice_gives_the_provinces_hotline(world, epi, settings):
    settings.LACHAN_HEALTH_HOTLINE = "0235 3810 101"
    checkin(world.an, world.mart, at(5), 60)
    checkin(world.shopper, world.mart, at(5), 60)
    case_confirm_and_trace(person=world.an, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13),
                           origin="community", confirmed_at=at(96), by=epi)
    notice = Message.objects.get(person_id=world.shopper.pk, template_code="tracing.exposure_notice")
    assert "0235 3810 101" in notice.body and "115" not in notice.body


def test_workflow_traces_many_cases_together_and_notifies_each_contact(world, epi):
    from lachan.cases.services import case_confirm
    from lachan.workflows.case_confirmation import cases_trace_and_notify

    checkin(world.an, world.cafe, at(1), 60)
    checkin(world.cafe_friend, world.cafe, at(1), 60)
    checkin(world.stranger, world.mart, at(5), 60)
    checkin(world.shopper, world.mart, at(5), 60)
    cases = [case_confirm(person=p, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13), origin="community",
                          confirmed_at=at(96), by=epi) for p in (world.an, world.stranger)]
    done = cases_trace_and_notify(cases=cases, by=epi)
    assert [d.run.counts["f1"] for d in done] == [2, 0] and done[1].run.counts["notices"] == 1
    assert {m.person_id for m in Message.objects.filter(template_code__startswith="tracing.")} == {
        world.wife.pk, world.cafe_friend.pk, world.shopper.pk}


def test_workflow_failure_leaves_no_case(world, epi):
    from lachan.cases.models import Case
    from lachan.core.errors import DomainError

    with pytest.raises(DomainError):
        case_confirm_and_trace(person=world.an, onset_date=date(2021, 8, 14), sample_date=date(2021, 8, 13),
                               origin="community", confirmed_at=at(96), by=epi)
    assert not Case.objects.exists() and not Message.objects.exists()


def test_report_page_and_excel(client, traced, world, epi):
    client.force_login(epi)
    body = client.get(reverse("tracing:report", args=[traced.case.pk])).content.decode()
    assert "Trần Thị Bình" in body and "Lê Văn Cường" in body and "Cà phê Sáng" in body
    assert "same household" in body and "Exposure notices" in body
    response = client.get(reverse("tracing:report_export", args=[traced.case.pk]))
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert set(names) == {"Trần Thị Bình", "Lê Văn Cường", "Võ Văn Em", "Hồ Thị Giang"}


def test_call_list_by_commune(client, traced, world):
    staff = world.staff
    client.force_login(staff.commune)
    body = client.get(reverse("tracing:calls")).content.decode()
    assert "Trần Thị Bình" in body and "Lê Văn Cường" in body
    assert "Võ Văn Em" not in body and "Hồ Thị Giang" not in body
    client.force_login(staff.other_commune)
    body = client.get(reverse("tracing:calls")).content.decode()
    assert "Võ Văn Em" in body and "Trần Thị Bình" not in body
    wife = Contact.objects.get(person=world.wife)
    # Another commune cannot mark (404), its own can (audited).
    assert client.post(reverse("tracing:call_mark", args=[wife.pk]), {"status": "reached"}).status_code == 404
    client.force_login(staff.commune)
    client.post(reverse("tracing:call_mark", args=[wife.pk]), {"status": "quarantined"})
    wife.refresh_from_db()
    assert wife.call_status == "quarantined" and wife.called_by == staff.commune
    assert AuditEvent.objects.filter(action="contact.call", person_id=world.wife.pk).exists()
    client.post(reverse("tracing:call_mark", args=[wife.pk]), {"status": "teleported"})
    wife.refresh_from_db()
    assert wife.call_status == "quarantined"


def test_chain_page(client, traced, epi):
    client.force_login(epi)
    response = client.get(reverse("tracing:chain"))
    # Drawn in the browser from the page's data (json_script) by the platform's own copy of vis-network, served
    # as a static file (no CDN).
    from .test_pages_at_scale import chain_data

    labels = {n["label"] for n in chain_data(response)["nodes"]}
    assert traced.case.code in labels and "Hồ Thị Giang" in labels
    body = response.content.decode()
    assert '<script src="/static/vendor/vis-network/vis-network.min.js" defer>' in body
    script = b"".join(client.get("/static/vendor/vis-network/vis-network.min.js").streaming_content)
    assert b"vis-network" in script[:200] and b"MIT" in script[:1000]


def test_case_pages(client, traced, world, epi):
    client.force_login(epi)
    assert traced.case.code in client.get(reverse("cases:list")).content.decode()
    assert "Infectious window" in client.get(reverse("cases:detail", args=[traced.case.pk])).content.decode()
    client.force_login(world.staff.other_commune)
    assert client.get(reverse("cases:detail", args=[traced.case.pk])).status_code == 404
    assert client.get(reverse("tracing:report", args=[traced.case.pk])).status_code == 404


def test_confirm_form(client, world, epi):
    client.force_login(epi)
    url = reverse("workflows:case_confirm")
    assert "Nguyễn Văn An" in client.get(url, {"q": "nguyen van an"}).content.decode()
    bad = client.post(url, {"person": str(world.an.pk), "onset_date": "2021-08-14", "sample_date": "2021-08-13",
                            "origin": "community", "confirmed_at": "2021-08-14T10:00", "q": "an"})
    assert "The onset date is after the sample date." in bad.content.decode()
    ok = client.post(url, {"person": str(world.an.pk), "onset_date": "2021-08-12", "sample_date": "2021-08-13",
                           "origin": "community", "confirmed_at": "2021-08-14T10:00"})
    assert ok.status_code == 302 and "/tracing/cases/" in ok["Location"]


def test_api_confirm_report_calls(client, world, epi):
    client.force_login(epi)
    payload = {"person_id": str(world.an.pk), "onset_date": "2021-08-12", "sample_date": "2021-08-13",
               "confirmed_at": "2021-08-14T10:00:00+07:00"}
    r = client.post("/api/workflows/cases", json.dumps(payload), content_type="application/json")
    assert r.status_code == 201, r.content
    case_id = r.json()["case_id"]
    again = client.post("/api/workflows/cases", json.dumps(payload), content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "cases_already_confirmed"
    report = client.get(f"/api/tracing/cases/{case_id}").json()
    assert {c["person_name"] for c in report["contacts"]} == {"Trần Thị Bình"}
    assert report["contacts"][0]["exposures"][0]["source"] == "household"
    assert client.get(f"/api/cases/{case_id}").json()["code"].startswith("F0-82-")
    client.force_login(world.staff.other_commune)
    assert client.get(f"/api/tracing/cases/{case_id}").status_code == 404
    assert client.get("/api/tracing/calls").json()["items"] == []
    bad = client.post("/api/workflows/cases", json.dumps({**payload, "person_id": str(world.shopper.pk),
                                                          "onset_date": "2021-08-15"}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "cases_onset_after_sample"


def test_proximity_upload(client, world, make_user):
    citizen = make_user(Role.CITIZEN)
    world.an.account = citizen
    world.an.save()
    client.force_login(citizen)
    now = timezone.now().isoformat()
    body = {"device_id": "anon-device-1", "consent": True,
            "encounters": [{"other_id": "anon-other-2", "started_at": now, "duration_minutes": 20, "distance_m": 1.2}]}
    r = client.post("/api/tracing/proximity", json.dumps(body), content_type="application/json")
    assert r.status_code == 201 and r.json() == {"accepted": 1}
    client.post("/api/tracing/proximity", json.dumps(body), content_type="application/json")
    assert ProximityEncounter.objects.count() == 1  # a retried upload is not counted twice
    no = client.post("/api/tracing/proximity", json.dumps({**body, "consent": False}), content_type="application/json")
    assert no.status_code == 400 and no.json()["code"] == "tracing_proximity_consent"
    far = {**body, "encounters": [{**body["encounters"][0], "distance_m": -1}]}
    assert client.post("/api/tracing/proximity", json.dumps(far), content_type="application/json").status_code == 400


def test_interview_api(client, world, epi):
    client.force_login(epi)
    case = case_confirm_and_trace(person=world.an, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13),
                                  origin="community", confirmed_at=at(96), by=epi).case
    url = f"/api/tracing/cases/{case.pk}/interview"
    ok = client.post(url, json.dumps({"person_id": str(world.stranger.pk), "relationship": "colleague",
                                      "last_contact_at": at(50).isoformat(), "minutes": 40}),
                     content_type="application/json")
    assert ok.status_code == 201, ok.content
    late = client.post(url, json.dumps({"person_id": str(world.stranger.pk), "relationship": "colleague",
                                        "last_contact_at": at(200).isoformat()}), content_type="application/json")
    assert late.status_code == 400 and late.json()["code"] == "tracing_interview_time"
    me = client.post(url, json.dumps({"person_id": str(world.an.pk), "relationship": "self",
                                      "last_contact_at": at(50).isoformat()}), content_type="application/json")
    assert me.json()["code"] == "tracing_interview_self"
    client.post(f"/api/workflows/cases/{case.pk}/retrace")
    assert Contact.objects.get(index_case=case, person=world.stranger).tier == 1


def test_marking_a_call_does_not_redirect_outside_the_site(client, traced, world):
    wife = Contact.objects.get(person=world.wife)
    client.force_login(world.staff.commune)
    for target in ("//evil.example/", "https://evil.example/"):
        response = client.post(reverse("tracing:call_mark", args=[wife.pk]), {"status": "reached", "next": target})
        assert response.status_code == 302 and response["Location"] == reverse("tracing:calls")
    back = client.post(reverse("tracing:call_mark", args=[wife.pk]), {"status": "reached", "next": "/tracing/calls/?page=2"})
    assert back["Location"] == "/tracing/calls/?page=2"


def test_case_lists_and_call_lists_are_audited_page_and_api(client, traced, world):
    staff = world.staff
    client.force_login(staff.commune)
    assert client.get("/cases/").status_code == 200
    assert AuditEvent.objects.filter(action="case.list", person_id=world.an.pk, actor=staff.commune,
                                     channel="web").exists()
    client.get("/api/cases/")
    assert AuditEvent.objects.filter(action="case.list", person_id=world.an.pk, channel="api").exists()
    client.get(reverse("tracing:calls"))
    called = set(AuditEvent.objects.filter(action="contact.call_list", channel="web").values_list("person_id", flat=True))
    assert called == {world.wife.pk, world.cafe_friend.pk}  # those the page shows, not the other district's
    client.get("/api/tracing/calls")
    assert AuditEvent.objects.filter(action="contact.call_list", channel="api", person_id=world.wife.pk).exists()
    # A reader outside the jurisdiction sees nobody: nobody's read is recorded for them.
    client.force_login(staff.other_commune)
    client.get("/cases/")
    assert not AuditEvent.objects.filter(action="case.list", actor=staff.other_commune).exists()


def test_times_without_an_offset_are_local_times(client, world, epi, make_user):
    """A phone or a client that sends "2021-08-12T10:00:00" (no offset) used to lose its whole upload to a server
    error (naive compared with aware); it is read as the province's local time, as everywhere else."""
    client.force_login(epi)
    case = case_confirm_and_trace(person=world.an, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13),
                                  origin="community", confirmed_at=at(96), by=epi).case
    naive = timezone.localtime(at(50)).replace(tzinfo=None).isoformat()
    ok = client.post(f"/api/tracing/cases/{case.pk}/interview", json.dumps({
        "person_id": str(world.stranger.pk), "relationship": "colleague", "last_contact_at": naive}),
        content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["last_contact_at"].startswith(at(50).astimezone(UTC).strftime("%Y-%m-%dT%H:%M"))
    citizen = make_user(Role.CITIZEN)
    world.an.account = citizen
    world.an.save()
    client.force_login(citizen)
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    body = {"device_id": "anon-device-9", "consent": True,
            "encounters": [{"other_id": "anon-other-2", "started_at": now.isoformat(), "duration_minutes": 20,
                            "distance_m": 1.2}]}
    r = client.post("/api/tracing/proximity", json.dumps(body), content_type="application/json")
    assert r.status_code == 201 and r.json() == {"accepted": 1}
    assert ProximityEncounter.objects.get().started_at == timezone.make_aware(now)
