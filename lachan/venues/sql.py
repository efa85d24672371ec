"""Hand-written SQL for the check-in path (one check-in or a scanner's batch): the venues of the
scanned codes, the people, the earlier check-ins that make a retry or a second scan, the INSERT.
The ORM spent ~0.5 ms of CPU building each of these queries, several times what the database took
to answer it, and a check-in needs four. Plain SQL that SQLite and PostgreSQL both accept; values go
in through the fields' own get_db_prep_value and come back through the ORM's converters (RowReader)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections

from lachan.core.db import RowReader, placeholders
from lachan.geo.models import AdminUnit, Place
from lachan.people.models import Person

from .models import CheckIn, Venue

INSERT_CHUNK = 100  # rows per INSERT: 700 parameters, under SQLite's oldest limit (999)

_venues = RowReader(Venue)
_places = RowReader(Place)
_units = RowReader(AdminUnit, exclude=("boundary",))  # a commune's GeoJSON is never needed here
_checkins = RowReader(CheckIn)
_person_ids = RowReader(Person, exclude=tuple(f.name for f in Person._meta.concrete_fields if not f.primary_key))
_INSERT_FIELDS = [f for f in CheckIn._meta.concrete_fields if not f.primary_key]


def _db():
    return connections[DEFAULT_DB_ALIAS]  # the thread's own connection: the `connection` proxy costs per access


def _prep(model, name: str, value, db):
    return model._meta.get_field(name).get_db_prep_value(value, db, prepared=False)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


# The statements are built once per database vendor and count of values (quoting names costs too).

@lru_cache(maxsize=256)
def _venues_sql(vendor: str, n: int) -> str:
    return (f"SELECT {_venues.columns('v')}, {_places.columns('p')}, {_units.columns('u')} FROM {_table(Venue)} v "
            f"JOIN {_table(Place)} p ON p.{_column(Place, 'id')} = v.{_column(Venue, 'place')} "
            f"JOIN {_table(AdminUnit)} u ON u.{_column(AdminUnit, 'id')} = p.{_column(Place, 'commune')} "
            f"WHERE v.{_column(Venue, 'code')} IN ({placeholders(n)})")


@lru_cache(maxsize=1024)
def _near_sql(vendor: str, people: int, venues: int, keys: int, with_people: bool = False) -> str:
    c = {name: f"x.{_column(CheckIn, name)}" for name in ("person", "venue", "checkout_assumed", "checked_in_at",
                                                          "checked_out_at", "client_key")}
    sql = (f"SELECT {_checkins.columns('x')} FROM {_table(CheckIn)} x WHERE {c['person']} IN ({placeholders(people)}) "
           f"AND (({c['venue']} IN ({placeholders(venues)}) AND {c['checkout_assumed']} = %s "
           f"AND {c['checked_in_at']} >= %s AND {c['checked_in_at']} <= %s AND {c['checked_out_at']} > %s)")
    if keys:  # "<> ''" lets both databases use the partial unique index on (person, client_key)
        sql += f" OR ({c['client_key']} IN ({placeholders(keys)}) AND {c['client_key']} <> '')"
    sql += ")"
    if with_people:  # and, in the same round trip, which of the people exist (rows with no check-in id)
        empty = ", ".join("NULL" if f.name != "person" else f"p.{_column(Person, 'id')}" for f in _checkins.fields)
        sql += (f" UNION ALL SELECT {empty} FROM {_table(Person)} p WHERE p.{_column(Person, 'id')} "
                f"IN ({placeholders(people)}) AND p.{_column(Person, 'merged_into')} IS NULL")
    return sql


@lru_cache(maxsize=256)
def _insert_sql(vendor: str, rows: int) -> str:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _INSERT_FIELDS)
    row = f"({placeholders(len(_INSERT_FIELDS))})"
    return (f"INSERT INTO {_table(CheckIn)} ({columns}) VALUES {', '.join([row] * rows)} "
            f"RETURNING {_column(CheckIn, 'id')}")


def venues_by_code(codes: set[str]) -> dict[str, Venue]:
    """The venues with these codes, their place and commune loaded (as select_related would)."""
    if not codes:
        return {}
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(_venues_sql(db.vendor, len(codes)), list(codes))
        rows = cursor.fetchall()
    venue_end = len(_venues.fields)
    place_end = venue_end + len(_places.fields)
    found = {}
    for row in rows:
        venue, place = _venues.build(row[:venue_end], db), _places.build(row[venue_end:place_end], db)
        place.commune = _units.build(row[place_end:], db)
        venue.place = place
        found[venue.code] = venue
    return found


@lru_cache(maxsize=4)
def _own_person_sql(vendor: str) -> str:
    return (f"SELECT {_person_ids.columns('x')} FROM {_table(Person)} x WHERE x.{_column(Person, 'account')} = %s "
            f"AND x.{_column(Person, 'merged_into')} IS NULL ORDER BY x.{_column(Person, 'id')} LIMIT 1")


def person_of_account(user_id: int) -> Person | None:
    """The (unmerged) person record linked to a citizen's account, only its id loaded."""
    db = _db()
    with db.cursor() as cursor:
        cursor.execute(_own_person_sql(db.vendor), [user_id])
        row = cursor.fetchone()
    return _person_ids.build(row, db) if row else None


def checkins_near(*, people: set[UUID], venues: set[UUID], keys: set[str], low: datetime, high: datetime,
                  with_people: bool = False) -> tuple[list[CheckIn], set[UUID] | None]:
    """These people's check-ins with one of these client keys, or at one of these venues with an open
    (assumed) stay that began in [low, high] and ends after low; with_people: also which of the people
    exist and are not merged (else None), in the same query. Both databases use the (person,
    checked_in_at) index, and PostgreSQL the (person, client_key) one for the keys."""
    db = _db()
    person_ids = [_prep(CheckIn, "person", p, db) for p in people]
    params = person_ids + [_prep(CheckIn, "venue", v, db) for v in venues]
    params += [_prep(CheckIn, "checkout_assumed", True, db), _prep(CheckIn, "checked_in_at", low, db),
               _prep(CheckIn, "checked_in_at", high, db), _prep(CheckIn, "checked_out_at", low, db)]
    params += list(keys)
    if with_people:
        params += person_ids
    with db.cursor() as cursor:
        cursor.execute(_near_sql(db.vendor, len(people), len(venues), len(keys), with_people), params)
        rows = cursor.fetchall()
    if not with_people:
        return [_checkins.build(row, db) for row in rows], None
    found, active = [], set()
    person_at = [f.name for f in _checkins.fields].index("person")
    for row in rows:
        if row[0] is None:
            active.add(_checkins.convert(row, db)[person_at])
        else:
            found.append(_checkins.build(row, db))
    return found, active


def checkins_insert(checkins: list[CheckIn]) -> None:
    """INSERT … RETURNING id, a hundred rows a statement; each check-in gets its id. Run it in a
    transaction (an IntegrityError leaves the earlier statements to be rolled back)."""
    db = _db()
    if not db.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35
        CheckIn.objects.bulk_create(checkins)
        return
    with db.cursor() as cursor:
        for start in range(0, len(checkins), INSERT_CHUNK):
            chunk = checkins[start:start + INSERT_CHUNK]
            params = [f.get_db_prep_save(getattr(obj, f.attname), db) for obj in chunk for f in _INSERT_FIELDS]
            cursor.execute(_insert_sql(db.vendor, len(chunk)), params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = db.alias
