"""Sampling pages: home, campaigns and sites, the sampling desk, samples, labels, receiving and the queue,
with each role's jurisdiction and the services' errors on the forms."""

import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.labs.models import Campaign, Sample, SampleStatus, SamplingSite, Swab
from lachan.labs.sampling import registering
from lachan.labs.tests.sampling_fixtures import *  # noqa: F403
from lachan.web.navigation import capability

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return response.content.decode()


def test_navigation_and_home(client, campaign, staff, lab, make_user, units):
    item = capability("labs")
    assert (item.url, item.perm) == ("labs:home", "labs.view")
    client.force_login(staff.commune)
    response = client.get(reverse("web:capability", args=["labs"]))
    assert response.status_code == 302 and response["Location"] == reverse("labs:home")
    page = body(client.get(reverse("labs:home")))
    assert "Sàng lọc TP Mỹ Tho đợt 1" in page and 'data-testid="lab-queue-box"' not in page
    assert reverse("labs:campaign_create") in page
    assert "No campaign matches." in body(client.get(reverse("labs:home"), {"q": "xyz", "kind": "bogus",
                                                                            "status": "ended", "page": "x"}))
    client.force_login(lab.staff)
    page = body(client.get(reverse("labs:home")))
    assert 'data-testid="lab-queue-box"' in page and reverse("labs:receive") in page
    assert reverse("labs:campaign_create") not in page  # lab staff plan no campaign
    client.force_login(make_user(Role.VENUE_OWNER))
    assert client.get(reverse("labs:home")).status_code == 403
    client.force_login(make_user(Role.CITIZEN))
    assert client.get(reverse("labs:home")).status_code == 403


def test_create_and_edit_a_campaign(client, staff, units, lab):
    client.force_login(staff.commune)
    assert client.get(reverse("labs:campaign_create")).status_code == 200
    data = {"name": "Sàng lọc xã", "kind": "screening", "unit": units.commune.pk, "starts_on": "2021-08-20",
            "ends_on": "", "test_type": "rt_pcr", "pool_size": "11", "laboratory": str(lab.lab.pk), "notes": ""}
    page = body(client.post(reverse("labs:campaign_create"), data))
    assert "from 2 to 10" in page and not Campaign.objects.exists()
    page = body(client.post(reverse("labs:campaign_create"), {**data, "pool_size": "5", "unit": units.district.pk}))
    assert "Select a valid choice" in page and not Campaign.objects.exists()  # not in the commune's choices
    response = client.post(reverse("labs:campaign_create"), {**data, "pool_size": "5"})
    camp = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("labs:campaign_detail", args=[camp.pk])
    edit = reverse("labs:campaign_edit", args=[camp.pk])
    assert 'value="Sàng lọc xã"' in body(client.get(edit))
    page = body(client.post(edit, {**data, "pool_size": "5", "ends_on": "2021-08-01"}))
    assert "ends before it starts" in page
    client.post(edit, {**data, "pool_size": "1", "name": "Sàng lọc xã lần 2"})
    camp.refresh_from_db()
    assert (camp.name, camp.pool_size) == ("Sàng lọc xã lần 2", 1)
    client.force_login(staff.other_commune)
    assert client.get(edit).status_code == 404
    client.force_login(lab.staff)
    assert client.get(edit).status_code == 403


def test_campaign_page(client, campaign, staff, people, lab):
    registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=people.here[:5], code="P-0001",
                                by=staff.commune)
    registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=[people.here[5]], code="P-0002",
                                by=staff.commune)
    url = reverse("labs:campaign_detail", args=[campaign.campaign.pk])
    client.force_login(staff.commune)
    page = body(client.get(url))
    assert "P-0001" in page and "P-0002" in page and "pool of 5" in page
    assert reverse("labs:desk", args=[campaign.site.pk]) in page
    assert 'data-testid="next-round"' not in page  # only the district manages its campaign
    assert 'data-testid="site-create"' in page  # but the commune adds its sites
    assert "P-0002" not in body(client.get(url, {"status": "received"}))
    assert "P-0001" in body(client.get(url, {"code": "p-00", "round": "1", "site": str(campaign.site.pk)}))
    assert "No tube matches." in body(client.get(url, {"site": str(campaign.site2.pk), "round": "abc"}))
    client.force_login(staff.district)
    page = body(client.get(url))
    assert 'data-testid="next-round"' in page
    response = client.post(reverse("labs:campaign_next_round", args=[campaign.campaign.pk]))
    assert response.status_code == 302
    assert Campaign.objects.get(pk=campaign.campaign.pk).current_round == 2
    client.post(reverse("labs:campaign_next_round", args=[campaign.campaign.pk]))
    response = client.get(url)
    assert "Round 2 has no sample yet." in body(response)
    client.force_login(staff.commune)
    assert client.post(reverse("labs:campaign_next_round", args=[campaign.campaign.pk])).status_code == 403


def test_add_and_edit_a_site(client, campaign, staff, units):
    client.force_login(staff.commune)
    url = reverse("labs:site_create", args=[campaign.campaign.pk])
    page = body(client.post(url, {"name": "", "commune": units.commune.pk}))
    assert "This field is required." in page and SamplingSite.objects.count() == 2
    page = body(client.post(url, {"name": "Chợ", "commune": units.commune2.pk}))
    assert "Select a valid choice" in page  # the neighbour's commune is not offered
    response = client.post(url, {"name": "Chợ", "commune": units.commune.pk, "address": "Chợ Mỹ Tho"})
    assert response.status_code == 302
    site = SamplingSite.objects.get(name="Chợ")
    edit = reverse("labs:site_edit", args=[site.pk])
    client.post(edit, {"name": "Chợ Mỹ Tho", "commune": units.commune.pk})
    assert SamplingSite.objects.get(pk=site.pk).name == "Chợ Mỹ Tho"
    assert client.get(reverse("labs:site_edit", args=[campaign.site2.pk])).status_code == 403
    client.force_login(staff.other_commune)
    assert client.post(url, {"name": "x", "commune": units.other_commune.pk}).status_code == 404


def desk_post(client, site, **data):
    return client.post(reverse("labs:desk", args=[site.pk]), data)


def test_desk_registers_a_pool(client, campaign, staff, people):
    client.force_login(staff.commune)
    site = campaign.site
    page = body(client.get(reverse("labs:desk", args=[site.pk])))
    assert "Sampling desk" in page and 'value="pool" checked' in page  # the campaign pools 5
    members = []
    # Scanned CCCDs and a phone number: each found person is added at once.
    for person, key in zip(people.here[:3], ("national_id", "phone", "national_id"), strict=True):
        page = body(desk_post(client, site, code="DESK-0001", q=getattr(person, key), action="find", mode="pool",
                              member=members))
        members.append(str(person.pk))
        assert f'name="member" value="{person.pk}"' in page
    # A name: candidates to pick from.
    page = body(desk_post(client, site, code="DESK-0001", q="Người Xã Một 4", action="find", mode="pool",
                          member=members))
    assert 'data-testid="candidates"' in page and f'name="add" value="{people.here[3].pk}"' in page
    page = body(desk_post(client, site, code="DESK-0001", add=str(people.here[3].pk), mode="pool", member=members))
    members.append(str(people.here[3].pk))
    assert "In this tube: 4 / 10" in page
    # The same person again is refused; removing works; somebody unknown is reported.
    page = body(desk_post(client, site, code="DESK-0001", add=str(people.here[3].pk), mode="pool", member=members))
    assert "is already in this tube" in page and "In this tube: 4 / 10" in page
    page = body(desk_post(client, site, code="DESK-0001", remove=members[0], mode="pool", member=members))
    assert "In this tube: 3 / 10" in page and f'name="member" value="{members[0]}"' not in page
    members = members[1:]
    page = body(desk_post(client, site, code="DESK-0001", q="082099999999", action="find", mode="pool",
                          member=members))
    assert "Nobody found for" in page
    # Pasted list: one known, one of the neighbour's commune (not in the jurisdiction).
    page = body(desk_post(client, site, code="DESK-0001", paste=f"{people.here[4].national_id}\n{people.near[0].phone}",
                          action="paste", mode="pool", member=members))
    assert f"No person {people.near[0].phone} in your jurisdiction." in page and "In this tube: 4 / 10" in page
    members = [*members, str(people.here[4].pk)]
    response = desk_post(client, site, code="desk-0001", action="save", mode="pool", reason="screening",
                         member=members)
    sample = Sample.objects.get(code="DESK-0001")
    assert response.status_code == 302 and f"saved={sample.pk}" in response["Location"]
    assert sample.pooled and sample.swabs.count() == 4 and sample.site == site
    page = body(client.get(response["Location"]))
    assert "Tube DESK-0001 saved: a pool of 4 people." in page
    assert reverse("labs:sample_label", args=[sample.pk]) in page


def test_desk_errors_keep_the_tube(client, campaign, staff, people):
    client.force_login(staff.commune)
    site = campaign.site
    registering.sample_register(campaign=campaign.campaign, site=site, swabs=people.here[:2], code="DESK-0001",
                                by=staff.commune)
    members = [str(p.pk) for p in people.here[1:3]]
    page = body(desk_post(client, site, code="DESK-0001", action="save", mode="pool", member=members))
    assert "The tube code DESK-0001 is already used." in page
    assert f"{people.here[1].full_name} is already in pool DESK-0001 of round 1." in page
    assert all(f'name="member" value="{m}"' in page for m in members)
    page = body(desk_post(client, site, code="", action="save", mode="pool", member=members[1:]))
    assert "Scan or type the tube code" in page and "A pool needs at least 2 people" in page
    page = body(desk_post(client, site, code="X", action="save", mode="single", member=members[1:],
                          collected_at=(timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")))
    assert "is not a tube code" in page and "The collection time is in the future." in page
    page = body(desk_post(client, site, code="DESK-0002", action="save", mode="single", member=members))
    assert "An individual sample is one person&#x27;s" in page or "This tube holds at most 1 person." in page
    response = desk_post(client, site, generate="1", action="save", mode="single", member=members[1:],
                         reason="symptoms")
    assert response.status_code == 302
    sample = Sample.objects.exclude(code="DESK-0001").get()
    assert sample.code.startswith(registering.code_prefix()) and not sample.pooled
    assert Sample.objects.count() == 2
    # A NUL character (PostgreSQL refuses it in text and in the audit's JSON) is dropped, not a server error.
    assert desk_post(client, site, code="A\x00B", q="An\x00", action="find", paste="\x00").status_code == 200
    client.force_login(staff.other_commune)
    assert client.get(reverse("labs:desk", args=[site.pk])).status_code == 404


def test_sample_page_and_reject(client, campaign, staff, people, lab):
    sample = registering.sample_register(campaign=campaign.campaign, site=campaign.site2,
                                         swabs=[people.here[0], people.near[0]], code="S-0001", by=staff.district)
    url = reverse("labs:sample_detail", args=[sample.pk])
    client.force_login(staff.commune)
    page = body(client.get(url))
    assert people.here[0].full_name in page and people.near[0].full_name not in page
    assert "1 person in this tube lives outside your jurisdiction" in page
    assert 'data-testid="reject-form"' not in page
    client.force_login(lab.staff)
    page = body(client.get(url))
    assert people.near[0].full_name in page and 'data-testid="reject-form"' in page
    page = body(client.post(reverse("labs:sample_reject", args=[sample.pk]), {"reason": ""}))
    assert "This field is required." in page
    response = client.post(reverse("labs:sample_reject", args=[sample.pk]), {"reason": "Ống bị rò rỉ"})
    assert response.status_code == 302
    page = body(client.get(url))
    assert "Ống bị rò rỉ" in page and "labtech" in page and 'data-testid="reject-form"' not in page
    assert set(Swab.objects.filter(sample=sample).values_list("outcome", flat=True)) == {"rejected"}
    client.force_login(lab.other_staff)
    assert client.get(url).status_code == 404
    client.force_login(staff.commune)
    assert client.post(reverse("labs:sample_reject", args=[sample.pk]), {"reason": "x"}).status_code == 403


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "labels.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_labels(client, campaign, staff, people, tmp_path):
    pool = registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=people.here[:5],
                                       code="L-0001", by=staff.commune)
    single = registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=[people.here[5]],
                                         code="L-0002", by=staff.commune)
    client.force_login(staff.commune)
    response = client.get(reverse("labs:sample_label", args=[pool.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "L-0001" in text and "Mẫu gộp: 5 người" in text and "Nhà văn hoá khu phố 1" in text
    assert people.here[0].full_name not in text  # no names on a tube
    response = client.get(reverse("labs:labels"), {"sample": [str(pool.pk), str(single.pk), "bogus"]})
    text = pdf_text(response.content, tmp_path)
    assert "L-0001" in text and "L-0002" in text and "Mẫu đơn" in text
    response = client.get(reverse("labs:labels"), {"campaign": str(campaign.campaign.pk),
                                                   "date": timezone.localdate().isoformat(), "site": str(campaign.site.pk)})
    assert "L-0002" in pdf_text(response.content, tmp_path)
    assert client.get(reverse("labs:labels"), {"campaign": str(campaign.campaign.pk), "status": "released"}
                      ).status_code == 404
    assert client.get(reverse("labs:labels"), {"campaign": "bogus"}).status_code == 404
    response = client.post(reverse("labs:blank_labels", args=[campaign.campaign.pk]),
                           {"count": "3", "site": str(campaign.site.pk)})
    text = pdf_text(response.content, tmp_path)
    prefix = registering.code_prefix()
    assert all(f"{prefix}00000{n}" in text for n in (1, 2, 3)) and "Số người" in text
    page = body(client.post(reverse("labs:blank_labels", args=[campaign.campaign.pk]), {"count": "0"}))
    assert "greater than or equal to 1" in page
    client.force_login(staff.other_commune)
    assert client.get(reverse("labs:sample_label", args=[pool.pk])).status_code == 404
    assert client.get(reverse("labs:labels"), {"sample": str(pool.pk)}).status_code == 404


def test_receive_page_and_queue(client, campaign, staff, people, lab):
    for n in range(3):
        registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=people.here[n * 5:n * 5 + 5]
                                    if n < 2 else [people.here[10]], code=f"Q-000{n}", by=staff.commune,
                                    collected_at=timezone.now() - timedelta(hours=30 - n * 10))
    client.force_login(lab.staff)
    page = body(client.get(reverse("labs:queue")))
    assert page.index("Q-0000") < page.index("Q-0001") < page.index("Q-0002") and "30 hours" in page
    response = client.post(reverse("labs:receive"), {"codes": "q-0000\nQ-0001"})
    assert response.status_code == 302
    page = body(client.post(reverse("labs:receive"), {"codes": "Q-0001\nX-0404\nQ-0002"}))
    assert "Q-0001 was already received on" in page and "No sample has the code X-0404." in page
    assert "1 sample received." in page
    assert Sample.objects.filter(status=SampleStatus.RECEIVED).count() == 3
    assert "Q-0001\nX-0404</textarea>" in page  # the refused codes stay in the box
    page = body(client.get(reverse("labs:queue"), {"status": "received"}))
    assert "Q-0002" in page and "received by the lab" in page
    page = body(client.post(reverse("labs:receive"), {"codes": " "}))
    assert "This field is required." in page
    client.force_login(lab.other_staff)
    page = body(client.post(reverse("labs:receive"), {"codes": "Q-0000"}))
    assert "was already received on" in page or "another laboratory" in page
    assert "No tube is waiting." in body(client.get(reverse("labs:queue")))
    client.force_login(staff.commune)
    assert client.get(reverse("labs:receive")).status_code == 403
    assert "Q-0000" in body(client.get(reverse("labs:queue")))  # the commune follows its tubes


def test_find_a_tube(client, campaign, staff, people):
    sample = registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=[people.here[0]],
                                         code="F-0001", by=staff.commune)
    client.force_login(staff.commune)
    assert 'data-testid="find-tube"' in body(client.get(reverse("labs:home")))
    response = client.get(reverse("labs:sample_find"), {"code": " f-0001 "})
    assert response["Location"] == reverse("labs:sample_detail", args=[sample.pk])
    client.force_login(staff.other_commune)
    response = client.get(reverse("labs:sample_find"), {"code": "F-0001"}, follow=True)
    assert "No tube F-0001 that you may see." in body(response)
