"""The test factories (lachan/*/tests/factories.py) make valid rows: what the services would accept."""

from datetime import date

import pytest

from lachan.accounts.tests.factories import PASSWORD, UserFactory
from lachan.cases.tests.factories import CaseFactory, ClusterFactory
from lachan.geo.tests.factories import PlaceFactory
from lachan.labs.tests.factories import CampaignFactory, LaboratoryFactory, SampleFactory, SwabFactory
from lachan.people.identity import national_id_validate
from lachan.people.tests.factories import HouseholdFactory, PersonFactory
from lachan.quarantine.tests.factories import FacilityFactory, OrderFactory
from lachan.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


def test_people_are_folded_and_identified_on_demand(units):
    plain = PersonFactory(full_name="Nguyễn Thị Ánh", commune=units.commune2)
    assert plain.search_name == "nguyen thi anh" and plain.national_id == "" and plain.phone == ""
    assert plain.commune == units.commune2 and PersonFactory().commune == units.commune
    born = PersonFactory(birth_date=date(1984, 3, 2))
    assert born.birth_year == 1984
    woman = PersonFactory(identified=True, sex="F", birth_date=date(2001, 5, 6))
    assert national_id_validate(woman.national_id, birth_date=woman.birth_date, sex="F") == woman.national_id
    man = PersonFactory(identified=True)
    assert national_id_validate(man.national_id, birth_year=man.birth_year, sex=man.sex) == man.national_id
    assert man.national_id != woman.national_id and len({man.phone, woman.phone}) == 2 and man.phone.startswith("0")
    assert HouseholdFactory(commune=units.commune).commune == units.commune


def test_users_have_the_tests_password(units):
    user = UserFactory(role="commune_station", jurisdiction_unit=units.commune)
    assert user.check_password(PASSWORD) and user.has_perm_code("people.view")
    assert UserFactory(password="another one!").check_password("another one!")


def test_rows_of_each_domain(units):
    lab = LaboratoryFactory()
    assert lab.place.kind == "laboratory"
    campaign = CampaignFactory(laboratory=lab, current_round=2)
    swab = SwabFactory(sample=SampleFactory(campaign=campaign, laboratory=lab, pooled=True))
    assert (swab.campaign, swab.round, swab.pooled) == (campaign, 2, True)
    order = OrderFactory(commune=units.other_commune, starts_on=date(2021, 8, 1), days=21)
    assert order.person.commune == units.other_commune and order.ends_on == date(2021, 8, 21)
    assert order.policy.kind == "quarantine" and order.policy.valid_from <= order.starts_on
    assert FacilityFactory().place.kind == "quarantine_facility" and VenueFactory().place.kind == "venue"
    case = CaseFactory(cluster=ClusterFactory())
    assert case.infectious_from < case.sample_date and case.cluster.is_open
    assert PlaceFactory(kind="checkpoint").commune == units.commune
