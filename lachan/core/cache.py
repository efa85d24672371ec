"""Django's database cache with an atomic `incr` and an `add` that does not count the table, so that the
counters of core.ratelimit are exact when several processes (web workers, hosts) share one database.

Django's own DatabaseCache increments with a get then a set (two simultaneous attempts count once) and counts
the whole table on every add. Here an increment reads the row locked (SELECT … FOR UPDATE on PostgreSQL; on
SQLite the transaction is IMMEDIATE, which takes the write lock first) and an add is one INSERT … ON CONFLICT
DO NOTHING. Expired rows are deleted by the periodic job core.cache_prune."""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class AtomicDatabaseCache(DatabaseCache):
    def _db(self):
        db = router.db_for_write(self.cache_model_class)
        return db, connections[db]

    def _expires(self, connection, timeout):
        timeout = self.get_backend_timeout(timeout)
        exp = datetime.max if timeout is None else datetime.fromtimestamp(timeout, tz=UTC)
        return connection.ops.adapt_datetimefield_value(exp.replace(microsecond=0))

    def _encode(self, value) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        db, connection = self._db()
        qn = connection.ops.quote_name
        table, key_col = qn(self._table), qn("cache_key")
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {key_col} = %s AND {qn('expires')} < %s", [key, now])
            cursor.execute(
                f"INSERT INTO {table} ({key_col}, {qn('value')}, {qn('expires')}) VALUES (%s, %s, %s) "
                f"ON CONFLICT ({key_col}) DO NOTHING",
                [key, self._encode(value), self._expires(connection, timeout)])
            return cursor.rowcount == 1

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db, connection = self._db()
        qn = connection.ops.quote_name
        table, key_col = qn(self._table), qn("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT {qn('value')}, {qn('expires')} FROM {table} WHERE {key_col} = %s{lock}", [key])
            row = cursor.fetchone()
            expires = row[1] if row else None
            if row is not None:
                expression = models.Expression(output_field=models.DateTimeField())
                for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
                    expires = converter(expires, expression, connection)
            if row is None or expires < tz_now():
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            cursor.execute(f"UPDATE {table} SET {qn('value')} = %s WHERE {key_col} = %s", [self._encode(value), key])
        return value

    def prune(self) -> int:
        """Delete the expired entries; how many."""
        db, connection = self._db()
        qn = connection.ops.quote_name
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {qn(self._table)} WHERE {qn('expires')} < %s", [now])
            return cursor.rowcount
