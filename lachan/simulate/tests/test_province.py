from collections import Counter
from datetime import date

import pytest

from lachan.core.errors import DomainError
from lachan.core.ids import uuid7
from lachan.enterprises.models import Enterprise, Team, Worker, Workshop
from lachan.geo.models import AdminUnit, Place, PlaceKind
from lachan.labs.models import Laboratory
from lachan.people.identity import national_id_validate, phone_normalize
from lachan.people.models import Household, Person
from lachan.people.tests.factories import PersonFactory
from lachan.simulate import data
from lachan.simulate.province import SYNTH_ID_LIMIT, SimulateErrorCode, synthetic_delete
from lachan.venues.models import Venue

PERSON_FIELDS = ("id", "full_name", "search_name", "birth_date", "sex", "national_id", "phone", "phone_alt",
                 "commune_id", "address_line", "household_id", "occupation")


def snapshot():
    people = list(Person.objects.order_by("id").values_list(*PERSON_FIELDS))
    places = list(Place.objects.order_by("id").values_list("id", "kind", "name", "commune_id", "address"))
    workers = list(Worker.objects.order_by("id").values_list("id", "person_id", "team_id"))
    return people, places, workers


def age(birth: date, as_of=date(2021, 7, 1)) -> int:
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


@pytest.mark.django_db
def test_same_seed_same_rows_other_seed_other_rows(generate):
    report = generate(people=1200, seed=5)
    assert report.people == Person.objects.count() == 1200
    first = snapshot()
    synthetic_delete()
    assert Person.objects.count() == 0 and Place.objects.count() == 0
    generate(people=1200, seed=5)
    assert snapshot() == first
    generate(people=1200, seed=6, fresh=True)
    other = snapshot()
    assert other[0] != first[0]
    assert {p[0] for p in other[0]}.isdisjoint({p[0] for p in first[0]})
    assert Person.objects.count() == 1200


@pytest.mark.django_db
def test_ids_are_synthetic_uuid7(generate):
    generate(people=300)
    ids = list(Person.objects.values_list("id", flat=True))
    assert all(i.version == 7 and i < SYNTH_ID_LIMIT for i in ids)


@pytest.mark.django_db
def test_age_structure_follows_the_census_pyramid(generate):
    generate(people=3000, seed=3)
    ages = [age(b) for b in Person.objects.filter(household__isnull=False).values_list("birth_date", flat=True)]
    n = len(ages)
    total = sum(m + f for _lo, _hi, m, f in data.AGE_BANDS)
    for lo, hi, male, female in data.AGE_BANDS:
        share = sum(lo <= a <= hi for a in ages) / n * 100
        expected = (male + female) / total * 100
        assert abs(share - expected) < 3.5, (lo, hi, share, expected)
    children = sum(a < 15 for a in ages) / n
    elderly = sum(a >= 65 for a in ages) / n
    assert 0.18 < children < 0.30  # 2019 census: 24 %
    assert 0.04 < elderly < 0.12  # 2019 census: 7.7 %
    sexes = Counter(Person.objects.values_list("sex", flat=True))
    assert set(sexes) == {"M", "F"} and 0.44 < sexes["M"] / 3000 < 0.56


@pytest.mark.django_db
def test_households_are_realistic(generate):
    generate(people=3000, seed=4)
    sizes = Counter(Person.objects.filter(household__isnull=False).values_list("household_id", flat=True))
    mean = sum(sizes.values()) / len(sizes)
    assert 3.2 < mean < 3.8
    assert 1 <= min(sizes.values()) and max(sizes.values()) <= 8
    assert Household.objects.count() == len(sizes)
    # Every household lives at one address in one commune; children live with a parent old enough.
    for household in Household.objects.order_by("id")[:200]:
        members = list(household.members.all())
        assert {m.commune_id for m in members} == {household.commune_id}
        assert {m.address_line for m in members} == {household.address_line}
        kids = [m for m in members if age(m.birth_date) < 14]
        if kids and len(members) > len(kids):
            adults = [m for m in members if age(m.birth_date) >= 18]
            assert adults, "children never live alone"
            assert max(age(a.birth_date) for a in adults) >= max(age(k.birth_date) for k in kids) + 18


@pytest.mark.django_db
def test_national_ids_and_phones_pass_the_people_validators(generate):
    generate(people=3000, seed=8)
    no_id_children = children = 0
    for p in Person.objects.all():
        if p.national_id:
            assert national_id_validate(p.national_id, birth_date=p.birth_date, birth_year=p.birth_year, sex=p.sex) == p.national_id
            assert p.national_id.startswith("082")
        elif p.household_id is not None:
            assert age(p.birth_date) < 14  # only young children have no ID (duplicates aside)
        for phone in (p.phone, p.phone_alt):
            if phone:
                assert phone_normalize(phone) == phone
        if p.birth_date and age(p.birth_date) < 10:
            assert p.phone == ""
        if p.household_id and age(p.birth_date) < 14:
            children += 1
            no_id_children += not p.national_id
    assert 0.03 < no_id_children / children < 0.2
    ids = [i for i in Person.objects.filter(household__isnull=False).values_list("national_id", flat=True) if i]
    assert len(ids) == len(set(ids))
    adults = Person.objects.filter(birth_date__lte=date(2000, 1, 1))
    assert adults.exclude(phone="").count() / adults.count() > 0.8


@pytest.mark.django_db
def test_people_live_in_communes_of_the_province(generate, units):
    generate(people=2000)
    communes = set(AdminUnit.objects.filter(level=3, path__startswith=units.province.path + "/").values_list("id", flat=True))
    used = set(Person.objects.values_list("commune_id", flat=True))
    assert used <= communes
    assert len(used) > 100  # spread over most of the 164 communes
    families = {n for n, _w in data.FAMILY_NAMES}
    names = Person.objects.filter(household__isnull=False).values_list("full_name", flat=True)
    assert all(name.split()[0] in families and len(name.split()) == 3 for name in names)
    assert Counter(n.split()[0] for n in names)["Nguyễn"] / len(names) > 0.3
    person = Person.objects.order_by("id").first()
    if hasattr(person, "search_name_rev"):  # derived search columns are filled by the bulk load too
        assert person.search_name_rev == " ".join(reversed(person.search_name.split()))
    # Commune populations filled from the generated counts, scaled to the province (2019 census).
    commune = AdminUnit.objects.get(pk=next(iter(used)))
    assert commune.population_source == "synthetic" and commune.population > 0
    total = sum(AdminUnit.objects.filter(pk__in=communes).values_list("population", flat=True))
    assert abs(total - data.PROVINCE_POPULATION["82"]) < 2000


@pytest.mark.django_db
def test_duplicates_are_planted(generate):
    generate(people=3000, seed=9)
    planted = Person.objects.filter(household__isnull=True)
    assert 2 <= planted.count() <= 30
    for dup in planted:
        twins = Person.objects.filter(household__isnull=False, search_name=dup.search_name, commune_id=dup.commune_id)
        assert twins.exists()


@pytest.mark.django_db
def test_places_of_every_kind(generate, units):
    generate(people=3000)
    kinds = Counter(Place.objects.values_list("kind", flat=True))
    assert set(kinds) == set(PlaceKind.values)
    communes = AdminUnit.objects.filter(level=3, path__startswith=units.province.path + "/").count()
    assert kinds[PlaceKind.HEALTH_STATION] == communes
    assert Venue.objects.count() == kinds[PlaceKind.VENUE] == 60
    assert len(set(Venue.objects.values_list("kind", flat=True))) >= 8
    assert set(Venue.objects.values_list("size", flat=True)) == {"small", "large"}
    assert Laboratory.objects.count() == kinds[PlaceKind.LABORATORY] >= 3
    assert Place.objects.filter(kind=PlaceKind.CHECKPOINT, checkpoint__road__startswith="Quốc lộ").exists()
    assert Enterprise.objects.filter(industrial_park="KCN Tân Hương").exists() or Enterprise.objects.exclude(industrial_park="").exists()
    assert Workshop.objects.exists() and Team.objects.exists()
    workers = Worker.objects.select_related("person")
    assert workers.count() > 50
    for worker in workers[:100]:
        assert worker.person.occupation == data.OCC_FACTORY
        assert 18 <= age(worker.person.birth_date) <= 50
        assert worker.team.workshop.enterprise_id == worker.enterprise_id


@pytest.mark.django_db
def test_refuses_bad_input_and_reruns(generate, units):
    with pytest.raises(DomainError) as err:
        generate(people=0)
    assert err.value.code == SimulateErrorCode.BAD_SIZE
    with pytest.raises(DomainError):
        generate(people=10, seed=1, province_code="99")
    generate(people=100)
    with pytest.raises(DomainError) as err:
        generate(people=100)
    assert err.value.code == SimulateErrorCode.ALREADY_GENERATED
    assert Person.objects.count() == 100  # nothing half-saved
    PersonFactory(id=uuid7(), full_name="Lê Văn Thật", commune=units.commune)  # an id of today: real data
    with pytest.raises(DomainError) as err:
        generate(people=100, fresh=True)
    assert err.value.code == SimulateErrorCode.REAL_DATA
    generate(people=100, fresh=True, force=True)
    assert Person.objects.filter(full_name="Lê Văn Thật").exists()
    assert Person.objects.count() == 101


@pytest.mark.django_db
def test_command(units, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("simulate_province", "--people", "500", "--seed", "3", "--province", "82", "--tree", "2021")
    assert Person.objects.count() == 500
    assert "generated" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--fresh"):
        call_command("simulate_province", "--people", "500", "--seed", "3", "--province", "82", "--tree", "2021")
    with pytest.raises(CommandError, match="date"):
        call_command("simulate_province", "--people", "5", "--as-of", "2021-13-01")


@pytest.mark.django_db
def test_two_level_tree(generate):
    """The 2025 tree has no districts: the generator still places everyone and every kind of place."""
    generate(people=800, seed=2, tree="2025", province_code="82")
    province = AdminUnit.objects.get(tree="2025", code="82")
    communes = AdminUnit.objects.filter(tree="2025", level=3, parent=province)
    assert communes.count() > 50
    assert set(Person.objects.values_list("commune__tree", flat=True)) == {"2025"}
    assert set(Person.objects.values_list("commune__parent_id", flat=True)) == {province.id}
    kinds = Counter(Place.objects.values_list("kind", flat=True))
    assert set(kinds) == set(PlaceKind.values) and kinds[PlaceKind.HEALTH_STATION] == communes.count()
    for p in Person.objects.exclude(national_id=""):
        national_id_validate(p.national_id, birth_date=p.birth_date, sex=p.sex)
