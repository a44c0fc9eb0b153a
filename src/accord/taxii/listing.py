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

from collections.abc import Callable
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
from accord.taxii.models import Membership
from accord.taxii.paging import Position

__all__ = [
    "ARRIVAL_DATE",
    "JOINED_DATE",
    "LISTED_FIELDS",
    "OWN_DATE",
    "Listed",
    "Listing",
    "Running",
    "Withdrawn",
    "as_listed",
    "held_back",
    "horizon",
    "joined_parts",
    "listed_page",
    "merged",
    "merged_rows",
    "merged_sql",
    "objects_page",
    "running",
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
    # In a collection naming objects: the versions that joined it after their date added for
    # the reader, dated when they joined (walked on (collection, joined_at, object)).
    joined: QuerySet[StixObject] | None = None

    def filter(self, *args: Any, **kwargs: Any) -> Listing:
        """Every part narrowed alike."""
        joined = self.joined.filter(*args, **kwargs) if self.joined is not None else None
        return Listing(self.on_time.filter(*args, **kwargs), self.late.filter(*args, **kwargs), joined)

    def each(self, change: Callable[[QuerySet[StixObject]], QuerySet[StixObject]]) -> Listing:
        """Every part changed by ``change`` alike."""
        return Listing(
            change(self.on_time), change(self.late), change(self.joined) if self.joined is not None else None
        )


_NO_HORIZON = datetime(9999, 12, 31, tzinfo=UTC)
OWN_DATE = f'"{StixObject._meta.db_table}"."added_at"'
ARRIVAL_DATE = f'"{Arrival._meta.db_table}"."visible_at"'
JOINED_DATE = f'"{Membership._meta.db_table}"."joined_at"'


@dataclass(frozen=True)
class Running:
    """What :func:`horizon` holds back by: the moments before which an ingest or a visibility
    change still running is taken for dead, and the ingests whose heartbeat has stopped."""

    alive_since: datetime
    publishing_since: datetime
    dead: tuple[int, ...]


def running(now: datetime) -> Running:
    """The ingests and publications :func:`horizon` counts as running at ``now`` (one query)."""
    alive_since = now - timedelta(seconds=settings.ACCORD_INGEST_PRESUMED_DEAD_SECONDS)
    publishing_since = now - timedelta(seconds=settings.ACCORD_VISIBILITY_PRESUMED_DEAD_SECONDS)
    # Plain SQL, as the horizon's (on every TAXII read, building a queryset would cost more than
    # running it); the status written in, so that the partial index on what is running applies.
    table, processing = Submission._meta.db_table, SubmissionStatus.PROCESSING
    sql = f'SELECT "id" FROM "{table}" WHERE "status" = \'{processing}\' AND "started_at" > %s'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(alive_since)])
        found = [row[0] for row in cursor.fetchall()]
    return Running(alive_since, publishing_since, tuple(sorted(silent(found))))


def horizon(now: datetime, found: Running | None = None) -> tuple[str, list[Any]]:
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
    found = found if found is not None else running(now)
    submissions, changes = Submission._meta.db_table, VisibilityChange._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    dead = found.dead
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
    return sql, [adapt(found.alive_since), *dead, adapt(found.publishing_since), adapt(_NO_HORIZON)]


def held_back(qs: QuerySet[StixObject], column: str, horizon: tuple[str, list[Any]]) -> QuerySet[StixObject]:
    """``qs`` narrowed to what is dated (``column``: the objects table's ``added_at``, or the
    arrivals table's ``visible_at``, unaliased, at the top of a query) before the ``horizon``."""
    sql, params = horizon
    return qs.extra(where=[f"{column} < {sql}"], params=params)  # noqa: S610 - bound


@dataclass(frozen=True)
class JoinedParts:
    """The conditions (SQL and parameters) that share a collection naming objects between the
    parts of a listing: each version falls in exactly one. It is dated by when it joined the
    collection (``joined``) when that is later than its date for the reader, else by that date
    (``on_time``: its ingest; ``late``: its arrival). A version without a
    :class:`~accord.taxii.models.Membership` row, or whose join is not published yet, is dated
    as before it joined: publication moves it later, never earlier, so nothing is skipped."""

    on_time: tuple[str, list[Any]]
    late: tuple[str, list[Any]]
    joined: tuple[str, list[Any]]


def joined_parts(collection: Any, organisation: int) -> JoinedParts:
    """The :class:`JoinedParts` of ``collection`` (its id) for a reader of ``organisation``."""
    members, arrivals, objects = Membership._meta.db_table, Arrival._meta.db_table, StixObject._meta.db_table
    key = Membership._meta.get_field("collection").get_db_prep_value(collection, connection)

    def joined_after(date: str) -> str:
        return (
            f'NOT EXISTS (SELECT 1 FROM "{members}" "joined_late" WHERE "joined_late"."collection_id" = %s '  # noqa: S608
            f'AND "joined_late"."stix_object_id" = "{objects}"."id" AND "joined_late"."joined_at" > {date})'
        )

    # What the version's date for the reader is: its published arrival, else its ingest; an
    # arrival not published yet holds it back from every part.
    reached = (
        f'COALESCE((SELECT "reach"."visible_at" FROM "{arrivals}" "reach" WHERE "reach"."organisation_id" = %s '  # noqa: S608
        f'AND "reach"."stix_object_id" = "{objects}"."id"), "{objects}"."added_at")'
    )
    unpublished = (
        f'NOT EXISTS (SELECT 1 FROM "{arrivals}" "coming" WHERE "coming"."organisation_id" = %s '  # noqa: S608
        f'AND "coming"."stix_object_id" = "{objects}"."id" AND "coming"."visible_at" IS NULL)'
    )
    return JoinedParts(
        on_time=(joined_after(OWN_DATE), [key]),
        late=(joined_after(ARRIVAL_DATE), [key]),
        joined=(f"{JOINED_DATE} > {reached} AND {unpublished}", [organisation, organisation]),
    )


# The keyset of each part of a listing: its date added and the object's id, as its index holds them.
_ON_TIME_KEY = (OWN_DATE, f'"{StixObject._meta.db_table}"."id"')
_LATE_KEY = (ARRIVAL_DATE, f'"{Arrival._meta.db_table}"."stix_object_id"')
_JOINED_KEY = (JOINED_DATE, f'"{Membership._meta.db_table}"."stix_object_id"')


def _after(qs: QuerySet[StixObject], after: Position, key: tuple[str, str], later: bool) -> QuerySet[StixObject]:
    """``qs`` from a keyset position on (exclusive), by the part's date and id columns: the rows
    of the position's own moment with a greater id, or (``later``) those of later moments."""
    # Two range reads of the (date, id) index, each a seek: a large submission gives thousands
    # of objects one added_at, and neither an OR nor (on SQLite, beside the policy's
    # conditions) a row-value comparison seeks past them: a page would cost as much more as
    # the rows of its moment before it.
    added, pk = after
    date, number = key
    moment = connection.ops.adapt_datetimefield_value(added)
    if later:
        return qs.extra(where=[f"{date} > %s"], params=[moment])  # noqa: S610 - fixed SQL, bound parameters
    return qs.extra(where=[f"{date} = %s", f"{number} > %s"], params=[moment, pk])  # noqa: S610 - fixed SQL, bound


def merged_sql(listing: Listing, after: Position | None, limit: int, fields: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The statement :func:`merged` runs (its rows to be put in order by :func:`merged_rows`):
    each part's range reads, each stopped at ``limit + 1`` rows, in one ``UNION ALL``."""
    if fields[0] != "id":
        raise ValueError("A listing's rows start with their id.")
    pairs = [(listing.on_time, _ON_TIME_KEY), (listing.late, _LATE_KEY)]
    if listing.joined is not None:
        pairs.append((listing.joined, _JOINED_KEY))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in (*fields, "added_on"))

    def compiled(part: QuerySet[StixObject]) -> tuple[str, list[Any]]:
        sql, params = part.values_list(*fields, "added_on")[: limit + 1].query.get_compiler(using=part.db).as_sql()
        return sql, list(params)

    if after is None:
        sqls, params = [], []
        for number, (part, _) in enumerate(pairs):
            sql, part_params = compiled(part)
            sqls.append(f"SELECT {columns} FROM ({sql}) AS {quote(f'part{number}')}")  # noqa: S608 - compiled
            params.extend(part_params)
        return " UNION ALL ".join(sqls), params
    # From a position, each part is the rows of the position's moment, then those of later
    # moments, which all come after them: the later ones are read only as far as the first fall
    # short of a page (a submission stamps its objects with one moment, so that a page inside
    # it would otherwise read a page of later rows for nothing). The first range is a common
    # table expression, run once, counted by the second's LIMIT.
    ctes, cte_params, sqls, params = [], [], [], []
    for number, (part, key) in enumerate(pairs):
        same, same_params = compiled(_after(part, after, key, later=False))
        later, later_params = compiled(_after(part, after, key, later=True))
        name, rest = quote(f"part{number}"), quote(f"later{number}")
        ctes.append(f"{name} AS (SELECT {columns} FROM ({same}) AS {quote(f'same{number}')})")  # noqa: S608
        cte_params.extend(same_params)
        sqls.append(f"SELECT {columns} FROM {name}")  # noqa: S608 - a name of this statement
        sqls.append(
            f"SELECT {columns} FROM (SELECT {columns} FROM ({later}) AS {rest} "  # noqa: S608 - compiled
            f"LIMIT ({limit + 1} - (SELECT COUNT(*) FROM {name}))) AS {quote(f'rest{number}')}"
        )
        params.extend(later_params)
    return f"WITH {', '.join(ctes)} " + " UNION ALL ".join(sqls), [*cte_params, *params]


def merged_rows(rows: list[tuple[Any, ...]], limit: int) -> list[tuple[Any, ...]]:
    """The rows of :func:`merged_sql`'s statement in the order of their date added for the
    reader, then id, the first ``limit + 1`` of them, without the date they were ordered by."""
    rows.sort(key=lambda row: (row[-1], row[0]))  # each database's dates compare among themselves
    return [row[:-1] for row in rows[: limit + 1]]


def merged(listing: Listing, after: Position | None, limit: int, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The first ``limit + 1`` rows of both parts of ``listing`` after ``after``, as ``fields``
    (``id`` first), in the order of their date added for the reader, then id. One statement, so
    that one snapshot sees both parts and a version is never in both; each part a range read of
    its index stopped at ``limit + 1`` rows. The two runs are merged here: an ORDER BY over the
    union would have the database copy and sort every row, bodies and all, once more."""
    sql, params = merged_sql(listing, after, limit, fields)
    with connections[listing.on_time.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return merged_rows(rows, limit)


@dataclass(frozen=True)
class Listed:
    """A version as the manifest and versions endpoints list it: its row id, STIX id, version,
    spec version, and the date it was added for the reader."""

    pk: int
    stix_id: str
    modified: datetime
    spec_version: str
    added: datetime


LISTED_FIELDS = ("id", "stix_id", "spec_version", "modified_text", "added_text")


def as_listed(qs: QuerySet[StixObject]) -> QuerySet[StixObject]:
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
        found = merged(source.each(as_listed), after, limit, LISTED_FIELDS)
    else:
        found = list(as_listed(source).values_list(*LISTED_FIELDS)[: limit + 1])
    return listed_page(found, limit)


def listed_page(found: list[tuple[Any, ...]], limit: int) -> tuple[list[Listed], bool]:
    """Rows of :data:`LISTED_FIELDS` (``limit + 1`` at most) as a page: ``(rows, more)``."""
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
