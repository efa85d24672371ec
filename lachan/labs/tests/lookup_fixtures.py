"""Test data for the citizens' look-up and the slip: a laboratory with staff, people with dates of birth, and
tubes registered straight with the ORM, released through the results service. Import with
`from lachan.labs.tests.lookup_fixtures import *  # noqa: F403`."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.labs import results
from lachan.labs.models import Campaign, Laboratory, Sample, SampleStatus, Swab
from lachan.labs.results.release import outcome_for
from lachan.labs.tests.results_fixtures import make_sample
from lachan.people.models import Person

__all__ = ["fresh_cache", "tube", "world"]
_codes = count(1)


@pytest.fixture(autouse=True)
def fresh_cache(request):
    """The rate limits live in the cache: every test starts with none. The default cache is a database table,
    so a test without the database (pure arithmetic) has nothing to clear."""
    with_db = {"db", "transactional_db", "django_db_reset_sequences"} & set(request.fixturenames)
    if not with_db and request.node.get_closest_marker("django_db") is None:
        yield
        return
    cache.clear()
    yield
    cache.clear()


def tube(people, *, lab, status, collected_at, released_at=None, result="", pooled=None, site=None):
    """A tube straight in the tables, its swabs' outcomes as the results service sets them on release."""
    pooled = len(people) > 1 if pooled is None else pooled
    sample = Sample.objects.create(code=f"T-{next(_codes):06d}", pooled=pooled, test_type="rt_pcr", laboratory=lab,
                                   site=site, campaign=site.campaign if site else None, status=status,
                                   collected_at=collected_at, released_at=released_at, result=result)
    outcome = outcome_for(result, pooled) if status == SampleStatus.RELEASED else "pending"
    Swab.objects.bulk_create([Swab(sample=sample, person=p, pooled=pooled, position=n, outcome=outcome,
                                    **Swab.flags(outcome))
                              for n, p in enumerate(people, start=1)])
    return sample


@pytest.fixture
def world(units, staff, make_user):
    place = Place.objects.create(kind=PlaceKind.LABORATORY, name="CDC Tiền Giang", commune=units.commune)
    lab = Laboratory.objects.create(place=place)
    lab_user = make_user(Role.LAB_STAFF, place=place, username="labtech")
    campaign = Campaign.objects.create(name="Sàng lọc Mỹ Tho", kind="screening", unit=units.district,
                                       starts_on=timezone.localdate() - timedelta(days=3), laboratory=lab, pool_size=5)

    def person(name, born, *, commune=units.commune, phone="", national_id="", year=None):
        return Person.objects.create(full_name=name, commune=commune, birth_date=born, birth_year=year,
                                     phone=phone, national_id=national_id)

    an = person("Nguyễn Văn An", date(1985, 7, 21), phone="0912345678", national_id="082085001234")
    binh = person("Trần Thị Bình", date(1990, 1, 2), phone="0912345679")
    twin1 = person("Lê Văn Cường", date(2010, 5, 5), phone="0987650001")
    twin2 = person("Lê Văn Dũng", date(2010, 5, 5), phone="0987650002", national_id="082210009999")
    only_year = person("Phạm Thị Em", None, year=1970, phone="0911112222")
    far = person("Võ Văn Xa", date(1980, 3, 3), commune=units.other_commune, phone="0911113333")

    def sample(code, people, *, release=None, status="received", **kwargs):
        s = make_sample(code, people, lab=lab, campaign=campaign, status=status, **kwargs)
        if release:
            s, _released = results.result_enter(sample=s, result=release, by=lab_user)
        return s

    return SimpleNamespace(units=units, staff=staff, lab=lab, lab_user=lab_user, campaign=campaign, an=an, binh=binh,
                           twin1=twin1, twin2=twin2, only_year=only_year, far=far, sample=sample, person=person,
                           make_user=make_user)
