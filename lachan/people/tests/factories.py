"""Test data of the people register (factory_boy).

Rows are written with `objects.create`, bypassing the services as the hand-built rows they replace did;
`Person.save` folds the names for search. A person has a name and a commune and nothing else, like most people
the tests build; `identified=True` adds a well-formed CCCD (`people.identity.national_id_make`, consistent with the
year of birth and sex) and a mobile number (`core.phones`):

    PersonFactory(commune=units.commune)
    PersonFactory(full_name="Nguyễn Văn An", commune=units.commune, birth_date=date(1990, 5, 1))
    PersonFactory(commune=units.commune, identified=True, sex="F")
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from lachan.core.phones import phone_parse
from lachan.geo.tests.factories import default_commune
from lachan.people.identity import national_id_make

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng")
_MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Hữu")
_GIVEN = ("An", "Bình", "Cường", "Dung", "Em", "Giang", "Hà", "Khoa", "Lan", "Mai", "Nam")
# CCCD serials of the factory start here: `cccd` fixtures count from 1 (a shared number would make a duplicate).
_SERIAL_BASE = 500_000


def person_name(n: int) -> str:
    """A Vietnamese full name; 385 different ones in a row (7 × 5 × 11)."""
    return f"{_FAMILY[n % len(_FAMILY)]} {_MIDDLE[n % len(_MIDDLE)]} {_GIVEN[n % len(_GIVEN)]}"


def _birth_year(person) -> int | None:
    return person.birth_date.year if person.birth_date else None


def _cccd(person, n: int) -> str:
    sex = person.sex if person.sex in ("M", "F") else "M"
    return national_id_make(province="082", birth_year=person.birth_year, sex=sex,
                            serial=_SERIAL_BASE + n % _SERIAL_BASE)


def _mobile(n: int) -> str:
    phone = phone_parse(f"0388{n % 10**6:06d}")
    assert phone is not None
    return phone


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = "people.Household"

    code = factory.Sequence(lambda n: f"HGD-{n:05d}")
    commune = factory.LazyFunction(default_commune)
    address_line = factory.Sequence(lambda n: f"{n + 1} Lê Lợi")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = "people.Person"

    full_name = factory.Sequence(person_name)
    commune = factory.LazyFunction(default_commune)
    birth_date = None
    birth_year = factory.LazyAttribute(_birth_year)

    class Params:
        identified = factory.Trait(
            sex="M",
            birth_year=factory.LazyAttribute(lambda o: o.birth_date.year if o.birth_date else 1990),
            national_id=factory.LazyAttributeSequence(_cccd),
            phone=factory.Sequence(_mobile),
        )
