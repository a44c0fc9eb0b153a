"""Which TAXII collections a person may use (TAXII 2.1 §5.1, §5.2 ``can_read`` / ``can_write``):
read on every TAXII request, before anything of the collection is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q

from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.prepared import Prepared
from accord.core.roles import Perm, has_perm
from accord.taxii.choices import CollectionKind
from accord.taxii.kinds import kind_has_readers
from accord.taxii.models import Collection

__all__ = ["CollectionAccess", "collection_get", "collection_list", "uuid_or_none"]


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
    if kind_has_readers(collection.kind) and not has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
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


# Read on every TAXII request: compiled once per process.
_COLLECTION_BY_ID = Prepared(
    Collection, lambda pk: Collection.objects.filter(pk=pk), pk=Collection._meta.get_field("id")
)
_COLLECTION_BY_ALIAS = Prepared(
    Collection, lambda alias: Collection.objects.filter(alias=alias), alias=Collection._meta.get_field("alias")
)


def collection_get(*, principal: User, collection_id: str) -> CollectionAccess:
    """One usable collection by id or alias (an id first: an alias cannot hide another
    collection); unknown and unusable ones are the same 404."""
    as_uuid = uuid_or_none(collection_id)
    collection = (as_uuid and _COLLECTION_BY_ID.first(pk=as_uuid)) or _COLLECTION_BY_ALIAS.first(alias=collection_id)
    access = _access(principal, collection) if collection is not None else None
    if access is None or not (access.can_read or access.can_write):
        raise NotFound(f"No collection {collection_id} (or you may not use it).")
    return access


def uuid_or_none(text: str) -> uuid.UUID | None:
    """``text`` as a UUID, or ``None`` when it is not one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
