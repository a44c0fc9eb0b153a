"""Bulk inserts for the ingest's hot path: ``executemany`` with the database's own adaptation.

The ORM's ``bulk_create`` builds a model instance and adapts every field of every row; for
hundreds of thousands of rows that is most of the ingest's time. Here rows are plain tuples,
repeated values are adapted once, and conflicts are skipped by the database
(``ON CONFLICT DO NOTHING``, which SQLite and PostgreSQL both understand).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

__all__ = ["adapt_datetime", "insert_rows", "json_placeholder"]

CHUNK = 5000


@cache
def _adapt_cached(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def adapt_datetime(value: datetime | None) -> Any:
    """A datetime as the database takes it (a string on SQLite, the object on PostgreSQL)."""
    return None if value is None else _adapt_cached(value)


def json_placeholder() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    json_columns: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) in chunks, inside the caller's transaction."""
    quote = connection.ops.quote_name
    values = ", ".join(json_placeholder() if column in json_columns else "%s" for column in columns)
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({values})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
