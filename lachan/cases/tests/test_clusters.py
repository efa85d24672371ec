"""Cluster services and selectors: validation, all-or-nothing case adds, closing rules, jurisdiction."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import AuditEvent, User
from lachan.accounts.roles import Role
from lachan.cases import selectors, services
from lachan.cases.models import Case, Cluster
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.people.tests.factories import PersonFactory

from .conftest import confirm

pytestmark = pytest.mark.django_db

SYSTEM = system_actor("tests")


def codes_of(cluster):
    return sorted(Case.objects.filter(cluster=cluster).values_list("code", flat=True))


@pytest.mark.parametrize("kw, code, field", [
    ({"name": "  "}, "cases_cluster_name_required", "name"),
    ({"name": "x" * 201}, "cases_cluster_text_too_long", "name"),
    ({"kind": "moon"}, "cases_cluster_kind_invalid", "kind"),
    ({"commune": None}, "cases_cluster_commune_required", "commune"),
    ({"commune": "99999"}, "cases_cluster_commune_required", "commune"),
    ({"commune": "815"}, "cases_cluster_commune_required", "commune"),  # a district is not a commune
    ({"source_description": "x" * 2001}, "cases_cluster_text_too_long", "source_description"),
    ({"opened_on": date.today() + timedelta(days=2)}, "cases_date_in_future", "opened_on"),
])
def test_create_refuses_bad_input(units, staff, kw, code, field):
    args = {"name": "Chợ", "kind": "venue", "commune": units.commune, **kw}
    with pytest.raises(DomainError) as err:
        services.cluster_create(by=staff.district, **args)
    assert (err.value.code, err.value.field) == (code, field)
    assert not Cluster.objects.exists()


def test_create_checks_the_jurisdiction_and_permission(units, staff):
    with pytest.raises(DomainError) as err:
        services.cluster_create(name="KCN Tân Hương", kind="industrial_park", commune=units.other_commune,
                                by=staff.district)
    assert err.value.code == "cases_cluster_commune_out_of_scope" and units.other_commune.name in str(err.value.message)
    ioc = User.objects.create(username="ioc", role=Role.IOC_OPERATOR, jurisdiction_unit=units.province)
    with pytest.raises(PermissionDenied):
        services.cluster_create(name="KCN", kind="industrial_park", commune=units.commune, by=ioc)
    assert not Cluster.objects.exists()


def test_create_by_code_folds_the_name_and_is_audited(units, staff):
    cluster = services.cluster_create(name="  Trường  Tiểu học Đạo Thạnh ", kind="school", commune=units.commune.code,
                                      by=staff.commune)
    assert cluster.name == "Trường Tiểu học Đạo Thạnh" and cluster.search_name == "truong tieu hoc dao thanh"
    assert cluster.commune == units.commune and cluster.opened_on == timezone.localdate() and cluster.is_open
    assert cluster.is_high_risk_kind
    event = AuditEvent.objects.get(action="cluster.create")
    assert event.actor == staff.commune and event.object_id == str(cluster.pk)


def test_update(outbreak):
    staff, units, cluster = outbreak.staff, outbreak.units, outbreak.cluster
    services.cluster_update(cluster=cluster, name="Chợ Mỹ Tho cũ", kind="venue", source_description="",
                            commune=units.commune2, by=staff.district)
    cluster.refresh_from_db()
    assert (cluster.name, cluster.search_name, cluster.kind, cluster.commune) == (
        "Chợ Mỹ Tho cũ", "cho my tho cu", "venue", units.commune2)
    assert AuditEvent.objects.get(action="cluster.update").detail["fields"] == [
        "commune", "kind", "name", "source_description"]
    for changes, code in [({"name": ""}, "cases_cluster_name_required"), ({"kind": "moon"}, "cases_cluster_kind_invalid"),
                          ({"commune": units.other_commune}, "cases_cluster_commune_out_of_scope"),
                          ({"opened_on": date(2021, 1, 1)}, "cases_cluster_field_unknown")]:
        with pytest.raises(DomainError) as err:
            services.cluster_update(cluster=cluster, by=staff.district, **changes)
        assert err.value.code == code
    cluster.refresh_from_db()
    assert cluster.name == "Chợ Mỹ Tho cũ"
    # Nothing changed: no audit event.
    services.cluster_update(cluster=cluster, name="Chợ Mỹ Tho cũ", by=staff.district)
    assert AuditEvent.objects.filter(action="cluster.update").count() == 1


def test_only_the_clusters_jurisdiction_manages_it(outbreak):
    """The other district sees the cluster through its resident's case: it may add its own cases to it,
    not rename, close or reopen it; a station with no link to it does not see it at all."""
    staff, units, cluster = outbreak.staff, outbreak.units, outbreak.cluster
    other_district = User.objects.create(username="gocong", role=Role.DISTRICT_OFFICER,
                                         jurisdiction_unit=units.other_district)
    assert not services.cluster_managed_by(cluster, other_district)
    assert services.cluster_managed_by(cluster, staff.district) and services.cluster_managed_by(cluster, SYSTEM)
    assert not services.cluster_managed_by(cluster, None)
    with pytest.raises(PermissionDenied) as err:
        services.cluster_update(cluster=cluster, name="Chợ Mỹ Tho (ổ dịch)", by=other_district)
    assert err.value.code == "cases_cluster_not_managed" and units.commune.name in str(err.value.message)
    with pytest.raises(PermissionDenied):
        services.cluster_close(cluster=cluster, closed_on=date(2021, 9, 20), reason="x", by=staff.other_commune)
    neighbour = confirm(PersonFactory(full_name="Võ Văn Em", commune=units.other_commune), staff.other_commune,
                        day=4)
    services.cluster_add_cases(cluster=cluster, codes=[neighbour.code], by=staff.other_commune)
    assert neighbour.code in codes_of(cluster)
    third = units.district.children.order_by("code")[2]
    station3 = User.objects.create(username="station3", role=Role.COMMUNE_STATION, jurisdiction_unit=third)
    with pytest.raises(NotFound):  # neither located in its commune nor any case living there
        services.cluster_update(cluster=cluster, name="x", by=station3)
    with pytest.raises(NotFound):
        services.cluster_add_cases(cluster=cluster, codes=[neighbour.code], by=station3)


def test_add_cases_by_code(outbreak):
    staff, cluster = outbreak.staff, outbreak.cluster
    assert codes_of(cluster) == sorted([outbreak.an.code, outbreak.binh.code, outbreak.cuong.code])
    assert AuditEvent.objects.filter(action="case.cluster").count() == 3
    other = services.cluster_create(name="Gia đình Dung", kind="household", commune=outbreak.units.commune,
                                    by=staff.commune)
    # Pasted codes: lower case, several separators, duplicates; a case already there is no change.
    added = services.cluster_add_cases(cluster=other, codes=f" {outbreak.stray.code.lower()},\n{outbreak.stray.code};",
                                       by=staff.commune)
    assert [c.code for c in added] == [outbreak.stray.code]
    assert services.cluster_add_cases(cluster=other, codes=[outbreak.stray.code], by=staff.commune) == []
    assert codes_of(other) == [outbreak.stray.code]


def test_add_cases_is_all_or_nothing_and_says_what_is_wrong(outbreak):
    staff, cluster = outbreak.staff, outbreak.cluster
    other = services.cluster_create(name="Gia đình An", kind="household", commune=outbreak.units.commune,
                                    by=staff.epidemiologist)
    with pytest.raises(ValidationFailed) as err:
        services.cluster_add_cases(cluster=other, codes=f"{outbreak.stray.code} F0-82-999999 {outbreak.an.code}",
                                   by=staff.epidemiologist)
    errors = {e.params["case_code"]: e.code for e in err.value.errors}
    assert errors == {"F0-82-999999": "cases_cluster_case_not_found", outbreak.an.code: "cases_cluster_case_in_other_cluster"}
    assert "Chợ Mỹ Tho" in str(err.value.errors[1].message)
    assert codes_of(other) == []  # the good code was not saved either
    services.cluster_add_cases(cluster=other, codes=[outbreak.stray.code, outbreak.an.code], move=True,
                               by=staff.epidemiologist)
    assert codes_of(other) == sorted([outbreak.stray.code, outbreak.an.code])
    assert outbreak.an.code not in codes_of(cluster)


def test_add_cases_out_of_jurisdiction_reads_as_unknown(outbreak):
    staff = outbreak.staff
    # The commune station sees the cluster (its commune) but not Bình's case (commune2): not found, as unknown.
    mine = services.cluster_create(name="Xóm 3", kind="community", commune=outbreak.units.commune, by=staff.commune)
    with pytest.raises(ValidationFailed) as err:
        services.cluster_add_cases(cluster=mine, codes=[outbreak.stray.code, outbreak.binh.code], by=staff.commune)
    assert [e.code for e in err.value.errors] == ["cases_cluster_case_not_found"]
    assert outbreak.binh.code in str(err.value.errors[0].message)
    assert codes_of(mine) == []


@pytest.mark.parametrize("codes, code", [("", "cases_cluster_codes_required"), (" ,; \n", "cases_cluster_codes_required"),
                                         ([f"F0-82-{n:06d}" for n in range(201)], "cases_cluster_too_many_codes")])
def test_add_cases_needs_codes(outbreak, codes, code):
    with pytest.raises(DomainError) as err:
        services.cluster_add_cases(cluster=outbreak.cluster, codes=codes, by=outbreak.staff.epidemiologist)
    assert err.value.code == code


def test_close_rules(outbreak):
    staff, cluster = outbreak.staff, outbreak.cluster
    today = timezone.localdate()
    for closed_on, reason, code in [
        (None, "hết ca", "cases_cluster_close_date_required"),
        (today + timedelta(days=1), "hết ca", "cases_date_in_future"),
        (date(2021, 8, 13), "hết ca", "cases_cluster_close_before_open"),
        (date(2021, 8, 16), "hết ca", "cases_cluster_close_before_last_case"),  # Bình confirmed 17/08
        (date(2021, 9, 14), "  ", "cases_cluster_reason_required"),
    ]:
        with pytest.raises(DomainError) as err:
            services.cluster_close(cluster=cluster, closed_on=closed_on, reason=reason, by=staff.district)
        assert err.value.code == code, closed_on
    cluster.refresh_from_db()
    assert cluster.is_open
    # Active cases do not block closing; the day of the last case is allowed.
    closed = services.cluster_close(cluster=cluster, closed_on=date(2021, 8, 17), reason="28 ngày không ca mới",
                                    by=staff.district)
    assert closed.closed_on == date(2021, 8, 17) and closed.closed_reason == "28 ngày không ca mới"
    with pytest.raises(DomainError) as err:
        services.cluster_close(cluster=cluster, closed_on=date(2021, 9, 1), reason="x", by=staff.district)
    assert err.value.code == "cases_cluster_already_closed"
    # A closed cluster takes no case, from either side.
    with pytest.raises(DomainError) as err:
        services.cluster_add_cases(cluster=cluster, codes=[outbreak.stray.code], by=staff.district)
    assert err.value.code == "cases_cluster_closed"
    with pytest.raises(DomainError):
        services.case_add_to_cluster(case=outbreak.stray, cluster=cluster, by=staff.district)
    # Reopening needs a reason; it clears the closing, which the audit trail keeps.
    with pytest.raises(DomainError) as err:
        services.cluster_reopen(cluster=cluster, reason="", by=staff.district)
    assert err.value.code == "cases_cluster_reason_required"
    reopened = services.cluster_reopen(cluster=cluster, reason="ca mới F0-82-000009", by=staff.district)
    assert reopened.is_open and reopened.closed_reason == ""
    event = AuditEvent.objects.get(action="cluster.reopen")
    assert event.detail == {"was_closed_on": "2021-08-17", "closed_reason": "28 ngày không ca mới",
                            "reason": "ca mới F0-82-000009"}
    with pytest.raises(DomainError) as err:
        services.cluster_reopen(cluster=cluster, reason="again", by=staff.district)
    assert err.value.code == "cases_cluster_not_closed"


def test_list_is_scoped(outbreak):
    staff, units = outbreak.staff, outbreak.units
    elsewhere = services.cluster_create(name="KCN Gò Công", kind="industrial_park", commune=units.other_commune,
                                        opened_on=date(2021, 8, 20), by=staff.province)
    names = lambda user, **kw: [c.name for c in selectors.cluster_list(user=user, **kw)]  # noqa: E731
    assert names(staff.province) == ["KCN Gò Công", "Chợ Mỹ Tho"]
    assert names(staff.district) == ["Chợ Mỹ Tho"]  # located in its district
    assert names(staff.commune) == ["Chợ Mỹ Tho"]
    # The other commune's station sees the Mỹ Tho cluster because Cường, one of its residents, is a case of it.
    assert names(staff.other_commune) == ["KCN Gò Công", "Chợ Mỹ Tho"]
    with pytest.raises(NotFound):
        selectors.cluster_get(user=staff.district, cluster_id=elsewhere.pk)
    for bad in ("not-a-uuid", None, "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            selectors.cluster_get(user=staff.province, cluster_id=bad)
    # A commune station that neither hosts it nor has a case in it does not see it.
    station2 = User.objects.create(username="station2", role=Role.COMMUNE_STATION, jurisdiction_unit=units.commune2)
    services.case_add_to_cluster(case=outbreak.binh, cluster=None, by=staff.epidemiologist)
    assert names(station2) == []


def test_list_counts_filters_and_search(outbreak):
    staff, units = outbreak.staff, outbreak.units
    services.case_set_status(case=outbreak.an, status="recovered", since=outbreak.an.confirmed_at + timedelta(days=10),
                             by=staff.epidemiologist)
    services.cluster_create(name="Trường THCS", kind="school", commune=units.commune2, opened_on=date(2021, 8, 20),
                            by=staff.epidemiologist)
    cluster = selectors.cluster_get(user=staff.district, cluster_id=outbreak.cluster.pk)
    assert (cluster.case_count, cluster.active_count) == (3, 2)
    assert timezone.localdate(cluster.first_case_at) == date(2021, 8, 14)
    assert timezone.localdate(cluster.last_case_at) == date(2021, 8, 17)
    assert cluster.days_since_last_case == (timezone.localdate() - date(2021, 8, 17)).days
    # The commune station counts the other district's case too (figures), but lists only its own.
    mine = selectors.cluster_get(user=staff.commune, cluster_id=outbreak.cluster.pk)
    assert mine.case_count == 3
    assert [c.code for c in selectors.cluster_cases(user=staff.commune, cluster=mine)] == [outbreak.an.code]
    assert [c.code for c in selectors.cluster_cases(user=staff.province, cluster=mine)] == [
        outbreak.an.code, outbreak.cuong.code, outbreak.binh.code]

    def names(**kw):
        return [c.name for c in selectors.cluster_list(user=staff.district, **kw)]

    assert names(kind="school") == ["Trường THCS"]
    assert names(commune_id=units.commune.pk) == ["Chợ Mỹ Tho"]
    assert names(query="cho my") == ["Chợ Mỹ Tho"] and names(query="THCS") == ["Trường THCS"]
    assert names(query="!!!") == ["Trường THCS", "Chợ Mỹ Tho"]  # nothing searchable: no filter
    services.cluster_close(cluster=outbreak.cluster, closed_on=date(2021, 9, 20), reason="hết", by=staff.district)
    assert names(status="closed") == ["Chợ Mỹ Tho"] and names(status="open") == ["Trường THCS"]
    assert names() == ["Trường THCS", "Chợ Mỹ Tho"]  # open ones first
    assert [c.name for c in selectors.cluster_communes(user=staff.district)] == sorted(
        [units.commune.name, units.commune2.name])


def test_list_counts_of_a_cluster_without_cases(outbreak):
    """The counts are subqueries per cluster shown (not a join grouped by cluster): none is 0, no dates."""
    staff, units = outbreak.staff, outbreak.units
    services.cluster_create(name="Trường THCS", kind="school", commune=units.commune2, opened_on=date(2021, 8, 20),
                            by=staff.epidemiologist)
    rows = {c.name: (c.case_count, c.active_count, c.first_case_at is None, c.last_case_at is None)
            for c in selectors.cluster_list(user=staff.district)}
    assert rows == {"Trường THCS": (0, 0, True, True), "Chợ Mỹ Tho": (3, 3, False, False)}


def test_daily_counts(outbreak):
    days = selectors.cluster_daily_counts(cluster=outbreak.cluster)
    assert days == [(date(2021, 8, 14), 1), (date(2021, 8, 15), 0), (date(2021, 8, 16), 1), (date(2021, 8, 17), 1)]
    # Open on to today: at most 28 empty days after the last case.
    tail = selectors.cluster_daily_counts(cluster=outbreak.cluster, until=timezone.localdate())
    assert tail[-1] == (date(2021, 9, 14), 0) and len(tail) == 32
    assert selectors.cluster_daily_counts(cluster=outbreak.cluster, until=date(2021, 8, 20))[-1] == (date(2021, 8, 20), 0)
    empty = services.cluster_create(name="x", kind="venue", commune=outbreak.units.commune,
                                    by=outbreak.staff.epidemiologist)
    assert selectors.cluster_daily_counts(cluster=empty) == []


def test_chart_escapes_and_scales():
    from lachan.cases.chart import epicurve_svg

    assert epicurve_svg([]) == ""
    svg = epicurve_svg([(date(2021, 8, 14) + timedelta(days=n), n % 3) for n in range(60)])
    assert svg.startswith("<svg") and svg.count("<rect") == 40 and "14/08" in svg and "viewBox" in svg


def test_case_page_cluster_picker_lists_open_clusters(outbreak, client):
    staff = outbreak.staff
    services.cluster_close(cluster=outbreak.cluster, closed_on=date(2021, 9, 20), reason="hết", by=staff.district)
    services.cluster_create(name="Xóm 3", kind="community", commune=outbreak.units.commune, by=staff.commune)
    client.force_login(staff.commune)
    body = client.get(f"/cases/{outbreak.stray.pk}/").content.decode()
    assert "Xóm 3" in body and "Chợ Mỹ Tho" not in body
    body = client.get(f"/cases/{outbreak.an.pk}/").content.decode()  # its own (closed) cluster stays listed
    assert f'href="/cases/clusters/{outbreak.cluster.pk}/"' in body
