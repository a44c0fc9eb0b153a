"""Tables rewritten whole by ``accord analysis rebuild``, without a foreign-key check per row.

On PostgreSQL each row written into a table with foreign keys queues a check that runs at
``COMMIT``: a ``SELECT … FOR KEY SHARE`` of the row it names, which locks that row and logs the
lock. A rebuild at a million objects writes 1.3 million such rows, and its commit spent most of
the rebuild's time on them. :class:`TableRewrite` stages the new rows, writes only those that
differ (:meth:`TableRewrite.apply`), and proves the constraints with one join per write:

- where the role may set ``session_replication_role`` (a superuser, or ``GRANT SET ON PARAMETER
  session_replication_role`` on PostgreSQL 15), the writes run as a replica (no triggers, so no
  checks), each in one statement that also looks, over the rows it returned, for a row written
  that names nothing or a row deleted that another table names; finding one aborts the rebuild;
- otherwise the foreign keys of the rewritten tables are dropped before the first write and made
  again on leaving, with the definition PostgreSQL reports for them (same name, ``DEFERRABLE
  INITIALLY DEFERRED``), which validates every row in one join.

Either way the tables the rewritten rows name (objects, observables, organisations, campaigns)
are locked ``IN SHARE MODE`` first, before the upkeep's turn is taken (an ingest holding its
inserts and waiting for the turn would otherwise deadlock with the rebuild): reads go on, while
writes to those tables wait for the rebuild, so no row a rewritten row names can go between its
check and the commit. Dropping a foreign key takes the referenced table's ``ACCESS EXCLUSIVE``
lock: in that mode readers of those tables wait too, from the first write to the commit. On
SQLite the rewrite is the plain delete and insert: its deferred checks cost little at the sizes
it serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model

from accord.sharing.bulk import chunks, insert_rows, json_placeholder, may_write_as_replica

__all__ = ["TableRewrite", "update_rows"]

_WORK_MEM = "64MB"  # the rebuild's sorts and hashes (a few at once): PostgreSQL's 4 MB spilled to disk
_FEW = 1000  # rows below which an executemany costs less than a temporary table


class TableRewrite:
    """A rewrite of ``models``' tables inside the caller's transaction: enter before taking the
    upkeep's turn, write through :meth:`writing`, and the constraints are proved on leaving."""

    def __init__(self, models: Sequence[type[Model]]) -> None:
        self.tables = [model._meta.db_table for model in models]
        self.mode = "plain"
        self.dropped: list[tuple[str, str, str]] = []  # (table, constraint, definition)
        self.keys: list[tuple[str, str, str, str]] = []  # (table, column, referenced table, its column)
        self.settings: tuple[str, str] | None = None

    def __enter__(self) -> TableRewrite:
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text, "
                "pg_get_constraintdef(c.oid), a.attname, f.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1] "
                "WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY(%s) "
                "OR c.confrelid::regclass::text = ANY(%s)) ORDER BY c.conname",
                [self.tables, self.tables],
            )
            found = cursor.fetchall()
            self.keys = [(table, column, referenced, key) for _, table, referenced, _, column, key in found]
            named = {referenced for _, table, referenced, *_ in found if table in self.tables} - set(self.tables)
            if named:
                quote = connection.ops.quote_name
                cursor.execute(f"LOCK TABLE {', '.join(quote(t) for t in sorted(named))} IN SHARE MODE")
            # big joins, sorts and groups follow: in memory, and without compiling them first
            cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
            self.settings = cursor.fetchone()
            cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [_WORK_MEM])
            allowed = may_write_as_replica(cursor)
        self.mode = "replica" if allowed else "drop"
        self.dropped = [(table, name, definition) for name, table, _, definition, *_ in found if table in self.tables]
        return self

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Writes into the rewritten tables, unchecked row by row."""
        if self.mode == "replica":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
            return
        if self.mode == "drop":
            quote = connection.ops.quote_name
            # rows the transaction wrote before (a rebuild inside a larger one) have their checks
            # queued, and PostgreSQL alters no table with checks pending: they run now (the
            # constraints deferred again after them)
            connection.check_constraints()
            with connection.cursor() as cursor:
                for table, name, _ in self.dropped:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT IF EXISTS {quote(name)}")
            self.mode = "dropped"
        yield

    def stage(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
        """Write the new contents of ``table`` (its ``columns``) where :meth:`apply` takes them
        from; the name of the table holding them. On PostgreSQL that is a temporary table without
        indexes (its rows are compared with the table's own by :meth:`apply`); on SQLite the table
        itself, emptied first."""
        quote = connection.ops.quote_name
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
            insert_rows(table, columns, rows)
            return table
        staging = f"_new_{table}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(staging)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {quote(staging)} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} WITH NO DATA"
            )
        insert_rows(staging, columns, rows)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(staging)}")
        return staging

    def apply(self, table: str, keys: Sequence[str], values: Sequence[str], stamps: Sequence[str] = ()) -> None:
        """Make ``table`` hold what :meth:`stage` wrote for it, writing only the rows that differ:
        those gone are deleted, those changed updated, the new inserted. A rebuild of a store
        whose correlations were right rewrites nothing; a first one inserts everything.
        ``stamps`` are set with the changes but not compared (the time of the change)."""
        if connection.vendor != "postgresql":
            return
        quote = connection.ops.quote_name
        staging = quote(f"_new_{table}")
        same = " AND ".join(f"s.{quote(k)} = t.{quote(k)}" for k in keys)
        differs = " OR ".join(f"t.{quote(v)} IS DISTINCT FROM s.{quote(v)}" for v in values)
        assigned = ", ".join(f"{quote(v)} = s.{quote(v)}" for v in (*values, *stamps))
        names = ", ".join(quote(c) for c in (*keys, *values, *stamps))
        with self._writing(), connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")  # noqa: S608
            if not cursor.fetchone()[0]:  # a first rebuild: nothing to compare (nor to scan per new row)
                self._run(cursor, table, f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging}", False)  # noqa: S608
                return
            delete = f"DELETE FROM {quote(table)} t WHERE NOT EXISTS (SELECT 1 FROM {staging} s WHERE {same})"  # noqa: S608
            self._run(cursor, table, delete, True)
            if values:
                update = f"UPDATE {quote(table)} t SET {assigned} FROM {staging} s WHERE {same} AND ({differs})"  # noqa: S608
                self._run(cursor, table, update, False)
            # those already there are passed over by their unique key, not by an anti-join: the table
            # it would scan (when small, row by row) grows with every row inserted
            insert = f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING"  # noqa: S608
            self._run(cursor, table, insert, False)

    def _run(self, cursor: Any, table: str, statement: str, leaving: bool) -> None:
        """Run one write of :meth:`apply`; as a replica, check in the same statement the rows it
        wrote (each foreign key of theirs names a row) or deleted (no row of another table
        names them): only those, since the shared lock taken on entering keeps every row that
        stays as valid as it was."""
        quote = connection.ops.quote_name
        checks = []
        if self.mode == "replica" and leaving:
            for source, column, referenced, key in self.keys:
                if referenced == table and source != table:
                    checks.append(
                        f"SELECT '{source}.{column}', w.{quote(key)} FROM written w WHERE EXISTS "  # noqa: S608
                        f"(SELECT 1 FROM {quote(source)} r WHERE r.{quote(column)} = w.{quote(key)})"
                    )
        elif self.mode == "replica":
            for source, column, referenced, key in self.keys:
                if source == table:
                    checks.append(
                        f"SELECT '{source}.{column}', w.{quote(column)} FROM written w "  # noqa: S608
                        f"WHERE w.{quote(column)} IS NOT NULL AND NOT EXISTS "
                        f"(SELECT 1 FROM {quote(referenced)} r WHERE r.{quote(key)} = w.{quote(column)})"
                    )
        if not checks:
            cursor.execute(statement)
            return
        alias = "t" if not statement.startswith("INSERT") else quote(table)
        cursor.execute(f"WITH written AS ({statement} RETURNING {alias}.*) {' UNION ALL '.join(checks)} LIMIT 1")
        broken = cursor.fetchone()
        if broken is not None:
            raise IntegrityError(
                f"{broken[0]} = {broken[1]}: a row would name one that does not exist; nothing is kept."
            )

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is not None:  # the transaction rolls back: constraints and settings come back with it
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if self.settings is not None:
                cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", self.settings)
            if self.mode == "dropped":
                for table, name, definition in self.dropped:
                    cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def update_rows(
    table: str,
    key: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    json_columns: Sequence[str] = (),
    stamps: Sequence[str] = (),
) -> None:
    """Set ``columns`` of the rows whose ``key`` is each row's last value (``(*values, key)``).
    Many rows on PostgreSQL are copied into a temporary table and updated with one join, those
    whose columns other than ``stamps`` change only (one ``UPDATE`` per row cost a round trip
    each: 150,000 campaigns' summaries took seconds, and rewriting the unchanged as long); a few,
    or any on SQLite, are one ``UPDATE`` per row in one ``executemany``."""
    quote = connection.ops.quote_name
    if connection.vendor != "postgresql" or len(rows) < _FEW:
        sets = ", ".join(f"{quote(c)} = {json_placeholder() if c in json_columns else '%s'}" for c in columns)
        with connection.cursor() as cursor:
            for part in chunks(rows):
                cursor.executemany(f"UPDATE {quote(table)} SET {sets} WHERE {quote(key)} = %s", part)  # noqa: S608
        return
    staging = f"_update_{table}"
    names = [*columns, key]
    assigned = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
    compared = [f"t.{quote(c)} IS DISTINCT FROM s.{quote(c)}" for c in columns if c not in stamps]
    differs = f" AND ({' OR '.join(compared)})" if compared else ""
    # in the caller's transaction, or one of its own: the temporary table lives until it ends
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(staging)} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(quote(c) for c in names)} FROM {quote(table)} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {quote(staging)}")
        insert_rows(staging, names, rows)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(staging)}")
            cursor.execute(
                f"UPDATE {quote(table)} t SET {assigned} FROM {quote(staging)} s "  # noqa: S608
                f"WHERE t.{quote(key)} = s.{quote(key)}{differs}"
            )
