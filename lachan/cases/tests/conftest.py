from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from lachan.people.tests.factories import PersonFactory

CONFIRMED = timezone.make_aware(datetime(2021, 8, 14, 10, 0))


def confirm(person, by, *, day: int = 0, **kw):
    """A case confirmed `day` days after 14/08/2021."""
    from lachan.cases import services

    at = CONFIRMED + timedelta(days=day)
    args = {"onset_date": None, "sample_date": at.date(), "origin": "community", "confirmed_at": at, **kw}
    return services.case_confirm(person=person, by=by, **args)


@pytest.fixture
def outbreak(units, staff):
    """A supermarket cluster in Mỹ Tho's first commune with two cases of the district (days 0 and 3) and
    one of the other district (day 2); a stray case of the commune outside any cluster."""
    from lachan.cases import services

    epi = staff.epidemiologist

    def person(name, commune):
        return PersonFactory(full_name=name, commune=commune)

    an = confirm(person("Nguyễn Văn An", units.commune), epi)
    binh = confirm(person("Trần Thị Bình", units.commune2), epi, day=3)
    cuong = confirm(person("Lê Văn Cường", units.other_commune), epi, day=2)
    stray = confirm(person("Phạm Thị Dung", units.commune), epi, day=1)
    cluster = services.cluster_create(name="Chợ Mỹ Tho", kind="supermarket", commune=units.commune,
                                      source_description="Quầy rau", opened_on=date(2021, 8, 14), by=epi)
    services.cluster_add_cases(cluster=cluster, codes=[an.code, binh.code, cuong.code], by=epi)
    return SimpleNamespace(cluster=cluster, an=an, binh=binh, cuong=cuong, stray=stray, units=units, staff=staff)

