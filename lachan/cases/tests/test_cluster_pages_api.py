"""Cluster pages and API: jurisdiction, forms with the services' errors, close/reopen, adding cases."""

import json
from datetime import date

import pytest
from django.urls import reverse

from lachan.accounts.models import AuditEvent, User
from lachan.accounts.roles import Role
from lachan.cases import services
from lachan.cases.models import Case, Cluster

pytestmark = pytest.mark.django_db


def detail_url(cluster):
    return reverse("cases:cluster_detail", args=[cluster.pk])


def test_list_page(client, outbreak):
    staff, units = outbreak.staff, outbreak.units
    services.cluster_create(name="KCN Gò Công", kind="industrial_park", commune=units.other_commune,
                            opened_on=date(2021, 8, 20), by=staff.province)
    client.force_login(staff.district)
    response = client.get(reverse("cases:cluster_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Chợ Mỹ Tho" in body and "KCN Gò Công" not in body
    assert detail_url(outbreak.cluster) in body and "17/08/2021" in body and "14/08/2021" in body
    assert 'data-testid="cluster-create"' in body  # the district may create
    client.force_login(staff.province)
    assert "KCN Gò Công" not in client.get(reverse("cases:cluster_list"), {"kind": "supermarket"}).content.decode()
    body = client.get(reverse("cases:cluster_list"), {"q": "kcn go cong", "kind": "bogus", "commune": "x",
                                                      "status": "open", "page": "zz"}).content.decode()
    assert "KCN Gò Công" in body and "Chợ Mỹ Tho" not in body
    body = client.get(reverse("cases:cluster_list"), {"commune": units.commune.pk}).content.decode()
    assert "Chợ Mỹ Tho" in body and "KCN Gò Công" not in body
    assert "No cluster matches." in client.get(reverse("cases:cluster_list"), {"status": "closed"}).content.decode()


def test_list_page_for_viewers_only(client, outbreak, units):
    ioc = User.objects.create(username="ioc", role=Role.IOC_OPERATOR, jurisdiction_unit=units.province)
    client.force_login(ioc)
    body = client.get(reverse("cases:cluster_list")).content.decode()
    assert "Chợ Mỹ Tho" in body and "cluster-create" not in body
    assert client.post(reverse("cases:cluster_create"), {"name": "x"}).status_code == 403
    body = client.get(detail_url(outbreak.cluster)).content.decode()
    assert "Trần Thị Bình" in body and "close-cluster" not in body and "add-cases" not in body


def test_create_from_the_list_page(client, outbreak, units):
    client.force_login(outbreak.staff.district)
    data = {"name": "Trường THCS Lê Lợi", "kind": "school", "commune": units.commune2.pk,
            "source_description": "Lớp 8A", "opened_on": "2021-08-20"}
    response = client.post(reverse("cases:cluster_create"), data)
    cluster = Cluster.objects.get(name="Trường THCS Lê Lợi")
    assert response.status_code == 302 and response["Location"] == detail_url(cluster)
    assert (cluster.kind, cluster.commune, cluster.opened_on) == ("school", units.commune2, date(2021, 8, 20))
    # Errors come back on the form, with what was typed; nothing is saved.
    body = client.post(reverse("cases:cluster_create"), {**data, "name": "   ", "opened_on": "2099-01-01"}).content.decode()
    assert "This field is required." in body
    body = client.post(reverse("cases:cluster_create"), {**data, "name": "Chợ B", "opened_on": "2099-01-01"}).content.decode()
    assert "This date is in the future." in body and 'value="Chợ B"' in body and "<details open" in body
    body = client.post(reverse("cases:cluster_create"), {**data, "name": "Chợ C", "commune": units.other_commune.pk}
                       ).content.decode()
    assert "Select a valid choice" in body  # the other district's communes are not offered
    assert Cluster.objects.count() == 2


def test_detail_page(client, outbreak):
    staff = outbreak.staff
    client.force_login(staff.commune)
    response = client.get(detail_url(outbreak.cluster))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Quầy rau" in body and "Nguyễn Văn An" in body and "Trần Thị Bình" not in body
    assert "2 cases of this cluster live outside your jurisdiction" in body
    assert "3 cases, 3 active" in body and "<svg" in body and 'data-testid="epicurve"' in body
    assert f"/tracing/chain/?cluster={outbreak.cluster.pk}" in body
    assert reverse("tracing:report", args=[outbreak.an.pk]) in body
    assert "highest risk level" in body and 'data-testid="active-warning"' in body
    assert AuditEvent.objects.filter(action="cluster.view", object_id=str(outbreak.cluster.pk)).exists()
    third = outbreak.units.district.children.order_by("code")[2]
    client.force_login(User.objects.create(username="s3", role=Role.COMMUNE_STATION, jurisdiction_unit=third))
    assert client.get(detail_url(outbreak.cluster)).status_code == 404


def test_detail_page_for_a_neighbour(client, outbreak):
    """The other commune sees it through Cường: it may add cases, not edit or close it."""
    client.force_login(outbreak.staff.other_commune)
    body = client.get(detail_url(outbreak.cluster)).content.decode()
    assert "Lê Văn Cường" in body and "Nguyễn Văn An" not in body
    assert "add-cases" in body and "close-cluster" not in body and "edit-cluster" not in body
    url = reverse("cases:cluster_close", args=[outbreak.cluster.pk])
    assert client.post(url, {"closed_on": "2021-09-20", "reason": "x"}).status_code == 403


def test_add_cases_page(client, outbreak):
    staff = outbreak.staff
    other = services.cluster_create(name="Gia đình Dung", kind="household", commune=outbreak.units.commune,
                                    by=staff.district)
    client.force_login(staff.district)
    url = reverse("cases:cluster_add_cases", args=[other.pk])
    response = client.post(url, {"codes": f"{outbreak.stray.code}\nF0-82-424242\n{outbreak.an.code}"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "No case F0-82-424242 in your jurisdiction." in body
    assert f"{outbreak.an.code} is already in the cluster Chợ Mỹ Tho." in body
    assert not Case.objects.filter(cluster=other).exists()
    response = client.post(url, {"codes": f"{outbreak.stray.code} {outbreak.an.code}", "move": "on"}, follow=True)
    assert "2 cases added to the cluster." in response.content.decode()
    assert set(Case.objects.filter(cluster=other).values_list("code", flat=True)) == {outbreak.stray.code, outbreak.an.code}
    assert client.post(url, {"codes": ""}).status_code == 200  # required: the form says so


def test_close_edit_and_reopen_pages(client, outbreak, units):
    cluster = outbreak.cluster
    client.force_login(outbreak.staff.district)
    close = reverse("cases:cluster_close", args=[cluster.pk])
    body = client.post(close, {"closed_on": "2021-08-15", "reason": "hết"}).content.decode()
    assert "Its last case was confirmed on 17/08/2021" in body
    body = client.post(close, {"closed_on": "", "reason": ""}).content.decode()
    assert "This field is required." in body
    response = client.post(close, {"closed_on": "2021-09-14", "reason": "28 ngày không ca mới"}, follow=True)
    body = response.content.decode()
    assert "Cluster closed." in body and "3 cases of this cluster are still active." in body
    assert "reopen-cluster" in body and "add-cases" not in body
    cluster.refresh_from_db()
    assert cluster.closed_on == date(2021, 9, 14)
    response = client.post(reverse("cases:cluster_reopen", args=[cluster.pk]), {"reason": "ca mới"}, follow=True)
    assert "Cluster reopened." in response.content.decode()
    edit = reverse("cases:cluster_edit", args=[cluster.pk])
    data = {"name": "Chợ Mỹ Tho mới", "kind": "venue", "commune": units.commune2.pk, "source_description": ""}
    assert client.post(edit, data).status_code == 302
    cluster.refresh_from_db()
    assert (cluster.name, cluster.kind, cluster.commune) == ("Chợ Mỹ Tho mới", "venue", units.commune2)
    body = client.post(edit, {**data, "kind": "moon"}).content.decode()
    assert "Select a valid choice" in body and "<details open" in body


def test_chain_filtered_by_cluster(client, outbreak):
    client.force_login(outbreak.staff.province)
    body = client.get(reverse("tracing:chain"), {"cluster": str(outbreak.cluster.pk)}).content.decode()
    assert outbreak.an.code in body and outbreak.stray.code not in body and 'data-testid="chain-cluster"' in body
    assert outbreak.stray.code in client.get(reverse("tracing:chain")).content.decode()
    assert client.get(reverse("tracing:chain"), {"cluster": "nope"}).status_code == 404
    third = outbreak.units.district.children.order_by("code")[2]
    client.force_login(User.objects.create(username="s3", role=Role.COMMUNE_STATION, jurisdiction_unit=third))
    assert client.get(reverse("tracing:chain"), {"cluster": str(outbreak.cluster.pk)}).status_code == 404


def test_case_pages_link_to_the_cluster(client, outbreak):
    client.force_login(outbreak.staff.district)
    assert reverse("cases:cluster_list") in client.get(reverse("cases:list")).content.decode()
    body = client.get(reverse("cases:detail", args=[outbreak.an.pk])).content.decode()
    assert f'href="{detail_url(outbreak.cluster)}" data-testid="case-cluster"' in body


# API


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_api_list_and_detail(client, outbreak, token_for):
    auth = token_for(outbreak.staff.commune)
    response = client.get("/api/cases/clusters", **auth)
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["name"] == "Chợ Mỹ Tho" and item["case_count"] == 3 and item["active_count"] == 3
    assert item["high_risk_kind"] is True and item["commune_code"] == outbreak.units.commune.code
    assert item["closed_on"] is None and item["days_since_last_case"] > 0
    for params, n in [({"kind": "school"}, 0), ({"commune": outbreak.units.commune.code}, 1), ({"commune": "zzz"}, 0),
                      ({"status": "closed"}, 0), ({"query": "cho my"}, 1)]:
        assert len(client.get("/api/cases/clusters", params, **auth).json()["items"]) == n, params
    assert client.get("/api/cases/clusters", {"status": "ajar"}, **auth).status_code == 422
    detail = client.get(f"/api/cases/clusters/{outbreak.cluster.pk}", **auth).json()
    assert [c["code"] for c in detail["cases"]] == [outbreak.an.code]  # only the commune's own
    assert client.get("/api/cases/clusters/00000000-0000-0000-0000-000000000000", **auth).status_code == 404
    assert client.get("/api/cases/clusters").status_code == 401


def test_api_writes(client, outbreak, token_for, units):
    auth = token_for(outbreak.staff.district)
    response = post(client, "/api/cases/clusters", {"name": "Trường Lê Lợi", "kind": "school",
                                                    "commune": units.commune2.code}, **auth)
    assert response.status_code == 201, response.content
    cluster_id = response.json()["id"]
    for body, code in [({"name": "", "kind": "school", "commune": units.commune2.code}, "cases_cluster_name_required"),
                       ({"name": "x", "kind": "moon", "commune": units.commune2.code}, "cases_cluster_kind_invalid"),
                       ({"name": "x", "kind": "school", "commune": units.other_commune.code},
                        "cases_cluster_commune_out_of_scope"),
                       ({"name": "x", "kind": "school", "commune": "nope"}, "cases_cluster_commune_required")]:
        response = post(client, "/api/cases/clusters", body, **auth)
        assert (response.status_code, response.json()["code"]) == (400, code)
    assert post(client, "/api/cases/clusters", {"name": "x"}, **auth).status_code == 422
    response = client.patch(f"/api/cases/clusters/{cluster_id}", json.dumps({"source_description": "Lớp 8A"}),
                            content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["source_description"] == "Lớp 8A"
    assert response.json()["name"] == "Trường Lê Lợi"
    # Cases: all or none, each bad code reported.
    url = f"/api/cases/clusters/{cluster_id}/cases"
    response = post(client, url, {"codes": [outbreak.stray.code, "F0-82-777777", outbreak.an.code]}, **auth)
    assert response.status_code == 400
    assert [e["params"]["case_code"] for e in response.json()["errors"]] == ["F0-82-777777", outbreak.an.code]
    response = post(client, url, {"codes": [outbreak.stray.code]}, **auth)
    assert response.status_code == 200 and [c["code"] for c in response.json()["cases"]] == [outbreak.stray.code]
    # Close and reopen.
    close = f"/api/cases/clusters/{outbreak.cluster.pk}/close"
    response = post(client, close, {"closed_on": "2021-08-13", "reason": "x"}, **auth)
    assert response.json()["code"] == "cases_cluster_close_before_open"
    response = post(client, close, {"closed_on": "2021-09-14", "reason": "28 ngày"}, **auth)
    assert response.status_code == 200 and response.json()["closed_on"] == "2021-09-14"
    assert response.json()["active_count"] == 3
    response = post(client, f"/api/cases/clusters/{outbreak.cluster.pk}/reopen", {"reason": "ca mới"}, **auth)
    assert response.status_code == 200 and response.json()["closed_on"] is None
    # The other commune may not close it (403), a stranger does not see it (404).
    other = token_for(outbreak.staff.other_commune)
    assert post(client, close, {"closed_on": "2021-09-14", "reason": "x"}, **other).status_code == 403
    assert post(client, f"/api/cases/clusters/{cluster_id}/close", {"closed_on": "2021-09-14", "reason": "x"},
                **other).status_code == 404


def test_case_page_cluster_box(client, outbreak):
    """The case page still creates a cluster in the case's commune or picks one; a closed one is refused."""
    client.force_login(outbreak.staff.commune)
    url = reverse("cases:cluster", args=[outbreak.stray.pk])
    client.post(url, {"new_name": "Xóm 3 ấp Bắc", "kind": "community"})
    outbreak.stray.refresh_from_db()
    assert outbreak.stray.cluster.name == "Xóm 3 ấp Bắc" and outbreak.stray.cluster.commune == outbreak.units.commune
    services.cluster_close(cluster=outbreak.cluster, closed_on=date(2021, 9, 20), reason="hết",
                           by=outbreak.staff.district)
    response = client.post(url, {"cluster": str(outbreak.cluster.pk)}, follow=True)
    assert "reopen it first" in response.content.decode()
    assert "Cluster not found." in client.post(url, {"cluster": "garbage"}, follow=True).content.decode()
    outbreak.stray.refresh_from_db()
    assert outbreak.stray.cluster.name == "Xóm 3 ấp Bắc"
