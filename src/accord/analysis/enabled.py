"""The correlations each organisation's data enabled, kept as sources and correlations change.

An organisation enabled a correlation when it is a source of an observable that two or more
organisations reported and that no warning list or local exclusion names as benign. Counted at
read time, that joins every source to its correlation (half a million rows at a million
objects); the figure is therefore kept per organisation
(:class:`~accord.analysis.models.EnabledCorrelations`). Every change to sources, organisation
counts or benign marks happens on a known set of observables, in the upkeep's turn: the figure is
counted over those observables before and after (:func:`enabled_kept`) and the difference added,
in proportion to the change; a rebuild counts it again from everything (:func:`enabled_rebuild`),
and a property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from django.db import connection

from accord.analysis.models import Correlation, EnabledCorrelations, ObservableSource
from accord.sharing.bulk import among

__all__ = ["enabled_counts", "enabled_kept", "enabled_rebuild"]

SOURCES = ObservableSource._meta.db_table
CORRELATIONS = Correlation._meta.db_table
KEPT = EnabledCorrelations._meta.db_table
_ENABLING = (
    f"SELECT s.organisation_id, COUNT(*) FROM {SOURCES} s JOIN {CORRELATIONS} c "  # noqa: S608
    "ON c.observable_id = s.observable_id WHERE c.organisation_count >= 2 AND c.benign = ''"
)


def _counted(observables: Collection[int]) -> dict[int, int]:
    """Per organisation, the correlations among ``observables`` its data enables."""
    counts: dict[int, int] = {}
    with connection.cursor() as cursor:
        for among_observables, params in among(sorted(observables)):
            cursor.execute(f"{_ENABLING} AND s.observable_id {among_observables} GROUP BY s.organisation_id", params)
            for organisation, n in cursor.fetchall():
                counts[organisation] = counts.get(organisation, 0) + n
    return counts


@contextmanager
def enabled_kept(observables: Collection[int]) -> Iterator[None]:
    """Keep the figures through a change of the sources, correlations or benign marks of
    ``observables`` (the change runs inside the block)."""
    before = _counted(observables) if observables else {}
    yield
    after = _counted(observables) if observables else {}
    moved = [
        (organisation, after.get(organisation, 0) - before.get(organisation, 0))
        for organisation in sorted(before.keys() | after.keys())
    ]
    moved = [(organisation, n) for organisation, n in moved if n]
    if not moved:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {KEPT} (organisation_id, count) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT (organisation_id) DO UPDATE SET count = {KEPT}.count + excluded.count",
            moved,
        )


def enabled_rebuild() -> int:
    """Count every organisation's figure again from all sources and correlations; how many
    organisations enabled one or more."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {KEPT}")  # noqa: S608
        cursor.execute(f"INSERT INTO {KEPT} (organisation_id, count) {_ENABLING} GROUP BY s.organisation_id")  # noqa: S608
        return int(max(cursor.rowcount, 0))


def enabled_counts(organisations: Collection[int]) -> dict[int, int]:
    """The kept figures of ``organisations`` (those that enabled none are left out)."""
    rows = EnabledCorrelations.objects.filter(organisation_id__in=list(organisations), count__gt=0)
    return dict(rows.values_list("organisation_id", "count"))
