"""What a reader's collection lists, in the order of each version's date added *for that
reader*: the pieces :mod:`accord.taxii.selectors` builds its reads from.

TAXII 2.1 §3.2 (``date_added``) is the date an object was added to the collection; what a
collection holds depends on its reader here, so a version is added to a reader's collection
when it becomes visible to the reader's organisation (an
:class:`~accord.sharing.models.Arrival`), or when it was added to the store if it was visible
then. A listing is two parts, each a range read of its own index, merged in one statement; what
is dated after an ingest or a visibility change still in progress is held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Arrival, StixObject, Submission, VisibilityChange
from accord.sharing.progress import silent
from accord.taxii.paging import Position

__all__ = [
    "ARRIVAL_DATE",
    "OWN_DATE",
    "Listed",
    "Listing",
    "Withdrawn",
    "held_back",
    "horizon",
    "merged",
    "objects_page",
    "stored_moment",
]


@dataclass(frozen=True)
class Listing:
    """What a reader may receive of a collection, as two parts, each walked in the order of its
    own index and merged by date added (:func:`objects_served`): the versions that reached the
    reader's organisation when they were added (``on_time``, dated by ``added_at``), and those
    that became visible to it later (``late``, dated when they did, by its
    :class:`~accord.sharing.models.Arrival`). Each part carries its date added as ``added_on``.

    TAXII 2.1 §3.2 (``date_added``) is the date an object was added *to the collection*; what a
    collection holds depends on its reader here, so an object is added to a reader's collection
    when it becomes visible to them. A page costs the same whatever the number of organisations
    or agreement changes: each part is a range read of an index, (added_at, id) and
    (organisation, visible_at, object)."""

    on_time: QuerySet[StixObject]
    late: QuerySet[StixObject]

    def filter(self, *args: Any, **kwargs: Any) -> Listing:
        """Both parts narrowed alike."""
        return Listing(self.on_time.filter(*args, **kwargs), self.late.filter(*args, **kwargs))


_NO_HORIZON = datetime(9999, 12, 31, tzinfo=UTC)
OWN_DATE = f'"{StixObject._meta.db_table}"."added_at"'
ARRIVAL_DATE = f'"{Arrival._meta.db_table}"."visible_at"'


def horizon(now: datetime) -> tuple[str, list[Any]]:
    """The SQL (and its parameters) of the moment before which what is dated is shown: when
    the earliest ingest still in progress began, or the earliest publication of a visibility
    change in progress (never, when none is).

    An ingest stamps its objects' ``date_added`` when it starts and they appear when it commits;
    on PostgreSQL another, later ingest may commit first. A client that read that one's objects
    and then asks for what was added after them (``added_after``, or ``next``) would never get
    the earlier-stamped objects that appear afterwards. Holding back what was added since the
    earliest running ingest began closes that gap: every ingest marks itself ``processing``
    (committed) before it takes its stamp, and the condition is part of the same statement, so
    of the same snapshot, as the read. A visibility change dates its late arrivals the same way
    (:func:`accord.sharing.services.visibility_publish`). An ingest still running after
    ``ACCORD_INGEST_PRESUMED_DEAD_SECONDS``, and one whose heartbeat has stopped (its process
    was killed: :func:`accord.sharing.progress.silent`, within ``ACCORD_INGEST_HEARTBEAT_SECONDS``),
    is taken for dead and holds nothing back any longer; so is a publication still running after
    ``ACCORD_VISIBILITY_PRESUMED_DEAD_SECONDS``. An ingest that begins after the dead
    ones are found is not among them, so it holds back as it should. Plain SQL, evaluated once
    per statement: it is on every TAXII read."""
    submissions, changes = Submission._meta.db_table, VisibilityChange._meta.db_table
    alive_since = now - timedelta(seconds=settings.ACCORD_INGEST_PRESUMED_DEAD_SECONDS)
    publishing_since = now - timedelta(seconds=settings.ACCORD_VISIBILITY_PRESUMED_DEAD_SECONDS)
    adapt = connection.ops.adapt_datetimefield_value
    running = Submission.objects.filter(status=SubmissionStatus.PROCESSING, started_at__gt=alive_since)
    dead = sorted(silent(list(running.values_list("pk", flat=True))))
    # The statuses are written in, not bound: so the partial indexes on what is running apply.
    ingests = (
        f'SELECT "started_at" AS "began" FROM "{submissions}" WHERE "status" = \'{SubmissionStatus.PROCESSING}\' '  # noqa: S608
        'AND "started_at" > %s' + (f' AND "id" NOT IN ({", ".join(["%s"] * len(dead))})' if dead else "")
    )
    publishing = (
        f'SELECT "started_at" FROM "{changes}" WHERE "status" = \'{VisibilityChange.Status.PUBLISHING}\' '  # noqa: S608
        'AND "started_at" > %s'
    )
    running_sql = f"{ingests} UNION ALL {publishing}"
    sql = f'COALESCE((SELECT MIN("began") FROM ({running_sql}) AS "running"), %s)'  # noqa: S608 - no input
    return sql, [adapt(alive_since), *dead, adapt(publishing_since), adapt(_NO_HORIZON)]


def held_back(qs: QuerySet[StixObject], column: str, horizon: tuple[str, list[Any]]) -> QuerySet[StixObject]:
    """``qs`` narrowed to what is dated (``column``: the objects table's ``added_at``, or the
    arrivals table's ``visible_at``, unaliased, at the top of a query) before the ``horizon``."""
    sql, params = horizon
    return qs.extra(where=[f"{column} < {sql}"], params=params)  # noqa: S610 - bound


# The keyset of each part of a listing: its date added and the object's id, as its index holds them.
_ON_TIME_KEY = (OWN_DATE, f'"{StixObject._meta.db_table}"."id"')
_LATE_KEY = (ARRIVAL_DATE, f'"{Arrival._meta.db_table}"."stix_object_id"')


def _after(qs: QuerySet[StixObject], after: Position | None, key: tuple[str, str]) -> QuerySet[StixObject]:
    """``qs`` from a keyset position on (exclusive), by the part's date and id columns."""
    if after is None:
        return qs
    # A row-value comparison walks the (date, id) index from the position, even when a large
    # submission gave thousands of objects the same added_at (an OR would scan them).
    added, pk = after
    date, number = key
    moment = connection.ops.adapt_datetimefield_value(added)
    return qs.extra(  # noqa: S610 - fixed SQL, bound parameters
        where=[f"{date} >= %s", f"({date}, {number}) > (%s, %s)"], params=[moment, moment, pk]
    )


def merged(listing: Listing, after: Position | None, limit: int, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The first ``limit + 1`` rows of both parts of ``listing`` after ``after``, as ``fields``
    (``id`` first), in the order of their date added for the reader, then id. One statement, so
    that one snapshot sees both parts and a version is never in both; each part a range read of
    its index stopped at ``limit + 1`` rows. The two runs are merged here: an ORDER BY over the
    union would have the database copy and sort every row, bodies and all, once more."""
    if fields[0] != "id":
        raise ValueError("A listing's rows start with their id.")
    parts = [
        _after(listing.on_time, after, _ON_TIME_KEY).values_list(*fields, "added_on")[: limit + 1],
        _after(listing.late, after, _LATE_KEY).values_list(*fields, "added_on")[: limit + 1],
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (*fields, "added_on"))
    sqls: list[str] = []
    params: list[Any] = []
    for number, part in enumerate(parts):
        sql, part_params = part.query.get_compiler(using=part.db).as_sql()
        sqls.append(f"SELECT {columns} FROM ({sql}) AS {quote(f'part{number}')}")  # noqa: S608 - a compiled query
        params.extend(part_params)
    with connections[parts[0].db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sqls), params)
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (row[-1], row[0]))  # each database's dates compare among themselves
    return [row[:-1] for row in rows[: limit + 1]]


@dataclass(frozen=True)
class Listed:
    """A version as the manifest and versions endpoints list it: its row id, STIX id, version,
    spec version, and the date it was added for the reader."""

    pk: int
    stix_id: str
    modified: datetime
    spec_version: str
    added: datetime


_LISTED_FIELDS = ("id", "stix_id", "spec_version", "modified_text", "added_text")


def _listed(qs: QuerySet[StixObject]) -> QuerySet[StixObject]:
    text = TextField()
    return qs.annotate(
        modified_text=Cast("modified", output_field=text), added_text=Cast("added_on", output_field=text)
    )


def objects_page(
    source: Listing | QuerySet[StixObject], *, after: Position | None, limit: int
) -> tuple[list[Listed], bool]:
    """One page of ``source`` after a keyset position: a :class:`Listing`, or one object's
    versions (:func:`collection_versions`); ``(rows, more)``. For what the manifest and versions
    endpoints list (they serve no object bodies)."""
    if isinstance(source, Listing):
        found = merged(Listing(_listed(source.on_time), _listed(source.late)), after, limit, _LISTED_FIELDS)
    else:
        found = list(_listed(source).values_list(*_LISTED_FIELDS)[: limit + 1])
    rows = [
        Listed(pk, stix_id, stored_moment(modified), spec, stored_moment(added))
        for pk, stix_id, spec, modified, added in found
    ]
    return rows[:limit], len(rows) > limit


def stored_moment(text: str) -> datetime:
    """A stored date-time read as text (SQLite's naive UTC, or PostgreSQL's with its offset)."""
    moment = parse_datetime(text)
    if moment is None:
        raise ValueError(f"Not a stored date-time: {text!r}.")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Withdrawn:
    """A version withdrawn from the reader's organisation: its STIX id, version, when, and the
    row id that orders withdrawals of one moment."""

    pk: int
    stix_id: str
    modified: datetime
    withdrawn_at: datetime
