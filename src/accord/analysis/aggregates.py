"""Counts of the store kept as it changes, so that pages never count the store when they are read.

:class:`~accord.analysis.models.TrendCell` counts object versions per (month created, crime type,
originator, agreement, TLP, data category). The store's listeners keep the cells in the writer's
transaction: an ingest or a restoration adds its versions (:meth:`TrendListener.objects_added`),
a revocation or a purge takes them away before they change (:meth:`TrendListener.objects_leaving`),
so the cells always equal the store grouped; :func:`trend_cells_rebuild` (``accord aggregates
rebuild``) computes them from the store alone, and a property test holds the two to the same
result.

A reader's figures never come from cells it may not see: :func:`trend_counts` sums only the
groups the policy lets it see (:func:`accord.policy.visible_groups`), adds one by one the objects
it sees by a grant naming it or its organisation, takes away those past their retention but not
yet purged, and counts the partial months at the window's edges from the store itself — so it
answers exactly what counting the store would, in time that grows with the groups, not the
objects (``docs/decisions.md``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accord.analysis.models import ContributionCell, TrendCell
from accord.core.choices import Purpose
from accord.policy import Action, PrincipalContext, visible, visible_groups
from accord.sharing.bulk import chunks
from accord.sharing.listeners import StoreListener
from accord.sharing.models import StixObject

__all__ = [
    "TrendListener",
    "contribution_counts",
    "contribution_months",
    "month_parts",
    "next_month",
    "trend_cells_add",
    "trend_cells_rebuild",
    "trend_cells_remove",
    "trend_counts",
]

# (raw crime type, originator region, "YYYY-MM") -> objects
Counts = dict[tuple[str, str, str], int]

_KEY = ("month", "crime_type", "organisation_id", "agreement_key", "tlp", "data_category")
_TREND_SELECT = "{month}, crime_type, organisation_id, COALESCE(agreement_id, 0), tlp, data_category"
_CONTRIBUTION_KEY = ("day", "organisation_id")


def _utc_text(column: str, length: int) -> str:
    """The first ``length`` characters of ``YYYY-MM-DD`` of a time column in UTC, in the
    database's own SQL (as ``TruncMonth``/``TruncDate`` group it under ``TIME_ZONE = "UTC"``)."""
    if connection.vendor == "postgresql":
        return f"substr(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 1, {length})"
    return f"substr({column}, 1, {length})"  # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]'


def _grouped(sign: int, where: str, cells_model: Any = TrendCell) -> str:
    """Counts of the counted versions (unrevoked, not for addressees only) matching ``where``,
    grouped by the cells' key, added (``sign`` 1) to or taken (-1) from the cells."""
    cells = connection.ops.quote_name(cells_model._meta.db_table)
    objects = connection.ops.quote_name(StixObject._meta.db_table)
    key: tuple[str, ...]
    if cells_model is TrendCell:
        key, select = _KEY, _TREND_SELECT.format(month=_utc_text("created", 7))
    else:
        key, select = _CONTRIBUTION_KEY, f"{_utc_text('added_at', 10)}, organisation_id"
    columns = ", ".join(key)
    groups = ", ".join(str(n) for n in range(1, len(key) + 1))
    return (
        f"INSERT INTO {cells} ({columns}, count) "  # noqa: S608 - table names and fixed SQL only
        f"SELECT {select}, {sign} * COUNT(*) FROM {objects} WHERE revoked = %s AND addressees_only = %s AND {where} "
        f"GROUP BY {groups} "
        f"ON CONFLICT ({columns}) DO UPDATE SET count = {cells}.count + excluded.count"
    )


def _apply(objects: Collection[int], sign: int) -> None:
    if not objects:
        return
    with connection.cursor() as cursor:
        for part in chunks(sorted(objects)):
            where = f"id IN ({', '.join(['%s'] * len(part))})"
            for cells in (TrendCell, ContributionCell):
                cursor.execute(_grouped(sign, where, cells), [False, False, *part])
    if sign < 0:
        TrendCell.objects.filter(count__lte=0).delete()
        ContributionCell.objects.filter(count__lte=0).delete()


def trend_cells_add(objects: Collection[int]) -> None:
    """Count these object versions (those counted at all: unrevoked, not for addressees only)."""
    _apply(objects, 1)


def trend_cells_remove(objects: Collection[int]) -> None:
    """Stop counting these object versions, read before they are revoked or deleted (those
    already revoked were not counted, and are passed over)."""
    _apply(objects, -1)


@transaction.atomic
def trend_cells_rebuild() -> dict[str, int]:
    """The cells computed again from the store alone; how many there are of each kind."""
    TrendCell.objects.all().delete()
    ContributionCell.objects.all().delete()
    with connection.cursor() as cursor:
        for cells in (TrendCell, ContributionCell):
            cursor.execute(_grouped(1, "1 = 1", cells), [False, False])
    return {"trend_cells": TrendCell.objects.count(), "contribution_cells": ContributionCell.objects.count()}


class TrendListener(StoreListener):
    """Keeps the trend cells in step with the store, in the writer's transaction."""

    def objects_added(
        self,
        *,
        organisation_id: int,
        objects: Sequence[tuple[int, str]],
        links: Sequence[tuple[int, int]],
        new_observables: Collection[int],
    ) -> None:
        trend_cells_add([pk for pk, _ in objects])

    def objects_leaving(self, *, objects: Collection[int], observables: Collection[int]) -> None:
        trend_cells_remove(objects)

    def objects_removed(self, *, objects: Collection[int], observables: Collection[int]) -> None:
        """Counted already, as they left (:meth:`objects_leaving`)."""


# -- reading --------------------------------------------------------------------------------------


def _month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def _add(into: Counts, rows: Iterable[dict[str, Any]], sign: int = 1) -> None:
    for row in rows:
        month = row["month"] if isinstance(row["month"], str) else f"{row['month']:%Y-%m}"
        key = (row["crime_type"] or "", row["organisation__region"] or "", month)
        into[key] = into.get(key, 0) + sign * row["count"]


def _counted(rows: QuerySet[StixObject]) -> Any:
    return (
        rows.annotate(month=TruncMonth("created"))
        .values("crime_type", "organisation__region", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def _seen(ctx: PrincipalContext, rows: QuerySet[StixObject]) -> QuerySet[StixObject]:
    """``rows`` that are live and the asker may correlate (as the trends have always counted)."""
    live = Q(revoked=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=ctx.now))
    return visible(ctx, rows.filter(live), Action.CORRELATE)


def _from_store(ctx: PrincipalContext, since: datetime, until: datetime) -> Any:
    rows = StixObject.objects.filter(created__gte=since, created__lt=until, addressees_only=False)
    return _counted(_seen(ctx, rows))


def month_parts(since: datetime, until: datetime) -> tuple[list[datetime], list[tuple[datetime, datetime, int]]]:
    """How to count ``[since, until)`` from monthly cells: the months read from the cells (their
    first instants, in order), and the ranges counted from the rows themselves, each with its
    sign. A month the window cuts is counted from its rows inside the window when that is the
    smaller part, else read from its cells less its rows outside the window; so no range counted
    from rows is longer than half a month."""
    whole: list[datetime] = []
    parts: list[tuple[datetime, datetime, int]] = []
    month = _month_start(since)
    while month < until:
        end = next_month(month)
        start, stop = max(since, month), min(until, end)
        if (start, stop) == (month, end):
            whole.append(month)
        elif (stop - start) * 2 <= end - month:
            parts.append((start, stop, 1))
        else:
            whole.append(month)
            parts += [(a, b, -1) for a, b in ((month, start), (stop, end)) if a < b]
        month = end
    return whole, parts


def trend_counts(ctx: PrincipalContext, since: datetime, until: datetime) -> Counts:
    """Object versions shared in ``[since, until)`` (by STIX created time) that the asker may
    correlate, live, not for addressees only: by raw crime type, originator region and month —
    what grouping the store would give, read from the cells."""
    counts: Counts = {}
    whole, parts = month_parts(since, until)
    for start, stop, sign in parts:
        _add(counts, _from_store(ctx, start, stop), sign)
    if whole:
        first, last = whole[0], next_month(whole[-1])
        _add(counts, _from_cells(ctx, f"{first:%Y-%m}", f"{whole[-1]:%Y-%m}"))
        _add(counts, _granted_one_by_one(ctx, first, last))
        _add(counts, _expired_unpurged(ctx, first, last), -1)
    return {key: n for key, n in counts.items() if n}


def _groups(ctx: PrincipalContext, **fields: Any) -> Q:
    return visible_groups(ctx, Action.CORRELATE, Purpose.INVESTIGATION, **fields)


def _from_cells(ctx: PrincipalContext, first: str, last: str) -> Any:
    cells = TrendCell.objects.filter(month__gte=first, month__lte=last).filter(
        _groups(ctx, agreement="agreement_key", no_agreement=Q(agreement_key=0))
    )
    return cells.values("crime_type", "organisation__region", "month").annotate(count=Sum("count")).order_by()


def _granted_one_by_one(ctx: PrincipalContext, since: datetime, until: datetime) -> Any:
    """Objects the asker sees by a grant that names it (TLP:AMBER addressed to its organisation,
    TLP:RED naming it), which no group's figures include."""
    addressed = StixObject.addressed_to.through.objects.filter(organisation_id=ctx.organisation_id or 0)
    named = StixObject.recipients.through.objects.filter(user_id=ctx.user_id or 0)
    # the grants' objects found from their own (small) tables, then by id: the two as one OR had
    # the months' objects walked to test each against both (a second at a million objects)
    granted = addressed.values("stixobject_id").union(named.values("stixobject_id"))
    candidates = StixObject.objects.filter(pk__in=granted, created__gte=since, created__lt=until, addressees_only=False)
    return _counted(_seen(ctx, candidates).exclude(_groups(ctx)))


def _expired_unpurged(ctx: PrincipalContext, since: datetime, until: datetime) -> Any:
    """Objects past their retention that the purge has not deleted yet: still in their groups'
    cells, no longer seen."""
    # found through the retention index (few: the purge deletes them daily), not the months'
    # objects through the created index
    ended = StixObject.objects.filter(expires_at__lte=ctx.now).values("pk")
    expired = StixObject.objects.filter(
        pk__in=ended, revoked=False, addressees_only=False, created__gte=since, created__lt=until
    )
    return _counted(expired.filter(_groups(ctx)))


# -- contributions --------------------------------------------------------------------------------


def _day_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def contribution_counts(
    organisations: Collection[int], since: datetime, until: datetime, now: datetime
) -> dict[int, int]:
    """Object versions each of ``organisations`` shared in ``[since, until)`` (by the time the hub
    received them; unrevoked, not for addressees only): the cells of the window's whole days; a
    day the window cuts, from the store by the (organisation, received) index, either the part
    inside the window or the day's cell less the parts outside, whichever is the shorter time
    before ``now`` (after it nothing has been received yet: the end of a period that runs to now
    takes today's cell less nothing, not today's ingest counted again)."""
    counts: dict[int, int] = {}

    def add(rows: Iterable[tuple[int, int]], sign: int = 1) -> None:
        for organisation, n in rows:
            counts[organisation] = counts.get(organisation, 0) + sign * n

    def stored(start: datetime, stop: datetime) -> Any:
        rows = StixObject.objects.filter(
            organisation_id__in=list(organisations),
            added_at__gte=start,
            added_at__lt=stop,
            revoked=False,
            addressees_only=False,
        )
        return rows.values("organisation_id").annotate(n=Count("pk")).values_list("organisation_id", "n").order_by()

    def before_now(start: datetime, stop: datetime) -> timedelta:
        return max(timedelta(0), min(stop, now) - start)

    whole: list[datetime] = []  # only the first and the last day may be cut: the whole ones follow each other
    day = _day_start(since)
    while day < until:
        end = day + timedelta(days=1)
        start, stop = max(since, day), min(until, end)
        outside = [(a, b) for a, b in ((day, start), (stop, end)) if a < b]
        if not outside:
            whole.append(day)
        elif before_now(start, stop) <= sum((before_now(a, b) for a, b in outside), timedelta(0)):
            add(stored(start, stop))
        else:
            whole.append(day)
            for a, b in outside:
                add(stored(a, b), -1)
        day = end
    if whole:
        cells = ContributionCell.objects.filter(
            organisation_id__in=list(organisations),
            day__gte=f"{whole[0]:%Y-%m-%d}",
            day__lte=f"{whole[-1]:%Y-%m-%d}",
        )
        add(cells.values("organisation_id").annotate(n=Sum("count")).values_list("organisation_id", "n").order_by())
    return {organisation: n for organisation, n in counts.items() if n}


def contribution_months(organisation: int, first_day: date) -> dict[str, int]:
    """Object versions ``organisation`` shared (unrevoked, not for addressees only) per month
    ("YYYY-MM", by the day the hub received them) from ``first_day`` on: its kept day cells
    summed, at most a year's worth of rows, never the store counted."""
    months: dict[str, int] = {}
    cells = ContributionCell.objects.filter(organisation_id=organisation, day__gte=f"{first_day:%Y-%m-%d}")
    for day, n in cells.values_list("day", "count"):
        months[day[:7]] = months.get(day[:7], 0) + n
    return months
