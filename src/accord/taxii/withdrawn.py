"""What a collection's ``…/withdrawn/`` lists to a reader: the versions withdrawn from its
organisation (:class:`~accord.sharing.models.Withdrawal`: its agreement suspended, the object
revoked) and those that left the collection itself while the reader may receive them
(:class:`~accord.taxii.models.Departure`: unlinked from an operation, out of a campaign)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from accord.core.choices import Purpose
from accord.core.errors import Forbidden
from accord.policy import Action, PrincipalContext, visibility, visible_where
from accord.sharing.models import StixObject, Withdrawal
from accord.taxii.access import CollectionAccess
from accord.taxii.kinds import in_collection, names_objects
from accord.taxii.listing import Withdrawn, horizon
from accord.taxii.models import Departure
from accord.taxii.paging import Position

__all__ = ["withdrawals"]


def _withdrawn_from_reader(
    context: PrincipalContext, access: CollectionAccess, since: datetime | None, after: Position | None, limit: int
) -> list[tuple[int, str, datetime, datetime]]:
    collection = access.collection
    table = Withdrawal._meta.db_table
    qs: QuerySet[Any] = Withdrawal.objects.filter(
        organisation_id=context.organisation_id or 0,
        withdrawn_at__isnull=False,
        stix_object__in=in_collection(collection.organisation_id, collection.spec, StixObject.objects.all()),
    )
    if since is not None:
        qs = qs.filter(withdrawn_at__gt=since)
    sql, params = horizon(context.now)
    qs = qs.extra(where=[f'"{table}"."withdrawn_at" < {sql}'], params=params)  # noqa: S610 - bound
    if after is not None:
        moment = connection.ops.adapt_datetimefield_value(after[0])
        qs = qs.extra(  # noqa: S610 - fixed SQL, bound parameters
            where=[f'("{table}"."withdrawn_at", "{table}"."id") > (%s, %s)'], params=[moment, after[1]]
        )
    fields = ("pk", "stix_object__stix_id", "stix_object__modified", "withdrawn_at")
    return list(qs.order_by("withdrawn_at", "pk").values_list(*fields)[: limit + 1])


def _left_collection(
    context: PrincipalContext, access: CollectionAccess, since: datetime | None, after: Position | None, limit: int
) -> list[tuple[int, str, datetime, datetime]]:
    """Departures from the collection of versions the reader may receive (for any purpose), or
    could before (withdrawn from its organisation since: it may have left the collection first),
    as rows whose keyset number is the departure's id negated: one order with the withdrawals."""
    collection = access.collection
    receivable = Q()
    for purpose in Purpose.values:
        receivable |= visible_where(visibility(context, Action.EXPORT, purpose), StixObject, context.now)
    had = Withdrawal.objects.filter(
        organisation_id=context.organisation_id or 0,
        stix_object_id=OuterRef("stix_object_id"),
        withdrawn_at__isnull=False,
    )
    table = Departure._meta.db_table
    qs: QuerySet[Any] = Departure.objects.filter(
        Q(stix_object__in=StixObject.objects.filter(receivable)) | Q(Exists(had)),
        collection_id=collection.pk,
        left_at__isnull=False,
    )
    if since is not None:
        qs = qs.filter(left_at__gt=since)
    sql, params = horizon(context.now)
    qs = qs.extra(where=[f'"{table}"."left_at" < {sql}'], params=params)  # noqa: S610 - bound
    if after is not None:
        moment = connection.ops.adapt_datetimefield_value(after[0])
        qs = qs.extra(  # noqa: S610 - fixed SQL, bound parameters
            where=[f'("{table}"."left_at" > %s OR ("{table}"."left_at" = %s AND "{table}"."id" < %s))'],
            params=[moment, moment, -after[1]],
        )
    fields = ("pk", "stix_object__stix_id", "stix_object__modified", "left_at")
    return [(-pk, *rest) for pk, *rest in qs.order_by("left_at", "-pk").values_list(*fields)[: limit + 1]]


def withdrawals(
    *,
    context: PrincipalContext,
    access: CollectionAccess,
    since: datetime | None,
    after: Position | None,
    limit: int,
) -> tuple[list[Withdrawn], bool]:
    """The versions of a collection withdrawn from the reader's organisation after ``since``, and
    (in a collection naming objects) those that left the collection while the reader may
    receive them, oldest first, one page after a keyset position; ``(rows, more)``. Only versions
    the organisation could receive were ever recorded as withdrawn from it, so nobody learns
    here of an object it never had. Held back like the objects
    (:func:`accord.taxii.listing.horizon`)."""
    if not access.can_read:
        raise Forbidden(f"The collection {access.collection.title} does not let you read it.")
    found = _withdrawn_from_reader(context, access, since, after, limit)
    if names_objects(access.collection.spec):
        found += _left_collection(context, access, since, after, limit)
        found.sort(key=lambda row: (row[3], row[0]))
    rows = [Withdrawn(pk, stix_id, modified, at) for pk, stix_id, modified, at in found[: limit + 1]]
    return rows[:limit], len(rows) > limit
