"""Differences between SQLite (embedded) and PostgreSQL (production), in one place."""

from django.db import connection


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
