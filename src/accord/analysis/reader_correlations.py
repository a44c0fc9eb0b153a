"""A partner's correlations kept per reader, so that its list orders and pages by index.

A partner's correlations (``selectors.correlation_list``) are the observables its organisation
reported that an object of another organisation it may see mentions, known-benign ones aside,
ordered by how many organisations it sees mention them. That order is a count over the objects
the reader may see: computed at read time it dated, counted and sorted every one of the
reader's correlations before the first row of a page (seconds at a million objects). The rows
and their figures are therefore kept in :class:`~accord.analysis.models.ReaderCorrelation`,
computed from what the reader sees alone (so an object it may not see neither adds, removes,
counts nor dates any of them), and computed again only when the inputs its campaigns are
computed from change (:func:`accord.analysis.reader_campaigns.inputs_stamp`: the objects stored,
revoked and expired, known-benign values, organisations and agreements, the reader itself).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min, Q

from accord.analysis.models import ObservableSource, ReaderCorrelation, ReaderCorrelationState
from accord.analysis.reader_campaigns import inputs_stamp, known_links
from accord.core.models import User
from accord.core.replicas import primary_reads
from accord.policy import PrincipalContext
from accord.sharing.bulk import adapt_datetime, insert_rows

__all__ = ["reader_correlation_count", "reader_correlations_refresh"]

TABLE = ReaderCorrelation._meta.db_table


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    """When both sides had reported it: the later of the two first reports (none if one never did)."""
    return None if first is None or second is None else max(first, second)


def _rows(principal: User, ctx: PrincipalContext) -> list[tuple[Any, ...]]:
    """(observable, organisations, versions, correlated at) of each of the reader's correlations:
    one pass over the links it may know of the observables its organisation reported."""
    me = ctx.organisation_id or 0
    mine = Q(stix_object__organisation_id=me)
    own = ObservableSource.objects.filter(organisation_id=me).values("observable_id")
    found = (
        known_links(principal, ctx)
        .filter(observable_id__in=own, observable__correlation__benign="")
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


def reader_correlations_refresh(principal: User, ctx: PrincipalContext) -> None:
    """Bring the reader's :class:`ReaderCorrelation` rows up to date with the store: computed
    again, and rewritten inside one transaction, only when the inputs changed since they were."""
    reader_id = principal.pk
    stamp, last = inputs_stamp(principal, ctx, ReaderCorrelationState)
    if stamp == last:
        return
    # from the primary, as the stamp is: rows a replica computed from older objects would be
    # kept as current until the inputs changed again
    with primary_reads():
        rows = _rows(principal, ctx)
    with transaction.atomic():
        # one writer per reader at a time (two first reads at once would both write)
        ReaderCorrelationState.objects.get_or_create(reader_id=reader_id, defaults={"inputs": ""})
        state = ReaderCorrelationState.objects.select_for_update().get(reader_id=reader_id)
        if state.inputs == stamp:
            return
        _rewrite(reader_id, rows)
        state.inputs, state.refreshed_at, state.correlations = stamp, ctx.now, len(rows)
        state.save(update_fields=["inputs", "refreshed_at", "correlations"])


def reader_correlation_count(principal: User, ctx: PrincipalContext) -> int:
    """How many correlations the reader has (its rows brought up to date first): kept with them."""
    reader_correlations_refresh(principal, ctx)
    counted = ReaderCorrelationState.objects.filter(reader_id=principal.pk).values_list("correlations", flat=True)
    return counted.first() or 0
