"""Writing millions of rows fast: COPY/executemany column lists, SQLite's bulk mode, indexes rebuilt after a
big load, and the foreign-key check after a delete with SQLite's checks off."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from lachan.core.db import is_sqlite
from lachan.core.errors import DomainError

from .common import SimulateErrorCode


def _cols(model, names: list[str]) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


def _with_other_fields(model, names: list[str], rows, *, search_index: int | None = None):
    """Rows completed with the model's other NOT NULL columns, so that a field added to the model later
    does not break the bulk load: derived search columns computed, others given their default."""
    known = set(names)
    extra = [f for f in model._meta.concrete_fields if f.name not in known and not f.null and not f.primary_key]
    if not extra:
        return rows, names
    makers = []
    for f in extra:
        if f.name == "search_name_rev":  # "nguyen van an" → "an van nguyen"
            makers.append(lambda row: " ".join(reversed(row[search_index].split())))
        elif f.has_default():
            value = f.get_db_prep_save(f.get_default(), connection)
            makers.append(lambda row, value=value: value)
        else:
            raise RuntimeError(f"The generator does not know how to fill {model.__name__}.{f.name}.")
    return (tuple(row) + tuple(make(row) for make in makers) for row in rows), names + [f.name for f in extra]


def _check_foreign_keys() -> None:
    """After a delete with SQLite's foreign keys off: anything left pointing at a removed row?"""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        broken = cursor.fetchmany(5)
    if broken:
        raise DomainError(
            SimulateErrorCode.REAL_DATA,
            _("Other records point at the synthetic people or places (%(tables)s); they were not removed.")
            % {"tables": ", ".join(sorted({row[0] for row in broken}))},
        )


class _bulk_mode:
    """SQLite: no fsync, a big page cache and foreign keys unchecked during the load only (one
    transaction, so a crash loses the whole load, never half of it). Foreign keys are off because
    people.merged_into has no index: deleting people would scan the table once per row; integrity
    is checked with PRAGMA foreign_key_check before the commit instead."""

    def __enter__(self):
        # PRAGMA synchronous cannot change inside a transaction (e.g. in a test): then leave it.
        self.active = is_sqlite() and not connection.in_atomic_block
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA foreign_keys=OFF")
                cursor.execute("PRAGMA cache_size=-1000000")
        return self

    def __exit__(self, *exc):
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA cache_size=-64000")
        return False


class _indexes_rebuilt:
    """Drop a table's plain secondary indexes for a big load and create them again afterwards: building
    an index once over sorted data is much faster than updating it per row (a GIN trigram index most of
    all). Constraint-backed indexes (primary key, unique) stay. Only when the load is large."""

    MIN_ROWS = 100_000

    def __init__(self, table: str, *, rows: int):
        self.table = table
        self.rows = rows
        self.saved: list[tuple[str, str]] = []

    def __enter__(self):
        if self.rows < self.MIN_ROWS:
            return self
        with connection.cursor() as cursor:
            if is_sqlite():
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                    "AND sql NOT LIKE 'CREATE UNIQUE%%'", [self.table],
                )
            else:
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.schemaname = current_schema() "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
                    "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'", [self.table],
                )
            self.saved = list(cursor.fetchall())
            for name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, exc_type, *exc):
        if self.saved and exc_type is None:
            with connection.cursor() as cursor:
                if not is_sqlite():
                    # Pending deferred foreign-key checks block CREATE INDEX: run them now.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for _name, sql in self.saved:
                    cursor.execute(sql)
                if not is_sqlite():
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return False  # on an error the transaction rolls back, indexes included
