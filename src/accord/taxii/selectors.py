"""Reads behind the TAXII endpoints: which collections a person may use, and the objects of a
collection as far as :mod:`accord.policy` lets them out (filtered in SQL, redacted per object).

TAXII reads are decided as the policy's ``export`` action: objects leave the platform for the
partner's own tools, so TLP:RED (for named people's eyes only) is never served this way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.sql.constants import MULTI

from accord.core.errors import Forbidden, NotFound
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.formats.markings import marking_refs, standard_definition
from accord.policy import (
    Action,
    PrincipalContext,
    Visibility,
    visibility,
    visible_where,
)
from accord.sharing.models import Arrival, Refusal, StixObject
from accord.sharing.selectors import marking_definitions
from accord.taxii.access import CollectionAccess, collection_get, collection_list, uuid_or_none
from accord.taxii.compiled import Bound, Shape, database, run
from accord.taxii.filters import VERSION_WORDS, ObjectQuery, parse_timestamp, stamp
from accord.taxii.kinds import in_collection, names_objects
from accord.taxii.listing import (
    ARRIVAL_DATE,
    JOINED_DATE,
    LISTED_FIELDS,
    OWN_DATE,
    Listed,
    Listing,
    Running,
    Withdrawn,
    as_listed,
    held_back,
    horizon,
    joined_parts,
    listed_page,
    merged,
    merged_rows,
    merged_sql,
    running,
)
from accord.taxii.listing import objects_page as listing_page
from accord.taxii.models import Collection, Membership, Status
from accord.taxii.paging import Position
from accord.taxii.served import SERVED_FIELDS, ServedPage, served, served_page
from accord.taxii.withdrawn import withdrawals

__all__ = [
    "CollectionAccess",
    "Listed",
    "Listing",
    "collection_get",
    "collection_list",
    "collection_objects",
    "collection_versions",
    "marking_definition_get",
    "Selection",
    "ServedPage",
    "objects_page",
    "objects_served",
    "status_get",
    "status_refusals",
    "withdrawals",
    "Withdrawn",
]

ACTION = Action.EXPORT


def _in_collection(collection: Collection, qs: QuerySet[StixObject]) -> QuerySet[StixObject]:
    """The objects the collection's spec holds (:func:`accord.taxii.kinds.in_collection`)."""
    return in_collection(collection.organisation_id, collection.spec, qs)


def _may_read(access: CollectionAccess) -> None:
    if not access.can_read:
        raise Forbidden(f"The collection {access.collection.title} does not let you read it.")


def _readable(seen: Visibility, now: datetime, collection: Collection, query: ObjectQuery) -> QuerySet[StixObject]:
    """The live versions of the collection the reader may receive, filtered (but for
    ``added_after``, which depends on each version's date added for the reader)."""
    # A collection holds live versions only, for everyone: a DELETE (§5.7) or the end of the
    # retention period takes a version out of every collection, its originator's inbox included
    # (the policy would still show an originator its own, and auditors everything, elsewhere).
    live = StixObject.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked=False)
    base = _in_collection(collection, live.filter(visible_where(seen, StixObject, now)))
    # "first" and "last" are among the versions visible now, whatever an ingest holds back.
    return query.apply(base, base)


def _listing(
    seen: Visibility, now: datetime, collection: Collection, query: ObjectQuery, hold: tuple[str, list[Any]]
) -> Listing:
    every = _readable(seen, now, collection, replace(query, added_after=None))
    organisation = seen.organisation_id or 0
    # A version with an arrival for the organisation is dated by it (an index-only probe): once
    # published, in the late part; a first arrival not published yet (its change committed an
    # instant ago) is held back meanwhile, as what an ingest in progress adds.
    arrivals = Arrival.objects.filter(organisation_id=organisation, stix_object_id=OuterRef("pk"))
    on_time = every.filter(~Exists(arrivals)).annotate(added_on=F("added_at"))
    # One filter(): the arrivals' conditions hold for one joined row (a second filter() on a
    # multi-valued relation would join the table again).
    joined = Q(arrivals__organisation_id=organisation, arrivals__visible_at__isnull=False)
    if query.added_after is not None:
        on_time = on_time.filter(added_at__gt=query.added_after)
        joined &= Q(arrivals__visible_at__gt=query.added_after)
    late = every.filter(joined).annotate(added_on=F("arrivals__visible_at"))
    listing = Listing(
        held_back(on_time, OWN_DATE, hold).order_by("added_at", "pk"),
        held_back(late, ARRIVAL_DATE, hold).order_by(F("added_on").asc(), "arrivals__stix_object_id"),
    )
    if not names_objects(collection.spec):
        return listing
    # A collection naming objects dates a version by when it joined, when that is later.
    members = joined_parts(collection.pk, organisation)
    joined_late = every.filter(
        Q(memberships__collection_id=collection.pk, memberships__joined_at__isnull=False)
        & (Q(memberships__joined_at__gt=query.added_after) if query.added_after is not None else Q())
    ).annotate(added_on=F("memberships__joined_at"))
    return Listing(
        listing.on_time.extra(where=[members.on_time[0]], params=members.on_time[1]),  # noqa: S610 - bound
        listing.late.extra(where=[members.late[0]], params=members.late[1]),  # noqa: S610 - bound
        held_back(joined_late.extra(where=[members.joined[0]], params=members.joined[1]), JOINED_DATE, hold).order_by(  # noqa: S610
            F("added_on").asc(), "memberships__stix_object_id"
        ),
    )


def _versions(
    seen: Visibility,
    now: datetime,
    collection: Collection,
    query: ObjectQuery,
    hold: tuple[str, list[Any]],
    newest_first: bool,
) -> QuerySet[StixObject]:
    every = _readable(seen, now, collection, replace(query, added_after=None, versions=("all",)))
    published = Arrival.objects.filter(organisation_id=seen.organisation_id or 0, visible_at__isnull=False)
    arrival = published.filter(stix_object_id=OuterRef("pk")).values("visible_at")[:1]
    dated: QuerySet[StixObject]
    if names_objects(collection.spec):  # when it joined the collection, if later
        joins = Membership.objects.filter(collection_id=collection.pk, stix_object_id=OuterRef("pk"))
        dated = every.annotate(
            reached=Coalesce(Subquery(arrival), F("added_at")),
            joined=Subquery(joins.values("joined_at")[:1]),
            added_on=Case(When(joined__gt=F("reached"), then=F("joined")), default=F("reached")),
        )
    else:
        dated = every.annotate(added_on=Coalesce(Subquery(arrival), F("added_at")))
    return held_back(dated, OWN_DATE, hold).order_by("-modified" if newest_first else "modified")


def collection_objects(*, context: PrincipalContext, access: CollectionAccess, query: ObjectQuery) -> Listing:
    """The live object versions of a collection the reader (``context``) may receive, filtered,
    in the order of their date added for the reader (:class:`Listing`).

    Policy, collection and filters are one SQL query per part; nothing is loaded to be discarded.
    """
    _may_read(access)
    seen = visibility(context, ACTION, query.purpose)
    return _listing(seen, context.now, access.collection, query, horizon(context.now))


def collection_versions(
    *, context: PrincipalContext, access: CollectionAccess, query: ObjectQuery, newest_first: bool
) -> QuerySet[StixObject]:
    """Every version of one object (``query`` names it) the reader may receive, newest (or
    oldest) first, each with its date added for the reader as ``added_on``."""
    _may_read(access)
    seen = visibility(context, ACTION, query.purpose)
    return _versions(seen, context.now, access.collection, query, horizon(context.now), newest_first)


@dataclass(frozen=True)
class Selection:
    """A read of a collection's objects as a request asks for it: the collection, the filters,
    and the order (``listing``: by date added for the reader; ``newest`` or ``oldest``: one
    object's versions). Run by :func:`objects_served` and :func:`objects_page` through SQL
    compiled once per shape (:mod:`accord.taxii.compiled`)."""

    access: CollectionAccess
    query: ObjectQuery
    order: str = "listing"


def _statement(shape: Shape, values: Bound) -> tuple[str, list[Any]]:
    """A read's SQL built from its shape and the request's values alone (nothing else is
    consulted: :mod:`accord.taxii.compiled` keeps the statement under the shape)."""
    collection = Collection(
        pk=uuid.UUID(shape.collection), organisation_id=shape.collection_organisation, spec=orjson.loads(shape.spec)
    )
    query = ObjectQuery(
        added_after=values.added_after,
        ids=values.ids,
        types=values.types,
        versions=(*shape.words, *(stamp(moment) for moment in values.stamps)),
        spec_versions=values.spec_versions,
        purpose=shape.seen.purpose,
    )
    hold = horizon(values.now, Running(values.alive_since, values.publishing_since, values.dead))
    fields = SERVED_FIELDS if shape.statement == "served" else LISTED_FIELDS

    def annotated(part: QuerySet[StixObject]) -> QuerySet[StixObject]:
        return served(part, values.now) if shape.statement == "served" else as_listed(part)

    if shape.order == "listing":
        listing = _listing(shape.seen, values.now, collection, query, hold)
        return merged_sql(listing.each(annotated), values.after, shape.limit, fields)
    versions = _versions(shape.seen, values.now, collection, query, hold, newest_first=shape.order == "newest")
    qs = annotated(versions).values_list(*fields)[: shape.limit + 1]
    _in_field_order(qs)
    sql, params = qs.query.get_compiler(using=shape.database).as_sql()
    return sql, list(params)


def _selected(
    selection: Selection, statement: str, after: Position | None, limit: int, context: PrincipalContext
) -> list[tuple[Any, ...]]:
    """The rows of a selection's page (``statement``: served or listed), from its compiled SQL."""
    _may_read(selection.access)
    query, collection = selection.query, selection.access.collection
    found = running(context.now)
    stamps = tuple(parse_timestamp(v, "match[version]") for v in query.versions if v not in VERSION_WORDS)
    alias, vendor = database()
    shape = Shape(
        database=alias,
        vendor=vendor,
        seen=visibility(context, ACTION, query.purpose),
        collection=str(collection.pk),
        collection_organisation=collection.organisation_id,
        spec=orjson.dumps(collection.spec, option=orjson.OPT_SORT_KEYS).decode(),
        statement=statement,
        order=selection.order,
        limit=limit,
        words=tuple(v for v in query.versions if v in VERSION_WORDS),
        added_after=query.added_after is not None,
        ids=len(query.ids),
        types=len(query.types),
        spec_versions=len(query.spec_versions),
        stamps=len(stamps),
        after=after is not None,
        dead=len(found.dead),
    )
    values = Bound(
        now=context.now,
        alive_since=found.alive_since,
        publishing_since=found.publishing_since,
        dead=found.dead,
        added_after=query.added_after,
        ids=query.ids,
        types=query.types,
        spec_versions=query.spec_versions,
        stamps=stamps,
        after=after,
    )
    rows = run(shape, values, _statement)
    return merged_rows(rows, limit) if selection.order == "listing" else rows


def objects_page(
    source: Selection | Listing | QuerySet[StixObject],
    *,
    after: Position | None,
    limit: int,
    context: PrincipalContext | None = None,
) -> tuple[list[Listed], bool]:
    """One page of versions as the manifest and versions endpoints list them (no bodies):
    ``(rows, more)``; a :class:`Selection` (which needs the reader's ``context``) through its
    compiled SQL, else :func:`accord.taxii.listing.objects_page`."""
    if not isinstance(source, Selection):
        return listing_page(source, after=after, limit=limit)
    if context is None:
        raise ValueError("A selection is read for a reader: pass its context.")
    return listed_page(_selected(source, "listed", after, limit, context), limit)


def _in_field_order(qs: QuerySet[Any]) -> None:
    """Refuse a values query whose rows would not come in the order of its fields: they name
    the model's columns first, then the annotations, whichever way Django builds the select list."""
    query = qs.query
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    if names != tuple(qs._fields or ()):  # type: ignore[attr-defined]
        raise ValueError("Name the model fields before the annotations: the rows come in that order.")


def _raw_rows(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values query as the database driver returns them, without Django's
    conversions (on a page of 1,000 they cost more than everything else done per row)."""
    _in_field_order(qs)
    return [row for chunk in qs.query.get_compiler(using=qs.db).execute_sql(MULTI) for row in chunk]


def objects_served(
    source: Selection | Listing | QuerySet[StixObject],
    *,
    purpose: str,
    after: Position | None,
    limit: int,
    context: PrincipalContext,
) -> ServedPage:
    """One page of ``source`` (a :class:`Selection`, run through its compiled SQL; or what
    :func:`collection_objects` selected, or one object's versions from
    :func:`collection_versions`) after a keyset position, as the reader receives it
    (:func:`accord.taxii.served.served_page`: each row passes ``decide`` again for its
    redactions and as a second lock)."""
    if isinstance(source, Selection):
        found = _selected(source, "served", after, limit, context)
    elif isinstance(source, Listing):
        now = context.now
        found = merged(source.each(lambda part: served(part, now)), after, limit, SERVED_FIELDS)
    else:
        found = _raw_rows(served(source, context.now).values_list(*SERVED_FIELDS)[: limit + 1])
    return served_page(found, limit=limit, purpose=purpose, context=context)


def marking_definition_get(
    *, context: PrincipalContext, access: CollectionAccess, stix_id: str, query: ObjectQuery
) -> dict[str, Any]:
    """A marking definition read by its id from a collection (TAXII 2.1 §5.5): a standard TLP
    one, as published, by anyone who may read the collection; any other, as it was sent, by a
    reader who receives at least one object of the collection that refers to it, as it receives
    it (it says how to handle that object): a reference in a field withheld from the reader, a
    granular marking of withheld content, does not count. Nobody else learns that it exists: the
    same 404 as for no object."""
    standard = standard_definition(stix_id)
    if standard is not None and access.can_read:
        return standard
    referring = collection_objects(context=context, access=access, query=query).filter(
        marking_links__marking_ref=stix_id
    )
    found = marking_definitions([stix_id])
    after: Position | None = None
    while found:
        page = objects_served(referring, purpose=query.purpose, after=after, limit=100, context=context)
        if any(stix_id in marking_refs(orjson.loads(text)) for text in page.objects):
            return found[0]
        if not page.more:
            break
        after = page.last
    raise NotFound(f"No object {stix_id} in this collection (or you may not see it).")


def status_get(*, principal: User, status_id: str) -> Status:
    """A status resource (TAXII 2.1 §4.3) of the asker's organisation; host staff see all."""
    qs = Status.objects.select_related("submission", "collection")
    if not has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        qs = qs.filter(submission__organisation_id=principal.organisation_id)
    key = uuid_or_none(status_id)
    found = qs.filter(pk=key).first() if key is not None else None
    if found is None:
        raise NotFound(f"No status {status_id} (or you may not see it).")
    return found


def status_refusals(status: Status) -> tuple[dict[int, str], str]:
    """Why the objects of a status resource's envelope were refused, by their position in it
    (every refusal its submission recorded: the envelope became a bundle of the same objects in
    the same order, and the STIX reader names each by its index), and the first refusal that
    concerns no one object (the envelope as a whole)."""
    reasons: dict[int, str] = {}
    general = ""
    refusals = Refusal.objects.filter(submission_id=status.submission_id).order_by("number")
    for where, name, message in refusals.values_list("where", "field", "message").iterator():
        text = f"{name}: {message}" if name else message
        if where.startswith("object "):
            number = where.split()[1]
            if number.isdigit():
                reasons.setdefault(int(number), text)
                continue
        general = general or text
    return reasons, general
