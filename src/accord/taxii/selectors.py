"""Reads behind the TAXII endpoints: which collections a person may use, and the objects of a
collection as far as :mod:`accord.policy` lets them out (filtered in SQL, redacted per object).

TAXII reads are decided as the policy's ``export`` action: objects leave the platform for the
partner's own tools, so TLP:RED (for named people's eyes only) is never served this way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, TextField, prefetch_related_objects
from django.db.models.base import ModelState
from django.db.models.functions import Cast

from accord.analysis.models import CampaignMember
from accord.core.choices import Tlp
from accord.core.errors import Forbidden, NotFound
from accord.core.models import Organisation, User
from accord.core.roles import Perm, has_perm
from accord.formats.markings import TLP2_IDS
from accord.partners.models import Agreement
from accord.policy.decision import Action, Decision, decide, visible
from accord.policy.principal import PrincipalContext, principal_context
from accord.policy.rules import tlp_grant
from accord.sharing.models import StixObject
from accord.taxii.choices import NAMING_KEYS, READER_KINDS, SPEC_FIELDS, CollectionKind
from accord.taxii.filters import ObjectQuery
from accord.taxii.models import Collection, Status
from accord.taxii.paging import Position

__all__ = [
    "CollectionAccess",
    "collection_get",
    "collection_list",
    "collection_objects",
    "object_served",
    "objects_page",
    "status_get",
]

ACTION = Action.EXPORT


@dataclass(frozen=True)
class CollectionAccess:
    """A collection as one person may use it (TAXII 2.1 §5.2 ``can_read`` / ``can_write``)."""

    collection: Collection
    can_read: bool
    can_write: bool


def _access(principal: User, collection: Collection) -> CollectionAccess:
    if collection.is_inbox:
        own = collection.organisation_id == principal.organisation_id
        can_write = own and has_perm(principal, Perm.SHARING_SUBMIT)
        can_read = own and collection.read_back and has_perm(principal, Perm.SHARING_READ)
        return CollectionAccess(collection, can_read, can_write)
    can_read = has_perm(principal, Perm.SHARING_READ)
    if collection.kind in READER_KINDS and not has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        readers = {organisation.pk for organisation in collection.readers.all()}
        can_read = can_read and (not readers or principal.organisation_id in readers)
    return CollectionAccess(collection, can_read, False)


def collection_list(*, principal: User) -> list[CollectionAccess]:
    """The collections a person may use (TAXII 2.1 §5.1): the read collections, and the inbox of
    their own organisation. Collections they can neither read nor write are not listed."""
    rows = Collection.objects.filter(
        ~Q(kind=CollectionKind.INBOX) | Q(organisation_id=principal.organisation_id)
    ).prefetch_related("readers")
    found = [_access(principal, c) for c in rows.order_by("kind", "title")]
    return [a for a in found if a.can_read or a.can_write]


def collection_get(*, principal: User, collection_id: str) -> CollectionAccess:
    """One usable collection by id or alias; unknown and unusable ones are the same 404."""
    as_uuid = _uuid(collection_id)
    match = Q(alias=collection_id) | (Q(pk=as_uuid) if as_uuid else Q(pk__in=[]))
    collection = Collection.objects.filter(match).first()
    access = _access(principal, collection) if collection is not None else None
    if access is None or not (access.can_read or access.can_write):
        raise NotFound(f"No collection {collection_id} (or you may not use it).")
    return access


def _spec_condition(key: str, values: list[Any]) -> Q:
    if key == "campaign":  # the members now, not when the spec was written
        return Q(pk__in=CampaignMember.objects.filter(campaign_id__in=values).values("stix_object_id"))
    return Q(**{SPEC_FIELDS[key]: values})


def _in_collection(collection: Collection, qs: QuerySet[StixObject]) -> QuerySet[StixObject]:
    """The objects the collection's spec holds: those any naming key (``stix_id``,
    ``campaign``) names, narrowed by every other key."""
    if collection.organisation_id is not None:  # an inbox: what its organisation shared
        qs = qs.filter(organisation_id=collection.organisation_id)
    named = Q()
    narrowing = Q()
    for key, values in collection.spec.items():
        if key in NAMING_KEYS:
            named |= _spec_condition(key, values)
        else:
            narrowing &= _spec_condition(key, values)
    return qs.filter(named, narrowing)


def collection_objects(
    *, principal: User, access: CollectionAccess, query: ObjectQuery, context: PrincipalContext | None = None
) -> QuerySet[StixObject]:
    """The object versions of a collection the reader may receive, filtered, oldest added first.

    Policy, collection and filters are one SQL query; nothing is loaded to be discarded.
    """
    if not access.can_read:
        raise Forbidden(f"The collection {access.collection.title} does not let you read it.")
    ctx = context or principal_context(principal)
    base = _in_collection(
        access.collection, visible(principal, StixObject.objects.all(), ACTION, query.purpose, context=ctx)
    )
    return query.apply(base, base).order_by("added_at", "pk")


# What a served object needs: the policy's inputs, the paging key, and the body (as JSON text,
# parsed by orjson rather than loaded as a JSONField).
_SERVED_FIELDS = (
    "id",
    "stix_id",
    "tlp",
    "data_category",
    "organisation_id",
    "agreement_id",
    "revoked",
    "expires_at",
    "added_at",
    "body_json",
)


def _served_rows(qs: QuerySet[StixObject], count: int) -> list[StixObject]:
    """Rows as model instances holding only the served fields (the others load on access, as
    with ``only()``), built from tuples: a page of 1,000 spends half the time otherwise in
    ``Model.__init__`` filling deferred fields."""
    db = qs.db
    rows = []
    served = qs.annotate(body_json=Cast("body", output_field=TextField())).values_list(*_SERVED_FIELDS)
    for values in served[:count]:
        obj = StixObject.__new__(StixObject)
        obj._state = ModelState()
        obj._state.adding, obj._state.db = False, db
        obj.__dict__.update(zip(_SERVED_FIELDS, values, strict=True))
        rows.append(obj)
    return rows


def objects_page(
    qs: QuerySet[StixObject],
    *,
    after: Position | None,
    limit: int,
    context: PrincipalContext,
    fields: tuple[str, ...] | None = None,
) -> tuple[list[StixObject], bool]:
    """One page of ``qs`` after a keyset position; ``(rows, more)``. Without ``fields``, rows come
    ready for :func:`object_served`: one instance per originator agreement (the policy caches
    what it consults on it), and named recipients only where TLP makes them matter."""
    if after is not None:
        # A row-value comparison walks the (added_at, id) index from the position, even when a
        # large submission gave thousands of objects the same added_at (an OR would scan them).
        added, pk = after
        table = StixObject._meta.db_table
        qs = qs.filter(added_at__gte=added).extra(  # noqa: S610 - fixed SQL, bound parameters
            where=[f'("{table}"."added_at", "{table}"."id") > (%s, %s)'],
            params=[connection.ops.adapt_datetimefield_value(added), pk],
        )
    if fields is not None:
        rows = list(qs.only(*fields)[: limit + 1])
        return rows[:limit], len(rows) > limit
    rows = _served_rows(qs, limit + 1)
    rows, more = rows[:limit], len(rows) > limit
    # One instance per originator agreement: the policy caches what it consults on it.
    agreements = Agreement.objects.select_related("current_version").in_bulk(
        {row.agreement_id for row in rows if row.agreement_id is not None}
    )
    for row in rows:
        if row.agreement_id is not None:
            row._state.fields_cache["agreement"] = agreements[row.agreement_id]
    # Named recipients and addressees matter only where the reader's TLP grant depends on them.
    grant = tlp_grant(context, ACTION)
    if grant.red_if_named:
        prefetch_related_objects(
            [row for row in rows if row.tlp == Tlp.RED], Prefetch("recipients", queryset=User.objects.only("pk"))
        )
    if grant.amber_if_addressed and Tlp.AMBER not in grant.labels:
        prefetch_related_objects(
            [row for row in rows if row.tlp == Tlp.AMBER],
            Prefetch("addressed_to", queryset=Organisation.objects.only("pk")),
        )
    return rows, more


DecisionMemo = dict[tuple[Any, ...], Decision]


def _decided(obj: StixObject, principal: User, purpose: str, context: PrincipalContext, memo: DecisionMemo) -> Decision:
    """``decide`` for one row, remembered for the rows of a page that share every input of the
    decision: originator, agreement, TLP, data category, revocation and expiry. TLP:AMBER and
    TLP:RED rows are decided one by one (their addressees and named recipients count too)."""
    if obj.tlp in (Tlp.AMBER, Tlp.RED):
        return decide(principal, obj, ACTION, purpose, context=context)
    expired = obj.expires_at is not None and obj.expires_at <= context.now
    key = (obj.organisation_id, obj.agreement_id, obj.tlp, obj.data_category, obj.revoked, expired)
    decision = memo.get(key)
    if decision is None:
        decision = memo[key] = decide(principal, obj, ACTION, purpose, context=context)
    return decision


def object_served(
    obj: StixObject, principal: User, purpose: str, context: PrincipalContext, memo: DecisionMemo | None = None
) -> dict[str, Any] | None:
    """The STIX object as this reader receives it: fields the originator's agreement withholds
    removed (not blanked), and its TLP 2.0 marking in ``object_marking_refs``. ``None`` if the
    per-object decision refuses it (it never should for a row the SQL form let through).
    ``memo`` shares decisions between the rows of one page."""
    decision = _decided(obj, principal, purpose, context, {} if memo is None else memo)
    if not decision.allowed:
        return None
    text = getattr(obj, "body_json", None)
    body: dict[str, Any] = orjson.loads(text) if text is not None else dict(obj.body)
    for name in decision.redactions:
        body.pop(name, None)
    marking = TLP2_IDS[obj.tlp]
    refs = body.get("object_marking_refs")
    if not isinstance(refs, list):
        body["object_marking_refs"] = [marking]
    elif marking not in refs:
        body["object_marking_refs"] = [*refs, marking]
    return body


def status_get(*, principal: User, status_id: str) -> Status:
    """A status resource (TAXII 2.1 §4.3) of the asker's organisation; host staff see all."""
    qs = Status.objects.select_related("submission", "collection")
    if not has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        qs = qs.filter(submission__organisation_id=principal.organisation_id)
    key = _uuid(status_id)
    found = qs.filter(pk=key).first() if key is not None else None
    if found is None:
        raise NotFound(f"No status {status_id} (or you may not see it).")
    return found


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
