"""The bulk writer on both databases (COPY on PostgreSQL, executemany on SQLite)."""

import pytest
from django.db import connection
from django.utils import timezone

from lachan.core.db import bulk_copy, db_datetime
from lachan.core.ids import uuid7
from lachan.geo.models import Place


@pytest.mark.django_db
def test_bulk_copy_writes_rows_the_orm_reads_back(units):
    now = db_datetime(timezone.now())
    ids = [uuid7() for _ in range(3)]
    rows = [(i.hex, now, now, "venue", f"Quán {n} – “Bà Ba”\\tab", units.commune.id, "", None, None, "", True)
            for n, i in enumerate(ids)]
    cols = [Place._meta.get_field(f).column for f in
            ("id", "created_at", "changed_at", "kind", "name", "commune", "address", "latitude", "longitude", "phone", "is_active")]
    assert bulk_copy(Place._meta.db_table, cols, iter(rows)) == 3
    places = {p.id: p for p in Place.objects.filter(id__in=ids)}
    assert set(places) == set(ids)
    first = places[ids[0]]
    assert first.name == "Quán 0 – “Bà Ba”\\tab" and first.is_active and first.created_at <= timezone.now()
    assert first.commune == units.commune


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: the COPY path")
def test_generation_uses_copy_on_postgresql(units):
    from lachan.people.models import Person
    from lachan.simulate.province import province_generate

    report = province_generate(people=2000, seed=1, tree="2021", province_code="82")
    assert report.people == Person.objects.count() == 2000
    assert Person.objects.filter(search_name__startswith="nguyen").count() > 500


def _index_names(table):
    with connection.cursor() as cursor:
        return {c for c, info in connection.introspection.get_constraints(cursor, table).items() if info["index"]}


@pytest.mark.django_db
def test_big_loads_rebuild_the_indexes(units, monkeypatch):
    """Above a size, the people indexes are dropped for the load and created again, all of them."""
    from lachan.people.models import Person
    from lachan.simulate.province import bulk, province_generate

    before = _index_names(Person._meta.db_table)
    monkeypatch.setattr(bulk._indexes_rebuilt, "MIN_ROWS", 10)
    province_generate(people=300, seed=1, tree="2021", province_code="82")
    assert _index_names(Person._meta.db_table) == before
    assert Person.objects.filter(search_name__startswith="nguyen").exists()
