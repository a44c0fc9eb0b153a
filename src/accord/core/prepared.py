"""Querysets compiled to SQL once per process, then run again with other values.

For the small indexed reads made on every request (an API token with its person, a TAXII
collection), Django spends more time building and compiling the queryset than the database
spends answering it. A :class:`Prepared` read builds its queryset once per database, with
marker values in place of its parameters; afterwards it binds the values, adapted as the ORM
adapts them for the field they are compared with, and turns the rows into instances the way
the ORM does (converters and ``select_related`` included).

A statement kept this way is run with its parameters named (``%(p0)s``, DB-API's
``pyformat``), converted once when it is compiled (:func:`named_style`): given positional
``%s`` ones, Django's SQLite backend rewrites the statement with a regular expression on every
run, which cost more than SQLite took to answer (about 60 µs for a TAXII object read, 150 µs
for a page's statement, 100 µs for the token with its person and organisation, on a loaded
machine); with named ones it formats the text with a mapping, several times faster, and
psycopg takes them as they are.

On PostgreSQL these reads are also prepared on the server (:func:`planned_once`): each is
planned on its first run on a connection and runs from that plan afterwards. Planning one TAXII
object's read took 0.37 ms where running it took 0.08 ms, at ten million objects.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from django.db import connections, router
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model, QuerySet, UUIDField
from django.db.models.query import get_related_populators

__all__ = ["Prepared", "named_style", "planned_once"]

M = TypeVar("M", bound=Model)


_FORMAT = re.compile(r"%%|%s")


def named_style(sql: str, params: Sequence[Any]) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its positional ``%s`` parameters named ``%(p0)s``, ``%(p1)s``… in order
    (a literal ``%%`` stays as it is, in both styles), and the names: run it with
    ``dict(zip(names, params))``. Refuses a statement whose markers and ``params`` differ in
    number."""
    names: list[str] = []

    def name(found: re.Match[str]) -> str:
        if found.group() == "%%":
            return "%%"
        names.append(f"p{len(names)}")
        return f"%({names[-1]})s"

    named = _FORMAT.sub(name, sql)
    if len(names) != len(params):
        raise ValueError(f"A statement with {len(names)} parameter markers was given {len(params)} values.")
    return named, tuple(names)


_NEVER = 2**31 - 1


class _PreparingCursor(psycopg.Cursor[Any]):
    """Binds on the server and prepares every statement it runs (Django leaves psycopg's
    automatic preparation off, for connection poolers in transaction mode)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


def planned_once(alias: str) -> CursorWrapper:
    """A cursor for a small read made on every request with its parameters named: on
    PostgreSQL a statement prepared on the server the first time a connection runs it, and run
    from its plan afterwards; elsewhere Django's own cursor. Made as Django makes its cursors
    (the connection's health check, then the connection; the query log and the execute
    wrappers see its statements), so that it stays one of the request's statements like any
    other.

    For reads whose best plan does not depend on the values (a row by its key). A listing is
    planned for its position and is not run this way."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            # Django's: psycopg then refuses even an asked preparation; a threshold never reached
            # keeps every other statement unprepared (Django's client-side cursors never are)
            connection.connection.prepare_threshold = _NEVER
        raw: Any = _PreparingCursor(connection.connection)  # Django wraps a DB-API cursor (its stubs say its own)
    return _LoggedPrepared(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


class _LoggedPrepared(CursorDebugWrapper):
    """Django's query log for a prepared statement: the statement with its values in, as Django
    logs a server-bound one (it would otherwise ask the cursor for the client-side text, which a
    server-bound cursor does not keep, and log nothing)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


@dataclass(frozen=True)
class _Compiled:
    sql: str  # with named parameters (:func:`named_style`)
    names: tuple[str, ...]
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # parameter name -> positions in ``params``
    converters: dict[int, tuple[list[Any], Any]]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]


def _marker(field: Field[Any, Any]) -> Any:
    """A value no real parameter equals, of the type ``field`` takes."""
    return uuid.uuid4() if isinstance(field, UUIDField) else f"\x00marker-{uuid.uuid4().hex}"


class Prepared(Generic[M]):
    """A read whose queryset ``build(**values)`` is built and compiled once per database.

    ``fields`` names each parameter of ``build`` and the model field it is compared with by
    equality (``filter(key_id=value)``); the compiled parameters must hold each value as is, so
    a parameter used in a pattern (``contains``) or a list (``in``) is refused when compiled.
    """

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]], **fields: Field[Any, Any]) -> None:
        self.model, self._build, self._fields = model, build, fields
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, db: str) -> _Compiled:
        connection = connections[db]
        markers = {name: _marker(field) for name, field in self._fields.items()}
        qs = self._build(**markers).using(db)
        compiler = qs.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        slots = {}
        for name, field in self._fields.items():
            adapted = field.get_db_prep_value(markers[name], connection)
            slots[name] = tuple(i for i, param in enumerate(params) if param == adapted)
            if not slots[name]:
                raise ValueError(f"Prepared read of {self.model.__name__}: {name} is not a parameter compared as is.")
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None, "a Prepared read returns model instances"  # noqa: S101 - how it is built
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        named, names = named_style(sql, params)
        return _Compiled(
            sql=named,
            names=names,
            params=tuple(params),
            slots=slots,
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            init_list=[column[0].target.attname for column in select[first:last]],
            start=first,
            end=last,
            populators=get_related_populators(klass_info, select, db),  # type: ignore[call-arg]  # the stubs are of Django 6
        )

    def all(self, **values: Any) -> list[M]:
        """The instances the queryset built from ``values`` would give."""
        db = router.db_for_read(self.model)
        compiled = self._compiled.get(db)
        if compiled is None:
            compiled = self._compiled[db] = self._compile(db)
        connection = connections[db]
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            adapted = self._fields[name].get_db_prep_value(values[name], connection)
            for position in positions:
                params[position] = adapted
        with planned_once(db) as cursor:
            cursor.execute(compiled.sql, dict(zip(compiled.names, params, strict=True)))
            rows = cursor.fetchall()
        found = []
        for raw in rows:
            row = list(raw)
            for position, (converters, expression) in compiled.converters.items():
                for converter in converters:  # as the ORM converts, with this thread's connection
                    row[position] = converter(row[position], expression, connection)
            obj = self.model.from_db(db, compiled.init_list, row[compiled.start : compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def first(self, **values: Any) -> M | None:
        found = self.all(**values)
        return found[0] if found else None
