"""model_update writes only the columns that changed, with the changed-by/at stamps."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lachan.core.updates import model_update
from lachan.geo.models import Place, PlaceKind


@pytest.fixture
def place(units):
    return Place.objects.create(kind=PlaceKind.HEALTH_STATION, name="Trạm y tế", commune=units.commune,
                                address="1 Lê Lợi")


def test_only_the_changed_columns_are_written(place, staff):
    before = place.changed_at
    with CaptureQueriesContext(connection) as queries:
        changed = model_update(place, {"name": "Trạm y tế xã", "address": "1 Lê Lợi"}, changed_by=staff.commune)
    assert changed == ["name"]
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    columns = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert '"name"' in columns and '"changed_by_id"' in columns and '"changed_at"' in columns
    assert '"address"' not in columns and '"kind"' not in columns
    place.refresh_from_db()
    assert (place.name, place.changed_by_id) == ("Trạm y tế xã", staff.commune.pk) and place.changed_at > before


def test_nothing_written_when_nothing_changed(place, staff, units):
    stamp = timezone.now() - timedelta(days=1)
    Place.objects.filter(pk=place.pk).update(changed_at=stamp)
    place = Place.objects.get(pk=place.pk)  # the commune not loaded: compared by its key, no query
    same = {"name": "Trạm y tế", "commune": units.commune}
    with CaptureQueriesContext(connection) as queries:
        assert model_update(place, same, changed_by=staff.commune) == []
    assert queries.captured_queries == []
    place.refresh_from_db()
    assert place.changed_at == stamp and place.changed_by_id is None


def test_a_foreign_key_and_several_fields(place, units):
    assert model_update(place, {"commune": units.commune2, "latitude": 10.35, "name": "Trạm y tế"}) == [
        "commune", "latitude"]
    place.refresh_from_db()
    assert (place.commune_id, place.latitude) == (units.commune2.pk, 10.35)


def test_an_unknown_field_is_a_programming_error(place):
    with pytest.raises(ValueError, match="no field nmae"):
        model_update(place, {"nmae": "x"})
