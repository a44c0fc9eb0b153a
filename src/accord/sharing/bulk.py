"""Bulk reads and writes for the ingest's hot path: plain tuples through ``executemany``.

The ORM's ``bulk_create`` builds a model instance and adapts every field of every row; for
hundreds of thousands of rows that is most of the ingest's time. Here rows are plain tuples,
repeated values are adapted once, conflicts are skipped by the database (``ON CONFLICT DO
NOTHING``, which SQLite and PostgreSQL both understand), and primary keys are handed out
before the rows are written (:class:`IdAllocator`) so nothing has to be read back.
"""

from __future__ import annotations

import gc
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from typing import Any

from django.db import OperationalError, connection, transaction
from psycopg import errors as psycopg_errors

__all__ = [
    "mentioned_by",
    "GrowthStatistics",
    "IdAllocator",
    "adapt_datetime",
    "among",
    "array_param",
    "by_index",
    "chunks",
    "gc_paused",
    "insert_rows",
    "json_placeholder",
    "may_write_as_replica",
    "select_in",
    "upsert_rows",
]

CHUNK = 5000
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock not had within lock_timeout
# Inside by_index(): arrays of keys reach the statement as it runs, not as it is planned.
_KEYS_AT_RUN: ContextVar[bool] = ContextVar("keys_at_run", default=False)


def adapt_datetime(value: datetime | None) -> Any:
    """A datetime as the database takes it: the aware datetime on PostgreSQL; on SQLite the
    text Django writes (naive UTC, ``str()`` of it), made directly for UTC values, which is
    what every timestamp of the ingest is."""
    if value is None:
        return None
    if value.tzinfo is UTC and _on_sqlite():
        return str(value.replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value(value)


@cache
def _on_sqlite() -> bool:
    return connection.vendor == "sqlite"  # the proxy's lookup costs more than the adaptation


def json_placeholder() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block without the cyclic garbage collector (re-enabled after, if it was on).

    An ingest creates millions of tuples and strings (rows unpickled from the reading process,
    parameters for SQLite), none of them in a reference cycle: reference counting frees them,
    and the collector's passes over the process's whole heap, triggered by those allocations,
    cost the writer a tenth of its time. A forked reading process inherits the pause.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def by_index() -> Iterator[None]:
    """The block's statements read the rows they choose by key through the keys' indexes, not by
    scanning whole tables (PostgreSQL: ``enable_seqscan`` off, for the caller's transaction until
    the block ends; on an error, until the transaction or savepoint ends), and the keys they take
    as one array (:func:`array_param`) are given to the statement when it runs, not when it is
    planned.

    For the statements of a retention purge batch, each choosing rows by 20,000 to 40,000 keys:
    the planner costs every index probe as a read from disk and scans the table instead, whose
    pages, at a million objects, are mostly not the batch's (4 million links, 2 million
    observables, 3 million sources read to find a few tens of thousands). And it estimates the
    rows of every key of a constant array apart, 10–45 ms a statement over 40,000 keys whatever
    the statement then does (some forty statements a batch); an array it is handed at run time
    (``= ANY((SELECT %s::bigint[])::bigint[])``, an init plan) it counts as a few keys, which it
    plans in well under a millisecond, and by the keys' indexes. Tables without a usable index
    are scanned as before."""
    marked = _KEYS_AT_RUN.set(True)
    try:
        if _on_sqlite():
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
            before = cursor.fetchone()[0]
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])
    finally:
        _KEYS_AT_RUN.reset(marked)


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in lists of ``size``: slices of a list or tuple, gathered from anything else
    (the ingest passes batches of thousands of rows: slicing them costs nothing per row)."""
    if isinstance(items, list | tuple):
        for start in range(0, len(items), size):
            yield items[start : start + size]
        return
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    json_columns: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in chunks, inside the caller's transaction;
    the number of rows written (conflicting rows skipped are not counted). PostgreSQL takes
    them through ``COPY`` (:func:`_copy_rows`), SQLite through ``executemany``."""
    if not _on_sqlite():
        return _copy_rows(table, columns, rows, ignore_conflicts=ignore_conflicts)
    quote = connection.ops.quote_name
    values = ", ".join(json_placeholder() if column in json_columns else "%s" for column in columns)
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({values})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    written = 0
    with connection.cursor() as cursor:
        for batch in chunks(rows):
            cursor.executemany(sql, batch)
            written += max(cursor.rowcount, 0)
    return written


def upsert_rows(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: Sequence[str], update: Sequence[str]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order), a row whose ``key`` is taken updating that
    row's ``update`` columns instead, inside the caller's transaction. PostgreSQL copies them
    into a temporary table of the same columns (``COPY`` cannot update) and moves them with one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` per chunk; SQLite through ``executemany``."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    conflict = f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO UPDATE SET " + ", ".join(
        f"{quote(c)} = excluded.{quote(c)}" for c in update
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if _on_sqlite():
            values = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({values}) {conflict}"  # noqa: S608 - quoted names
            for batch in chunks(rows):
                cursor.executemany(sql, batch)
            return
        for batch in chunks(rows):
            _staged(cursor, table, names, batch, conflict)


def _staged(cursor: Any, table: str, names: str, batch: Iterable[Sequence[Any]], conflict: str) -> int:
    """``batch`` copied (``COPY``) into a temporary table of ``table``'s columns ``names`` (made
    once per transaction, dropped at its end), then moved into ``table`` with ``INSERT … SELECT
    … {conflict}``, which ``COPY`` cannot do; how many rows the insert wrote (PostgreSQL)."""
    quote = connection.ops.quote_name
    staging = quote(f"_staged_{zlib.crc32(f'{table}({names})'.encode()):08x}")  # one per table and columns
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608 - quoted names
        f"SELECT {names} FROM {quote(table)} WITH NO DATA"
    )
    with cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:  # psycopg's own cursor
        for row in batch:
            copy.write_row(row)
    cursor.execute(f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} {conflict}")  # noqa: S608
    written: int = max(cursor.rowcount, 0)
    cursor.execute(f"TRUNCATE {staging}")
    return written


def _copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, ignore_conflicts: bool) -> int:
    """PostgreSQL's ``COPY … FROM STDIN`` (psycopg's ``copy``): one statement streaming every row,
    several times faster than a round of ``INSERT`` per chunk. JSON columns take the JSON text as
    it is.

    ``COPY`` cannot skip conflicts. Callers that ignore them insert rows they have just found
    missing, so a conflict means another transaction wrote the same key meanwhile, which is
    rare: each chunk is copied straight into the table within a savepoint, and only a chunk
    that meets a unique violation is copied again into a temporary table of the same columns
    (made once per transaction, dropped at its end) and moved with ``INSERT … SELECT … ON
    CONFLICT DO NOTHING``. Staging every chunk cost a million-object ingest 12 s of its 110."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    written = 0
    # The caller's transaction, or one of its own outside any: a failure leaves nothing.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        copying = cursor.cursor.copy  # psycopg's own cursor: Django's wrapper has no copy()

        def copy_into(target: str, batch: Iterable[Sequence[Any]]) -> int:
            count = 0
            with copying(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
                    count += 1
            return count

        if not ignore_conflicts:
            return copy_into(quote(table), rows)
        for batch in chunks(rows):
            try:
                with transaction.atomic():
                    written += copy_into(quote(table), batch)
                continue
            except psycopg_errors.UniqueViolation:
                pass  # rolled back to the savepoint: staged below
            written += _staged(cursor, table, names, batch, "ON CONFLICT DO NOTHING")
    return written


def select_in(sql: str, params: Sequence[Any], values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (whose last condition is ``… IN ({})``) for every value: on PostgreSQL in
    one statement over one array parameter (``= ANY(%s)``), on SQLite in chunks of an ``IN`` list.
    Chunks of thousands of parameters cost PostgreSQL a round trip each and psycopg the splitting
    of the query text at every placeholder on the client, most of a retention purge's time."""
    if "IN ({})" not in sql:
        raise ValueError("select_in: the statement's last condition is … IN ({})")
    if not values:
        return
    with connection.cursor() as cursor:
        if not _on_sqlite():
            any_of, param = array_param(values)
            cursor.execute(sql.replace("IN ({})", any_of), [*params, param])
            while rows := cursor.fetchmany(CHUNK):
                yield from rows
            return
        for batch in chunks(values):
            cursor.execute(sql.format(", ".join(["%s"] * len(batch))), [*params, *batch])
            yield from cursor.fetchall()


class IdAllocator:
    """Primary keys for rows about to be written, handed out inside the writing transaction.

    PostgreSQL draws them from the table's sequence (safe beside other writers). SQLite has one
    writer at a time and Accord's transactions take the write lock when they begin (``BEGIN
    IMMEDIATE``), so counting on from the highest key ever used is safe until the commit.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.next: int | None = None
        self.sequence: str | None = None

    def take(self, count: int) -> list[int]:
        if count <= 0:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                if self.sequence is None:  # looked up once: per row it cost more than the nextval
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.table])
                    self.sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, count])
                return [row[0] for row in cursor.fetchall()]
            if self.next is None:
                cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(self.table)}")  # noqa: S608
                highest = cursor.fetchone()[0] or 0
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
                row = cursor.fetchone()
                self.next = max(highest, row[0] if row else 0) + 1
        first = self.next
        self.next += count
        return list(range(first, first + count))


class GrowthStatistics:
    """PostgreSQL's statistics of tables one long transaction grows, kept in step as it grows.

    The planner estimates rows from the statistics autovacuum gathers once rows are committed, so
    an ingest that writes a million objects into a young store plans its look-ups by key (the
    versions already stored, the observables known, the links of an observable) for the tables
    as they were when it began: it scans the whole table on every batch, and its time grows with
    the square of its size. ``ANALYZE`` sees the rows of the transaction that runs it, so each
    table is analysed again whenever this transaction has doubled it (from ``FLOOR`` rows on):
    about seven times per table over a million rows, a fraction of a second each.

    ``ANALYZE`` holds its lock (``SHARE UPDATE EXCLUSIVE``: it waits for no reader or writer, and
    only vacuums and other analyses wait for it) until the commit; one that would wait for it,
    another ingest's or autovacuum's, is given up after ``WAIT``, that time only, and the
    transaction goes on with the statistics it has. Nothing on SQLite, whose planner prefers an
    index without statistics."""

    FLOOR = 10_000
    WAIT = "50ms"

    def __init__(self, tables: Sequence[str]) -> None:
        self.active = not _on_sqlite()
        self.described: dict[str, float] = {}  # rows the statistics describe, per table
        self.written = dict.fromkeys(tables, 0)  # rows written since the table was last analysed
        self.analyses = 0

    def grew(self, table: str, rows: int) -> None:
        """``rows`` were written into ``table``; analyse it when that doubled it."""
        if not self.active or rows <= 0:
            return
        if not self.described:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'",
                    [list(self.written)],
                )
                self.described = {name: max(float(count), 0.0) for name, count in cursor.fetchall()}
        self.written[table] += rows
        described = self.described.get(table, 0.0)
        if self.written[table] < max(self.FLOOR, described):
            return
        if self._analyse(table):
            self.described[table] = described + self.written[table]
            self.written[table] = 0

    def _analyse(self, table: str) -> bool:
        """``ANALYZE table`` unless its lock is not had within ``WAIT``."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a lock not had undoes this alone
                cursor.execute("SELECT current_setting('lock_timeout')")
                setting = cursor.fetchone()[0]
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [self.WAIT])
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [setting])
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            return False
        self.analyses += 1
        return True


def among(values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """Conditions choosing a column's rows among ``values`` (``= ANY(%s)``, ``IN (…)``, to follow
    the column's name), each with its parameters: on PostgreSQL one over an array parameter, on
    SQLite one ``IN`` list per chunk. For statements that treat each value apart, so that running
    them once per condition does what one run over all the values would."""
    if not values:
        return
    if not _on_sqlite():
        condition, param = array_param(values)
        yield condition, [param]
        return
    for part in chunks(values):
        yield f"IN ({', '.join(['%s'] * len(part))})", list(part)


def array_param(values: Sequence[Any]) -> tuple[str, Any]:
    """PostgreSQL's ``= ANY(%s)`` over ``values`` as one array parameter (integers as ``bigint[]``,
    whatever the smallest type psycopg would choose): the condition and its parameter. Inside
    :func:`by_index` an array of integers is the value of an init plan, which the planner does
    not read key by key."""
    wanted = list(values)
    if wanted and isinstance(wanted[0], int):  # the array's text, made once: psycopg adapts a list per statement
        text = "{" + ",".join(map(str, map(int, wanted))) + "}"
        if _KEYS_AT_RUN.get():
            return "= ANY((SELECT %s::bigint[])::bigint[])", text
        return "= ANY(%s::bigint[])", text
    return "= ANY(%s)", wanted


def may_write_as_replica(cursor: Any) -> bool:
    """Whether the database role may set ``session_replication_role`` (a superuser, or on
    PostgreSQL 15 one granted ``SET`` on it): then its writes may skip the foreign-key triggers
    and prove the keys by statement instead."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        return True
    if connection.pg_version < 150000:  # type: ignore[attr-defined]
        return False
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    return bool(cursor.fetchone()[0])


def mentioned_by(objects: Iterable[int]) -> set[int]:
    """The observables the object versions ``objects`` mention, by the link table's index (the
    store's upkeep, not a reader's view: no policy applies)."""
    from accord.sharing.models import ObjectObservable  # the models use this module

    sql = f"SELECT DISTINCT observable_id FROM {ObjectObservable._meta.db_table} WHERE stix_object_id IN ({{}})"  # noqa: S608
    return {pk for (pk,) in select_in(sql, (), sorted(objects))}
