from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.cases import selectors, services
from lachan.cases.models import Case, CaseStatusChange
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
CONFIRMED = timezone.make_aware(datetime(2021, 8, 14, 10, 0))


@pytest.fixture
def person(units):
    return PersonFactory(full_name="Nguyễn Văn An", commune=units.commune)


def confirm(person, by, **kw):
    args = {"onset_date": date(2021, 8, 12), "sample_date": date(2021, 8, 13), "origin": "community",
            "confirmed_at": CONFIRMED, **kw}
    return services.case_confirm(person=person, by=by, **args)


def test_confirm_computes_code_and_window(person, staff):
    case = confirm(person, staff.epidemiologist)
    assert case.code == "F0-82-000001"
    assert case.infectious_from == date(2021, 8, 10)  # onset − 2 days (policy)
    assert case.isolated_at == CONFIRMED and case.status == "isolating_home"
    assert CaseStatusChange.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="case.confirm", person_id=person.pk).exists()
    other = PersonFactory(full_name="Trần Bình", commune=person.commune)
    assert confirm(other, staff.epidemiologist).code == "F0-82-000002"


def test_asymptomatic_window_from_sample(person, staff):
    case = confirm(person, staff.epidemiologist, onset_date=None, origin="in_quarantine")
    assert case.infectious_from == date(2021, 8, 11)
    assert case.status == "isolating_facility" and case.asymptomatic


@pytest.mark.parametrize("kw, code", [
    ({"onset_date": date(2021, 8, 14)}, "cases_onset_after_sample"),
    ({"sample_date": None}, "cases_sample_date_required"),
    ({"sample_date": date(2021, 8, 15)}, "cases_sample_after_confirmation"),
    ({"origin": "abroad"}, "cases_origin_invalid"),
    ({"confirmed_at": timezone.now() + timedelta(days=2)}, "cases_date_in_future"),
    ({"onset_date": date(2021, 5, 1)}, "cases_date_too_old"),
])
def test_bad_input_is_refused_and_nothing_saved(person, staff, kw, code):
    with pytest.raises(DomainError) as err:
        confirm(person, staff.epidemiologist, **kw)
    assert err.value.code == code
    assert not Case.objects.exists()


def test_future_sample_date_refused(person, staff):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(DomainError) as err:
        services.case_confirm(person=person, onset_date=None, sample_date=tomorrow, origin="community", by=staff.province)
    assert err.value.code == "cases_date_in_future"


def test_confirmed_twice_is_refused(person, staff):
    case = confirm(person, staff.epidemiologist)
    with pytest.raises(DomainError) as err:
        confirm(person, staff.epidemiologist, confirmed_at=CONFIRMED + timedelta(days=1))
    assert err.value.code == "cases_already_confirmed" and case.code in str(err.value.message)
    services.case_set_status(case=case, status="recovered", since=CONFIRMED + timedelta(days=14),
                             by=staff.epidemiologist)
    with pytest.raises(DomainError):  # recovered but within 90 days: the same infection
        confirm(person, staff.epidemiologist, confirmed_at=CONFIRMED + timedelta(days=30))


def test_person_outside_jurisdiction_is_not_found(person, staff):
    with pytest.raises(NotFound):
        confirm(person, staff.other_commune)
    with pytest.raises(PermissionDenied):
        from lachan.accounts.models import User
        from lachan.accounts.roles import Role

        confirm(person, User.objects.create(username="ioc", role=Role.IOC_OPERATOR, jurisdiction_unit=person.commune))


def test_status_moves_and_deceased_is_final(person, staff):
    case = confirm(person, staff.commune)
    services.case_set_status(case=case, status="hospital", since=CONFIRMED + timedelta(days=1), by=staff.commune)
    services.case_set_status(case=case, status="deceased", since=CONFIRMED + timedelta(days=3), by=staff.commune)
    with pytest.raises(DomainError) as err:
        services.case_set_status(case=case, status="recovered", by=staff.commune)
    assert err.value.code == "cases_status_final"
    with pytest.raises(DomainError):
        services.case_set_status(case=confirm(PersonFactory(full_name="X", commune=person.commune),
                                              staff.commune), status="flying", by=staff.commune)
    assert [c.status for c in case.status_changes.all()] == ["isolating_home", "hospital", "deceased"]


def test_clusters(person, staff):
    case = confirm(person, staff.epidemiologist)
    with pytest.raises(DomainError):
        services.cluster_create(name=" ", kind="venue", by=staff.epidemiologist)
    with pytest.raises(DomainError):
        services.cluster_create(name="Chợ", kind="moon", by=staff.epidemiologist)
    cluster = services.cluster_create(name="Chợ Mỹ Tho", kind="supermarket", commune=person.commune,
                                      by=staff.epidemiologist)
    services.case_add_to_cluster(case=case, cluster=cluster, by=staff.epidemiologist)
    assert list(selectors.case_list(user=staff.epidemiologist, cluster=cluster.pk)) == [case]


def test_selectors_are_scoped(person, staff):
    case = confirm(person, staff.epidemiologist)
    assert list(selectors.case_list(user=staff.commune)) == [case]
    assert list(selectors.case_list(user=staff.other_commune)) == []
    with pytest.raises(NotFound):
        selectors.case_get(user=staff.other_commune, case_id=case.pk)
    assert selectors.case_get(user=staff.district, case_id=case.pk) == case
    assert list(selectors.case_list(user=staff.province, query="F0-82-000001")) == [case]
    assert list(selectors.case_list(user=staff.province, query="van an")) == [case]


def test_search_by_name_same_rows_either_way(person, staff, monkeypatch):
    """A rare name starts from its people, a common one reads the cases newest first: the same rows."""
    cases = [confirm(person, staff.epidemiologist)] + [
        confirm(PersonFactory(full_name=f"Nguyễn Văn An {n}", commune=person.commune), staff.epidemiologist)
        for n in range(3)]
    confirm(PersonFactory(full_name="Trần Thị Bình", commune=person.commune), staff.epidemiologist)
    expected = sorted(cases, key=lambda c: (c.confirmed_at, c.pk), reverse=True)
    monkeypatch.setattr(selectors, "MANY_CASES", 1)
    for few in (1, 100):  # 4 people of the name: "common" with 1, "rare" with 100
        monkeypatch.setattr(selectors, "FEW_PEOPLE", few)
        assert list(selectors.case_list(user=staff.province, query="van an")) == expected
        assert list(selectors.case_list(user=staff.other_commune, query="van an")) == []
    monkeypatch.setattr(selectors, "MANY_CASES", 100)  # a small jurisdiction: read newest first
    assert list(selectors.case_list(user=staff.province, query="van an")) == expected


def test_many_confirmed_at_once_as_one_by_one(person, staff, django_assert_max_num_queries):
    epi = staff.epidemiologist
    confirm(person, epi)  # F0-82-000001
    others = [PersonFactory(full_name=f"Người {i}", commune=person.commune) for i in range(3)]
    items = [services.CaseToConfirm(person=p, sample_date=date(2021, 8, 13), origin=origin, confirmed_at=CONFIRMED,
                                    notes="from a lab file")
             for p, origin in zip(others, ["community", "in_quarantine", "community"], strict=True)]
    with django_assert_max_num_queries(20):  # per case only the visibility check and the audit event
        cases = services.cases_confirm_many(items=items, by=epi)
    assert [c.code for c in cases] == ["F0-82-000002", "F0-82-000003", "F0-82-000004"]
    assert [c.status for c in cases] == ["isolating_home", "isolating_facility", "isolating_home"]
    assert all(c.infectious_from == date(2021, 8, 11) and c.notes == "from a lab file" for c in cases)
    assert CaseStatusChange.objects.filter(case__in=cases).count() == 3
    assert AuditEvent.objects.filter(action="case.confirm", person_id__in=[p.pk for p in others]).count() == 3


def test_many_all_or_nothing_with_the_item_named(person, staff):
    epi = staff.epidemiologist
    confirm(person, epi)
    fresh = PersonFactory(full_name="Mới", commune=person.commune)

    def item(p, **kw):
        return services.CaseToConfirm(**{"person": p, "sample_date": date(2021, 8, 13), "origin": "community",
                                         "confirmed_at": CONFIRMED, **kw})

    for items, code, index in (
            ([item(fresh), item(person)], "cases_already_confirmed", 1),  # already a case
            ([item(fresh), item(fresh)], "cases_already_confirmed", 1),  # the same person twice
            ([item(fresh, sample_date=date(2021, 8, 15))], "cases_sample_after_confirmation", 0)):
        with pytest.raises(DomainError) as err:
            services.cases_confirm_many(items=items, by=epi)
        assert (err.value.code, err.value.params["index"]) == (code, index)
    assert Case.objects.count() == 1  # nothing half-saved
