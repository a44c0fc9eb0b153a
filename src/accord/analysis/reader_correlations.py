"""A partner's correlations kept per reader, so that its list orders and pages by index.

A partner's correlations (``selectors.correlation_list``) are the observables its organisation
reported that an object of another organisation it may see mentions, known-benign ones aside,
ordered by how many organisations it sees mention them. That order is a count over the objects
the reader may see: computed at read time it dated, counted and sorted every one of the
reader's correlations before the first row of a page (seconds at a million objects). The rows
and their figures are therefore kept in :class:`~accord.analysis.models.ReaderCorrelation`,
computed from what the reader sees alone (so an object it may not see neither adds, removes,
counts nor dates any of them), and brought up to date only when the inputs its campaigns are
computed from change (:mod:`accord.analysis.reader_inputs`: the objects stored, revoked,
expired, addressed or kept longer, known-benign values, organisations and agreements, the reader
itself). When the store's changes named the versions or values they concern, only the rows of
those values, and of those the versions mention, are computed again: no other row's figures can
have moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min, Q

from accord.analysis.models import ObservableSource, ReaderCorrelation, ReaderCorrelationState
from accord.analysis.reader_campaigns import known_links
from accord.analysis.reader_inputs import changes_since, observables_of, reader_inputs, retried_if_deleted
from accord.core.models import User
from accord.core.replicas import primary_reads
from accord.policy import PrincipalContext
from accord.sharing.bulk import adapt_datetime, among, chunks, insert_rows

__all__ = ["reader_correlation_count", "reader_correlations_refresh"]

TABLE = ReaderCorrelation._meta.db_table


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    """When both sides had reported it: the later of the two first reports (none if one never did)."""
    return None if first is None or second is None else max(first, second)


def _rows(principal: User, ctx: PrincipalContext, observables: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
    """(observable, organisations, versions, correlated at) of each of the reader's correlations
    (among ``observables``, if given): one pass over the links it may know of the
    observables its organisation reported."""
    me = ctx.organisation_id or 0
    mine = Q(stix_object__organisation_id=me)
    own = ObservableSource.objects.filter(organisation_id=me).values("observable_id")
    links = known_links(principal, ctx)
    if observables is not None:
        links = links.filter(observable_id__in=observables)
    found = (
        links.filter(observable_id__in=own, observable__correlation__benign="")
        .order_by()
        .values("observable_id")
        .annotate(
            organisations=Count("stix_object__organisation", distinct=True),
            versions=Count("pk"),
            others=Count("pk", filter=~mine),
            own_first=Min("stix_object__added_at", filter=mine),
            other_first=Min("stix_object__added_at", filter=~mine),
        )
        .filter(others__gt=0)
        .values_list("observable_id", "organisations", "versions", "own_first", "other_first")
    )
    return [
        (observable, organisations, versions, _latest(own_first, other_first))
        for observable, organisations, versions, own_first, other_first in found
    ]


def _rewrite(reader_id: int, rows: list[tuple[Any, ...]]) -> None:
    """Replace the reader's rows (plain SQL: a reader may have tens of thousands)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE reader_id = %s", [reader_id])  # noqa: S608
    insert_rows(
        TABLE,
        ("reader_id", "correlation_id", "seen_organisations", "seen_versions", "seen_correlated_at"),
        ((reader_id, pk, orgs, versions, adapt_datetime(at) if at else None) for pk, orgs, versions, at in rows),
    )


def _follow(reader_id: int, rows: list[tuple[Any, ...]], observables: list[int]) -> int:
    """Replace the reader's rows of ``observables`` by ``rows``; how many rows it has now
    (counted by its index: a purge deletes the rows of the correlations it takes away)."""
    with connection.cursor() as cursor:
        for condition, params in among(observables):
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE reader_id = %s AND correlation_id {condition}",  # noqa: S608
                [reader_id, *params],
            )
    insert_rows(
        TABLE,
        ("reader_id", "correlation_id", "seen_organisations", "seen_versions", "seen_correlated_at"),
        ((reader_id, pk, orgs, versions, adapt_datetime(at) if at else None) for pk, orgs, versions, at in rows),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE reader_id = %s", [reader_id])  # noqa: S608
        counted: int = cursor.fetchone()[0]
    return counted


@retried_if_deleted
def reader_correlations_refresh(principal: User, ctx: PrincipalContext) -> str:
    """Bring the reader's :class:`ReaderCorrelation` rows up to date with the store, inside one
    transaction: computed again only when the inputs changed since they were, and then only
    those of the observables the changes name or mention, if they named what they concern.
    How: "current", "followed" (the changes) or "computed" (from everything)."""
    reader_id = principal.pk
    now, last, expired = reader_inputs(principal, ctx, ReaderCorrelationState)
    if last == now and not expired:
        return "current"
    # from the primary, as the inputs are: rows a replica computed from older objects would be
    # kept as current until the inputs changed again
    with primary_reads():
        changes = changes_since(last, now)
        observables = None if changes is None else observables_of(changes)
        if observables is None:
            rows = _rows(principal, ctx)
        else:
            rows = [row for part in chunks(observables) for row in _rows(principal, ctx, part)]
    with transaction.atomic():
        # one writer per reader at a time (two first reads at once would both write)
        ReaderCorrelationState.objects.get_or_create(reader_id=reader_id, defaults={"inputs": ""})
        state = ReaderCorrelationState.objects.select_for_update().get(reader_id=reader_id)
        if observables is not None and last is not None and last.of(state):
            state.correlations = _follow(reader_id, rows, observables)
            how = "followed"
        elif now.of(state) and state.refreshed_at >= now.at:
            return "current"  # another read did it meanwhile
        else:
            if observables is not None:  # another read moved the rows meanwhile
                with primary_reads():
                    rows = _rows(principal, ctx)
            _rewrite(reader_id, rows)
            state.correlations, how = len(rows), "computed"
        now.keep(state)
        state.save(update_fields=["inputs", "added_through", "objects_through", "refreshed_at", "correlations"])
    return how


def reader_correlation_count(principal: User, ctx: PrincipalContext) -> int:
    """How many correlations the reader has (its rows brought up to date first): kept with them."""
    reader_correlations_refresh(principal, ctx)
    counted = ReaderCorrelationState.objects.filter(reader_id=principal.pk).values_list("correlations", flat=True)
    return counted.first() or 0
