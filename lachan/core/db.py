"""Differences between SQLite (embedded) and PostgreSQL (production), in one place."""

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import BooleanField, Expression, F, Q


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def chunked(iterable, size: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def db_datetime(value):
    """A timezone-aware datetime as the bulk writers below expect it for this database."""
    if is_sqlite():
        # Django keeps SQLite datetimes as naive UTC text.
        from datetime import UTC

        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


def bulk_copy(table: str, columns: list[str], rows, *, batch_size: int = 20000) -> int:
    """Write many rows fast, bypassing the ORM: COPY FROM STDIN on PostgreSQL, executemany on SQLite.
    Values must already be database-ready (uuid as 32 hex digits, dates as ISO text, see db_datetime).
    Runs in the caller's transaction; returns the number of rows written."""
    qn = connection.ops.quote_name
    count = 0
    with connection.cursor() as cursor:
        if is_postgresql():
            sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            raw = cursor.cursor
            for batch in chunked(rows, batch_size):
                raw.executemany(sql, batch)
                count += len(batch)
    return count


def _to_db(field, sqlite: bool):
    """A converter from a Python value to what bulk_copy writes for `field`'s column, or None (as is)."""
    import json
    from datetime import UTC, date, datetime
    from uuid import UUID

    from django.db import models

    target = field.target_field if field.is_relation else field
    if isinstance(target, models.UUIDField):
        # 32 hex digits (as SQLite returns uuids to hand-written SQL) pass as they are.
        return lambda v: v.hex if v.__class__ is UUID else (v if v.__class__ is str and len(v) == 32 else (
            UUID(str(v)).hex if v is not None else None))
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, cls=field.encoder)
    if sqlite and isinstance(field, models.DateTimeField):
        return lambda v: v.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v
    if sqlite and isinstance(field, models.DateField):
        return lambda v: v.isoformat() if isinstance(v, date) else v
    if sqlite and isinstance(field, models.BooleanField):
        return lambda v: None if v is None else int(bool(v))
    return None


def bulk_insert(model, rows: list[dict], *, now=None, batch_size: int = 5000, same: dict | None = None) -> list:
    """Insert model rows given as dicts of field names (foreign keys by `<name>_id`), through bulk_copy:
    the ORM's per-value preparation costs more than the write itself at tens of thousands of rows.
    Missing fields get their default (auto_now / auto_now_add: `now`). `same`: values every row shares (by
    attname), converted once instead of per row. No signals, no save(); returns the primary keys in order
    (generated here when the primary key has a default, e.g. uuid7)."""
    from django.db.models import NOT_PROVIDED
    from django.utils import timezone

    if not rows:
        return []
    now = now or timezone.now()
    sqlite = is_sqlite()
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.default is NOT_PROVIDED)]
    pk = model._meta.pk
    columns, getters = [], []
    same = same or {}
    same_columns, same_values = [], []
    for f in fields:
        key = f.attname
        if key in same and key != pk.attname:
            convert = _to_db(f, sqlite)
            value = same[key]
            same_columns.append(f.column)
            same_values.append(convert(value) if convert is not None and value is not None else value)
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fallback = lambda now=now: now  # noqa: E731
        elif f.has_default() or (f.empty_strings_allowed and not f.null):
            fallback = f.get_default  # "" for text fields, as the ORM does
        elif f.null:
            fallback = lambda: None  # noqa: E731
        else:
            fallback = None
        columns.append(f.column)
        getters.append((key, f.name, fallback, _to_db(f, sqlite)))
    keys = []
    out = []
    for row in rows:
        values = []
        for key, name, fallback, convert in getters:
            if key in row:
                value = row[key]
            elif name in row:
                value = row[name]
                value = getattr(value, "pk", value)
            elif fallback is not None:
                value = fallback()
                if key == pk.attname:
                    keys.append(value)
            else:
                raise ValueError(f"{model.__name__}.{name} has no value and no default")
            if key == pk.attname and key in row:
                keys.append(value)
            values.append(convert(value) if convert is not None and value is not None else value)
        if same_values:
            values.extend(same_values)
        out.append(values)
    bulk_copy(model._meta.db_table, columns + same_columns, out, batch_size=batch_size)
    return keys


class RowReader:
    """Model instances from the rows of hand-written SQL, converted as the ORM converts them (SQLite's
    uuid text, booleans and datetimes). For a hot path where building a query with the ORM costs more
    CPU than the database takes to answer it. Fields left out (`exclude`) are deferred, as with only()."""

    def __init__(self, model, *, exclude: tuple[str, ...] = ()):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if f.name not in exclude]
        self.attnames = [f.attname for f in self.fields]
        self._converters: dict[str, list] = {}

    def columns(self, alias: str) -> str:
        qn = connection.ops.quote_name
        return ", ".join(f"{alias}.{qn(f.column)}" for f in self.fields)

    def convert(self, values, db=None) -> list:
        db = db or connections[DEFAULT_DB_ALIAS]  # the thread's own connection: the proxy costs per access
        converters = self._converters.get(db.vendor)
        if converters is None:
            converters = []
            for field in self.fields:
                col = field.get_col(self.model._meta.db_table)
                converters.append((col, db.ops.get_db_converters(col) + field.get_db_converters(db)))
            self._converters[db.vendor] = converters
        out = []
        for value, (col, functions) in zip(values, converters, strict=True):
            for function in functions:
                value = function(value, col, db)
            out.append(value)
        return out

    def build(self, values, db=None):
        db = db or connections[DEFAULT_DB_ALIAS]
        return self.model.from_db(db.alias, self.attnames, self.convert(values, db))


def placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


class _InArray(Expression):
    """`field = ANY(%s)`: the values as one array parameter (PostgreSQL)."""

    conditional = True

    def __init__(self, field: str, values: list):
        super().__init__(output_field=BooleanField())
        self.lhs, self.values = F(field), values

    def get_source_expressions(self):
        return [self.lhs]

    def set_source_expressions(self, exprs):
        (self.lhs,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"{sql} = ANY(%s)", (*params, self.values)


def values_in_q(field: str, values) -> Q:
    """The rows whose `field` is one of `values` (non-null ids), as `Q(field__in=values)` selects them. On
    PostgreSQL the values are one array parameter (`= ANY(%s)`, which PostgreSQL plans as it plans IN): the
    statement's text is then the same whatever the values, so psycopg converts it once and keeps it, where a literal
    list of a province's 547 commune ids (more than its 50 cached parameters) is parsed again at every query."""
    values = list(dict.fromkeys(v for v in values if v is not None))
    if not is_postgresql() or not values:
        return Q(**{f"{field}__in": values})
    return Q(_InArray(field, values))
