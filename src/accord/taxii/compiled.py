"""The policy-filtered SQL of TAXII's object reads, compiled once per shape and bound per request.

Building a read's queryset (the policy's conditions, the collection, the filters, the holding
back of what ingests in progress add, both parts of a listing) and compiling it costs more than
the database spends answering it. The SQL text, and every parameter that is not the request's
own, depends only on a :class:`Shape`: the reader's :class:`~accord.policy.Visibility` (its own
facts, its agreement's caps and the originator agreements that permit it, as values), the
collection (its organisation and spec), which statement, which filters and how many values
each, whether a position is given, the page size and the database. So a statement is built
once per shape, with marker values in place of the request's own (:class:`Bound`: the moment,
the horizon, the filters' values, the keyset position), and then run with the request's values
in the markers' places.

A mis-keyed entry is impossible by construction, not only untested: the builder is handed the
shape and the markers and nothing else (no context, no collection instance, no database
read), so whatever the SQL depends on is in the key; entries are kept under the shape itself
(equality of every field, not a digest), and each run checks that the entry it binds was
built for the shape asked for. ``ACCORD_TAXII_SQL_CHECK`` (the test suite's choice) also builds
every statement afresh on every read and refuses to run a cached one that differs.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any

from django.conf import settings
from django.db import connections, router

from accord.core.planner import without_parallel_workers
from accord.core.prepared import named_style, planned_once
from accord.policy import Visibility
from accord.sharing.models import StixObject
from accord.taxii.paging import Position

__all__ = ["Bound", "Compiled", "Shape", "compiled_entries", "database", "run"]


@dataclass(frozen=True)
class Shape:
    """Everything a read's SQL text and fixed parameters depend on: the key of its compiled form."""

    database: str  # the connection alias; its vendor is part of it
    vendor: str
    seen: Visibility  # the reader, action and purpose, as the policy's SQL reads them
    collection: str  # the collection's id
    collection_organisation: int | None  # an inbox's organisation
    spec: str  # the collection's spec as canonical JSON
    statement: str  # "served" (bodies) or "listed" (manifest, versions)
    order: str  # "listing" (by date added for the reader), "newest" or "oldest" (one object)
    limit: int
    words: tuple[str, ...]  # the version words asked for: first, last, all
    added_after: bool
    ids: int  # how many values of each filter
    types: int
    spec_versions: int
    stamps: int
    after: bool
    dead: int  # how many ingests the horizon takes for dead


@dataclass(frozen=True)
class Bound:
    """The request's own values, bound as parameters and never written into the SQL."""

    now: datetime
    alive_since: datetime
    publishing_since: datetime
    dead: tuple[int, ...] = ()
    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    spec_versions: tuple[str, ...] = ()
    stamps: tuple[datetime, ...] = ()
    after: Position | None = None

    def named(self) -> Iterator[tuple[str, Any]]:
        """Each value with the name of its slot."""
        yield from (("now", self.now), ("alive_since", self.alive_since), ("publishing_since", self.publishing_since))
        yield from ((f"dead{n}", v) for n, v in enumerate(self.dead))
        if self.added_after is not None:
            yield "added_after", self.added_after
        for name in ("ids", "types", "spec_versions", "stamps"):
            yield from ((f"{name}{n}", v) for n, v in enumerate(getattr(self, name)))
        if self.after is not None:
            yield from (("after_moment", self.after[0]), ("after_pk", self.after[1]))


def _markers(shape: Shape) -> Bound:
    """Values of the shape's kind that no fixed parameter equals: moments in the year 1001 (the
    only fixed moment is the horizon's 9999-12-31), negative row ids, text no identifier holds.
    Each is distinct from every other."""
    token = uuid.uuid4().hex
    moments = iter(datetime(1001, 1, 1, tzinfo=UTC) + timedelta(seconds=n, microseconds=n) for n in range(1, 10**6))
    numbers = iter(range(-(2**62), 0))

    def text(name: str, count: int) -> tuple[str, ...]:
        return tuple(f"\x00{name}-{n}-{token}" for n in range(count))

    return Bound(
        now=next(moments),
        alive_since=next(moments),
        publishing_since=next(moments),
        dead=tuple(next(numbers) for _ in range(shape.dead)),
        added_after=next(moments) if shape.added_after else None,
        ids=text("id", shape.ids),
        types=text("type", shape.types),
        spec_versions=text("spec", shape.spec_versions),
        stamps=tuple(next(moments) for _ in range(shape.stamps)),
        after=(next(moments), next(numbers)) if shape.after else None,
    )


Build = Callable[[Shape, Bound], tuple[str, list[Any]]]


@dataclass(frozen=True)
class Compiled:
    """A statement built for one shape: its SQL, its parameters with the markers still in, and
    where each of the request's values goes."""

    shape: Shape
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]
    named: str  # ``sql`` with its parameters named, as it is run (:func:`accord.core.prepared.named_style`)
    names: tuple[str, ...]


def _adapt(value: Any, database: str, ops: Any = None) -> Any:
    if isinstance(value, datetime):
        return (ops or connections[database].ops).adapt_datetimefield_value(value)
    return value


def _compile(shape: Shape, build: Build) -> Compiled:
    markers = _markers(shape)
    sql, params = build(shape, markers)
    slots: dict[str, tuple[int, ...]] = {}
    taken: set[int] = set()
    for name, value in markers.named():
        adapted = _adapt(value, shape.database)
        slots[name] = tuple(n for n, param in enumerate(params) if type(param) is type(adapted) and param == adapted)
        taken.update(slots[name])
    unused = [name for name, at in slots.items() if not at]
    if unused:  # a value the SQL does not carry would be read as it was at compile time
        raise ValueError(f"A TAXII read's statement does not bind {', '.join(unused)}: it cannot be compiled.")
    named, names = named_style(sql, params)
    return Compiled(shape, sql, tuple(params), {name: at for name, at in slots.items() if at}, named, names)


_KEPT_AT_MOST = 2048
_CACHE: OrderedDict[Shape, Compiled] = OrderedDict()
_LOCK = Lock()


def _entry(shape: Shape, build: Build) -> Compiled:
    with _LOCK:
        found = _CACHE.get(shape)
        if found is not None:
            _CACHE.move_to_end(shape)
            return found
    made = _compile(shape, build)
    with _LOCK:
        _CACHE[shape] = made
        while len(_CACHE) > _KEPT_AT_MOST:
            _CACHE.popitem(last=False)
    return made


def _bind(entry: Compiled, shape: Shape, values: Bound) -> list[Any]:
    if entry.shape != shape:  # kept under its shape: never true, and never to be
        raise RuntimeError("A compiled TAXII read was about to run for a shape it was not built for.")
    params = list(entry.params)
    ops = connections[shape.database].ops
    for name, value in values.named():
        adapted = _adapt(value, shape.database, ops)
        for position in entry.slots.get(name, ()):
            params[position] = adapted
    return params


def run(shape: Shape, values: Bound, build: Build) -> list[tuple[Any, ...]]:
    """The rows of the statement ``build`` gives for ``shape``, with the request's ``values``:
    built and compiled on the shape's first read in this process, bound on every read."""
    entry = _entry(shape, build)
    params = _bind(entry, shape, values)
    if settings.ACCORD_TAXII_SQL_CHECK:
        fresh_sql, fresh_params = build(shape, values)
        if (fresh_sql, [_adapt(p, shape.database) for p in fresh_params]) != (entry.sql, params):
            raise RuntimeError(f"A compiled TAXII read differs from the same read built afresh: {shape}.")
    # one object's versions by its id's index: prepared on the server (planning cost more than
    # the read); a listing is planned for its position on each page
    database = connections[shape.database]
    cursor = database.cursor() if shape.order == "listing" else planned_once(shape.database)
    with _serial(shape), cursor:
        cursor.execute(entry.named, dict(zip(entry.names, params, strict=True)))
        return list(cursor.fetchall())


def _serial(shape: Shape) -> AbstractContextManager[None]:
    """A listing's statement planned without parallel workers (PostgreSQL): a page reads at most
    ``limit + 1`` rows by the (date added, id) index, yet the planner chose a Gather Merge whose
    workers' start cost 10–15 ms of a 1,000-object page's 18–22 ms at a million objects
    (:mod:`accord.core.planner`). One object's versions (``newest``, ``oldest``) are read by their
    id's index and never planned in parallel: they run as they are, without the round trips."""
    if shape.order != "listing":
        return nullcontext()
    return without_parallel_workers(shape.database)


def compiled_entries() -> list[Compiled]:
    """The statements compiled in this process, least recently used first (for tests and
    diagnostics)."""
    with _LOCK:
        return list(_CACHE.values())


def database() -> tuple[str, str]:
    """The connection TAXII reads the store on, and its vendor."""
    alias = router.db_for_read(StixObject)
    return alias, connections[alias].vendor
