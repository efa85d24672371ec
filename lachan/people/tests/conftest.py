import itertools

import pytest

from lachan.people.identity import national_id_make

_serial = itertools.count(1)


@pytest.fixture
def make_person(units):
    """A person saved directly (bypassing the service, like an import), for selector and merge tests."""
    from .factories import PersonFactory

    def make(full_name="Nguyễn Văn An", *, commune=None, **fields):
        fields.setdefault("sex", "M")
        return PersonFactory(full_name=full_name, commune=commune or units.commune, **fields)

    return make


@pytest.fixture
def cccd():
    def make(birth_year=1990, sex="M", province="082"):
        return national_id_make(province=province, birth_year=birth_year, sex=sex, serial=next(_serial))

    return make


@pytest.fixture
def enterprise_place(units):
    from django.apps import apps

    from lachan.geo.models import Place

    Enterprise = apps.get_model("enterprises", "Enterprise")

    place = Place.objects.create(kind="enterprise", name="Công ty May Mỹ Tho", commune=units.commune2)
    return Enterprise.objects.create(place=place)

