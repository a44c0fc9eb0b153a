"""The correlations each organisation's data enabled, kept as sources and correlations change.

An organisation enabled a correlation when it is a source of an observable that two or more
organisations reported and that no warning list or local exclusion names as benign. Counted at
read time, that joins every source to its correlation (half a million rows at a million
objects); the figure is therefore kept per organisation
(:class:`~accord.analysis.models.EnabledCorrelations`). Every change to sources, organisation
counts or benign marks happens on a known set of observables, in the upkeep's turn: the figure is
counted over those observables before and after (:func:`enabled_kept`) and the difference added,
in proportion to the change (an ingest's observables new to the store cannot enable one: one
organisation reported them; a removal can only end those enabled before); a rebuild counts it
again from everything (:func:`enabled_rebuild`), and a property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from django.db import connection

from accord.analysis.models import Correlation, EnabledCorrelations, ObservableSource
from accord.sharing.bulk import among, by_index

__all__ = ["enabled_counts", "enabled_kept", "enabled_rebuild"]

SOURCES = ObservableSource._meta.db_table
CORRELATIONS = Correlation._meta.db_table
KEPT = EnabledCorrelations._meta.db_table
_ENABLING = (
    f"SELECT s.organisation_id, COUNT(*) FROM {SOURCES} s JOIN {CORRELATIONS} c "  # noqa: S608
    "ON c.observable_id = s.observable_id WHERE c.organisation_count >= 2 AND c.benign = ''"
)


def _enabling(observables: Collection[int]) -> list[tuple[int, int]]:
    """(observable, organisation) of each correlation among ``observables`` an organisation's data
    enables."""
    found: list[tuple[int, int]] = []
    with by_index(), connection.cursor() as cursor:  # by key: a purge batch names tens of thousands
        for among_observables, params in among(sorted(observables)):
            cursor.execute(
                f"SELECT s.observable_id, s.organisation_id FROM {SOURCES} s JOIN {CORRELATIONS} c "  # noqa: S608
                "ON c.observable_id = s.observable_id WHERE c.organisation_count >= 2 AND c.benign = '' "
                f"AND c.observable_id {among_observables}",
                params,
            )
            found.extend(cursor.fetchall())
    return found


@contextmanager
def enabled_kept(observables: Collection[int], *, only_fewer: bool = False) -> Iterator[None]:
    """Keep the figures through a change of the sources, correlations or benign marks of
    ``observables`` (the change runs inside the block). ``only_fewer``: the change only takes
    versions away (a revocation, a purge), so only the correlations enabled before can change,
    and only those are counted again after."""
    before = _enabling(observables) if observables else []
    yield
    again = {observable for observable, _ in before} if only_fewer else observables
    after = _enabling(again) if again else []
    moved: dict[int, int] = {}
    for pairs, sign in ((after, 1), (before, -1)):
        for _, organisation in pairs:
            moved[organisation] = moved.get(organisation, 0) + sign
    rows = [(organisation, n) for organisation, n in sorted(moved.items()) if n]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {KEPT} (organisation_id, count) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT (organisation_id) DO UPDATE SET count = {KEPT}.count + excluded.count",
            rows,
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
