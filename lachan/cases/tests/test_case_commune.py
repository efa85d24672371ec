"""A case's commune is its person's commune of residence, kept in step wherever either is written (issue 12 item 22:
jurisdiction reads a commune's cases by (commune, confirmed_at))."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from lachan.accounts.jurisdiction import scope_for
from lachan.cases import selectors, services
from lachan.cases.models import Case
from lachan.cases.scope import case_scope_q
from lachan.people import services as people_services
from lachan.people.models import Person
from lachan.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
CONFIRMED = timezone.make_aware(datetime(2021, 8, 14, 10, 0))


def confirm(person, by):
    return services.case_confirm(person=person, by=by, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13),
                                 origin="community", confirmed_at=CONFIRMED)


def in_step() -> bool:
    return all(c.commune_id == c.person.commune_id for c in Case.objects.select_related("person"))


def test_a_confirmed_case_takes_its_persons_commune(units, staff):
    one = PersonFactory(full_name="Nguyễn Văn An", commune=units.commune)
    case = confirm(one, staff.epidemiologist)
    assert case.commune_id == units.commune.pk
    two = PersonFactory(full_name="Trần Bình", commune=units.commune2)
    three = PersonFactory(full_name="Lê Chi", commune=units.other_commune)
    many = services.cases_confirm_many(items=[
        services.CaseToConfirm(person=p, sample_date=date(2021, 8, 13), origin="community", confirmed_at=CONFIRMED)
        for p in (two, three)], by=staff.epidemiologist)
    assert [c.commune_id for c in many] == [units.commune2.pk, units.other_commune.pk]
    assert in_step()


def test_a_stale_person_instance_does_not_give_a_stale_commune(units, staff):
    person = PersonFactory(full_name="Nguyễn Văn An", commune=units.commune)
    Person.objects.filter(pk=person.pk).update(commune=units.commune2)  # moved meanwhile; `person` still says commune
    assert confirm(person, staff.epidemiologist).commune_id == units.commune2.pk


def test_a_case_saved_without_a_commune_takes_its_persons(units):
    person = PersonFactory(full_name="Nguyễn Văn An", commune=units.commune2)
    case = Case.objects.create(person=person, code="X-1", confirmed_at=CONFIRMED, sample_date=date(2021, 8, 13),
                               origin="community", status_since=CONFIRMED, infectious_from=date(2021, 8, 11),
                               isolated_at=CONFIRMED)
    assert case.commune_id == units.commune2.pk


def test_a_move_takes_the_cases_along_and_jurisdiction_follows(units, staff):
    person = PersonFactory(full_name="Nguyễn Văn An", commune=units.commune)
    case = confirm(person, staff.epidemiologist)
    assert selectors.cases_in_scope(staff.commune).filter(pk=case.pk).exists()
    people_services.person_update(person=person, by=staff.district, commune=units.commune2)
    case.refresh_from_db()
    assert case.commune_id == units.commune2.pk and in_step()
    assert not selectors.cases_in_scope(staff.commune).filter(pk=case.pk).exists()
    assert selectors.cases_in_scope(staff.district).filter(pk=case.pk).exists()
    people_services.person_update(person=person, by=staff.district, phone="0912345678")  # not a move: no change
    case.refresh_from_db()
    assert case.commune_id == units.commune2.pk


def test_a_merge_gives_the_moved_cases_the_survivors_commune(units, staff):
    keep = PersonFactory(full_name="Nguyễn Văn An", commune=units.commune)
    merge = PersonFactory(full_name="Nguyễn Văn An", commune=units.commune2)
    case = confirm(merge, staff.epidemiologist)
    people_services.person_merge(keep=keep, merge=merge, by=staff.province)
    case.refresh_from_db()
    assert (case.person_id, case.commune_id) == (keep.pk, units.commune.pk) and in_step()


@pytest.mark.parametrize("who", ["province", "district", "commune", "other_commune"])
def test_the_case_filter_is_the_persons_filter(units, staff, who):
    """The jurisdiction by the case's commune selects exactly the cases selected through their people."""
    for n, commune in enumerate([units.commune, units.commune2, units.other_commune]):
        confirm(PersonFactory(full_name=f"Người {n}", commune=commune), staff.epidemiologist)
    scope = scope_for(getattr(staff, who))
    by_case = set(Case.objects.filter(case_scope_q(scope)).values_list("pk", flat=True))
    by_person = set(Case.objects.filter(scope.person_q(person_field="person")).values_list("pk", flat=True))
    assert by_case == by_person and by_case
