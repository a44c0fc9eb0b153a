"""The shared cache: Django's database cache with an ``incr`` that no concurrent ``incr`` can undo."""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now

__all__ = ["DatabaseCache"]


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache, whose ``incr`` reads and writes the counter under a row lock in
    one transaction. Django's own reads the value, then sets value + 1: two processes (two
    gunicorn workers, two hosts) counting at once both read n and both write n + 1, and a
    rate limit counts one hit where there were two."""

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]  # set by BaseDatabaseCache, not in the stubs
        cache_key, value = quote("cache_key"), quote("value")
        # SQLite takes its one write lock when the transaction begins (transaction_mode
        # IMMEDIATE); PostgreSQL locks the row.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {quote('expires')} >= %s{lock}",  # noqa: S608 - quoted names
                [key, connection.ops.adapt_datetimefield_value(now().replace(microsecond=0))],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            new = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301 - our own table
            encoded = base64.b64encode(pickle.dumps(new, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s", [encoded, key])  # noqa: S608
        return new
