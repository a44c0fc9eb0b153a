"""Every change TAXII makes: the default collections, a POST to an inbox (a submission through
the one ingest service), a DELETE (the originator's revocation), and what joins and leaves the
collections that name objects."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.choices import Region
from accord.core.errors import Forbidden, NotFound, ValidationFailed
from accord.core.models import Organisation, User
from accord.formats.stix import is_cyber_observable
from accord.partners.choices import AgreementKind
from accord.sharing.bulk import chunks
from accord.sharing.models import StixObject, VisibilityChange
from accord.sharing.services import object_revoke, submission_create, submission_start, visibility_publish
from accord.taxii.choices import CollectionKind
from accord.taxii.filters import ObjectQuery, stamp
from accord.taxii.kinds import (
    in_collection,
    is_naming_key,
    kind_has_readers,
    known_kinds,
    names_objects,
    spec_condition,
)
from accord.taxii.models import Collection, Departure, Membership, Status, spec_errors
from accord.taxii.selectors import CollectionAccess

__all__ = ["collection_create", "collection_members_watch", "collections_sync", "object_delete", "objects_add"]

_NAMESPACE = uuid.UUID("8f3a1c52-6a3e-4d0b-9b7e-2f1c5d9a7e40")


def _stable_id(alias: str) -> uuid.UUID:
    """The same alias gets the same collection id on every instance (federation keeps its URLs)."""
    return uuid.uuid5(_NAMESPACE, alias)


@transaction.atomic
def collection_create(
    *,
    kind: str,
    title: str,
    alias: str,
    description: str = "",
    spec: dict[str, Any] | None = None,
    organisation: Organisation | None = None,
    read_back: bool = True,
    readers: list[Organisation] | None = None,
) -> Collection:
    """A collection from data: its kind (inbox or read) and spec (which objects); ``readers``
    (an operation's participants, a report's recipients) limit who may read an operation's or a
    report's collection."""
    spec = spec or {}
    errors = spec_errors(spec)
    if errors:
        raise ValidationFailed(f"spec: {errors[0]}", details={"spec": errors})
    kinds = known_kinds()
    if kind not in kinds:
        raise ValidationFailed(f"kind: one of {', '.join(kinds)}.", details={"kind": ["Invalid."]})
    if (kind == CollectionKind.INBOX) != (organisation is not None):
        raise ValidationFailed("organisation: an inbox, and only an inbox, belongs to an organisation.")
    if readers and not kind_has_readers(kind):
        raise ValidationFailed("readers: only an operation's or a report's collection is limited to named readers.")
    fields = {
        "kind": kind,
        "title": title,
        "description": description,
        "spec": spec,
        "organisation": organisation,
        "read_back": read_back,
    }
    previous = Collection.objects.filter(alias=alias).first()
    moved = _moved_by_spec(previous.spec, spec) if previous is not None else None
    if previous is None or moved is None:
        collection, _ = Collection.objects.update_or_create(
            alias=alias, defaults=fields, create_defaults={"id": _stable_id(alias), **fields}
        )
    else:
        with collection_members_watch(cause=f"collection {alias}", objects=moved, collections=[previous.pk]):
            collection, _ = Collection.objects.update_or_create(alias=alias, defaults=fields)
    if readers is not None:
        collection.readers.set(readers)
    return collection


def _moved_by_spec(old: dict[str, Any], new: dict[str, Any]) -> Q | None:
    """The objects whose place in a collection naming objects a change of its spec from ``old``
    to ``new`` may move (``None`` when it moves none, or the collection names no objects): the
    objects named by the values one spec has and the other has not, or, when a narrowing key
    changes, every object either names."""
    if old == new or not (names_objects(old) or names_objects(new)):
        return None
    narrowing = {key: value for key, value in old.items() if not is_naming_key(key)}
    if narrowing != {key: value for key, value in new.items() if not is_naming_key(key)}:
        every = Q(pk__in=[])
        for spec in (old, new):
            for key, values in spec.items():
                if is_naming_key(key):
                    every |= spec_condition(key, values)
        return every
    moved = Q(pk__in=[])
    for key in {*old, *new}:
        if is_naming_key(key):
            before, after = old.get(key, []), new.get(key, [])
            changed = [v for v in before if v not in after] + [v for v in after if v not in before]
            if changed:
                moved |= spec_condition(key, changed)
    return moved


def _members(collections: list[Collection], scope: list[int]) -> dict[Any, set[int]]:
    """Per collection, which of the versions ``scope`` it holds now (its spec alone; the policy
    decides per reader when it is read)."""
    held: dict[Any, set[int]] = {}
    for collection in collections:
        found = held.setdefault(collection.pk, set())
        for part in chunks(scope):
            qs = in_collection(collection.organisation_id, collection.spec, StixObject.objects.filter(pk__in=part))
            found.update(qs.values_list("pk", flat=True))
    return held


def _naming(key: str, values: Iterable[Any]) -> str:
    """SQL: the collection's spec lists, under ``key``, one of ``values`` (compared as text, the
    way JSON's numbers and strings print), for each database's JSON functions."""
    spec = f'"{Collection._meta.db_table}"."spec"'
    texts = ", ".join("%s" for _ in values)
    if connection.vendor == "postgresql":
        return f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({spec} -> %s) AS named WHERE named IN ({texts}))"  # noqa: S608 - bound
    return f"EXISTS (SELECT 1 FROM json_each({spec}, %s) WHERE CAST(value AS TEXT) IN ({texts}))"  # noqa: S608 - bound


def _watched(collections: list[Any] | None, key: str | None, values: Iterable[Any] | None) -> list[Collection]:
    """The collections naming objects a watch compares (one query)."""
    found = Collection.objects.filter(pk__in=collections) if collections is not None else Collection.objects.all()
    if key is not None:
        found = found.filter(spec__has_key=key)
    if key is not None and values is not None:
        named = sorted({str(value) for value in values})
        if not named:
            return []
        path = key if connection.vendor == "postgresql" else f'$."{key}"'
        found = found.extra(where=[_naming(key, named)], params=[path, *named])  # noqa: S610 - bound
    # Only a collection whose ``key`` names something can gain or lose through it (an
    # operation's collection has ``"campaign": []`` until a campaign is linked).
    return [
        c for c in found.only("pk", "organisation_id", "spec") if names_objects(c.spec) and (key is None or c.spec[key])
    ]


@contextmanager
def collection_members_watch(
    *,
    cause: str,
    objects: Q,
    collections: list[Any] | None = None,
    key: str | None = None,
    values: Iterable[Any] | None = None,
) -> Iterator[None]:
    """Run a change (inside the caller's transaction) that may move ``objects`` (their versions
    in the store when it begins) into or out of collections naming objects: ``collections`` (ids),
    or every one whose spec uses ``key`` (with ``values``: only those whose ``key`` lists one of
    them, such as the campaigns a change touches), or every one naming objects. What joined a
    collection is recorded as a :class:`~accord.taxii.models.Membership` (its date there: TAXII
    2.1 §3.2, added to the collection), what left as a :class:`~accord.taxii.models.Departure`
    (listed by ``…/withdrawn/``); both are dated when the change is published, after its commit,
    behind the hold-back every TAXII read applies
    (:func:`accord.sharing.services.visibility_publish`), so a poller reading on from the newest
    date it saw never skips a join. Costs one query when no collection is concerned (``objects``
    is not even read)."""
    watched = _watched(collections, key, values)
    if not watched:
        yield
        return
    started = timezone.now()
    scope = sorted(StixObject.objects.filter(objects, added_at__lt=started).values_list("pk", flat=True))
    before = _members(watched, scope)
    yield
    fresh = list(Collection.objects.filter(pk__in=[c.pk for c in watched]).only("pk", "organisation_id", "spec"))
    after = _members(fresh, scope)
    joined = [(pk, obj) for pk, held in after.items() for obj in sorted(held - before.get(pk, set()))]
    left = [(pk, obj) for pk, held in before.items() for obj in sorted(held - after.get(pk, set()))]
    if not joined and not left:
        return
    change = VisibilityChange.objects.create(cause=cause[:200], kind=VisibilityChange.Kind.COLLECTION)
    for part in chunks(joined):
        Membership.objects.bulk_create(
            [Membership(collection_id=pk, stix_object_id=obj, change=change) for pk, obj in part],
            update_conflicts=True,
            unique_fields=["stix_object", "collection"],
            update_fields=["change"],
        )
    for part in chunks(left):
        Departure.objects.bulk_create(
            [Departure(collection_id=pk, stix_object_id=obj, change=change) for pk, obj in part]
        )
    transaction.on_commit(visibility_publish)


@transaction.atomic
def collections_sync() -> int:
    """Create the standard collections that are missing; ``accord init``, the demo and the
    worker's daily run call it. Everything you may see; one per region; an inbox for every
    organisation holding a data-sharing agreement. Existing ones are left as they are."""
    created = 0
    wanted: list[dict[str, Any]] = [
        {
            "kind": CollectionKind.ALL,
            "alias": "shared",
            "title": "Everything you may see",
            "description": "Every object the agreements let you receive, from every source.",
        }
    ]
    wanted += [
        {
            "kind": CollectionKind.REGION,
            "alias": f"region-{region.value.replace('_', '-')}",
            "title": f"Shared from {region.label}",
            "description": f"Objects shared by organisations in {region.label}, as far as you may see them.",
            "spec": {"region": [region.value]},
        }
        for region in Region
    ]
    organisations = Organisation.objects.filter(agreements__kind=AgreementKind.DATA_SHARING).distinct()
    wanted += [
        {
            "kind": CollectionKind.INBOX,
            "alias": f"inbox-{organisation.pk}",
            "title": f"Inbox of {organisation.name}",
            "description": (
                f"Post STIX 2.1 objects here to share them under {organisation.name}'s data-sharing agreement; "
                "read back what the organisation shared, and delete (revoke) it."
            ),
            "organisation": organisation,
        }
        for organisation in organisations
    ]
    known = set(Collection.objects.values_list("alias", flat=True))
    inboxes = set(Collection.objects.filter(kind=CollectionKind.INBOX).values_list("organisation_id", flat=True))
    for spec in wanted:
        if spec["alias"] in known or (spec.get("organisation") and spec["organisation"].pk in inboxes):
            continue
        collection_create(**spec)
        created += 1
    return created


def _envelope(body: bytes) -> list[dict[str, Any]]:
    """The objects of a TAXII 2.1 envelope (§3.7); a malformed envelope is a 400."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"envelope: malformed JSON ({exc}).") from None
    if not isinstance(envelope, dict):
        raise ValidationFailed('envelope: expected a JSON object with "objects".')
    objects = envelope.get("objects")
    if not isinstance(objects, list) or not objects:
        raise ValidationFailed('envelope: "objects" must be a non-empty list of STIX objects.')
    for index, item in enumerate(objects):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not isinstance(item.get("id"), str):
            raise ValidationFailed(f'envelope: object {index} is not a STIX object with a "type" and an "id".')
    return objects


def _version(obj: dict[str, Any], received: datetime) -> str:
    """The version of a posted object (§4.3.1 ``version``): its ``modified``, else its ``created``,
    else when the submission was received, which the store gives an object without either and
    every cyber-observable (:func:`accord.sharing.store.row_of`)."""
    if not is_cyber_observable(obj):
        for name in ("modified", "created"):
            if isinstance(obj.get(name), str):
                return str(obj[name])
    return stamp(received)


def objects_add(*, actor: User, access: CollectionAccess, body: Callable[[], bytes]) -> Status:
    """TAXII 2.1 §5.4 Add Objects: the envelope becomes a submission of the inbox's organisation
    through the same ingest as any other (object by object, never strict: TAXII has no such
    option, and its status resource reports each object; in the background when large); the
    status resource follows it. A rejected request stores nothing. ``body`` reads the request
    (once write access is established)."""
    if not access.can_write:
        raise Forbidden(f"The collection {access.collection.title} does not take objects from you.")
    collection = access.collection
    assert collection.organisation is not None  # noqa: S101 - only inboxes are writable
    raw = body()
    objects = _envelope(raw)
    # The ingest reads STIX bundles: wrap the envelope's objects, verbatim, in one whose id
    # derives from the request body, so the same POST twice is the same submission.
    digest = hashlib.sha256(raw).hexdigest()
    bundle = orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid5(_NAMESPACE, digest)}", "objects": objects})
    submission, created = submission_create(
        actor=actor,
        organisation=collection.organisation,
        stream=io.BytesIO(bundle),
        filename=f"taxii-{collection.alias}.json",
        format="stix",
    )
    status = Status.objects.create(
        collection=collection,
        submission=submission,
        requested_by=actor,
        entries=[[o["id"], _version(o, submission.created_at)] for o in objects],
    )
    if created:
        status.submission = submission_start(submission=submission)
    return status


def object_delete(*, actor: User, access: CollectionAccess, stix_id: str, query: ObjectQuery) -> int:
    """TAXII 2.1 §5.7 Delete An Object: the originator revokes the versions ``match[version]``
    and ``match[spec_version]`` select among its live ones (all by default), audited by
    :func:`accord.sharing.services.object_revoke`. Only in its own inbox, which it can read and write."""
    if not (access.can_read and access.can_write):
        raise Forbidden(f"Deleting from {access.collection.title} needs both read and write access.")
    live = StixObject.objects.filter(stix_id=stix_id, organisation_id=actor.organisation_id, revoked=False)
    versions = list(query.apply(live, live).values_list("modified", flat=True))
    count = (
        object_revoke(
            actor=actor, stix_id=stix_id, versions=versions, reason=f"TAXII DELETE in {access.collection.alias}"
        )
        if versions
        else 0
    )
    if not count:
        raise NotFound(f"No object {stix_id} of your organisation in this collection (or no such version).")
    return count
