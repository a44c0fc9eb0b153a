"""What an organisation's webhooks receive of the objects newly visible to it, and of the
versions withdrawn from its view: the TAXII reads of the "everything you may see" collection
(its objects, and its ``withdrawn/`` list), as the person who made the webhook, after the
webhook's position. Registered into :mod:`accord.notifications.objects`; the policy decides
here exactly as for a TAXII client."""

from __future__ import annotations

from datetime import datetime

import orjson
from django.db.models import Q

from accord.core.choices import Purpose
from accord.core.errors import NotFound
from accord.notifications.models import Webhook
from accord.notifications.objects import ObjectPage
from accord.policy import principal_context
from accord.sharing.services import personal_data_consulted
from accord.taxii.choices import CollectionKind
from accord.taxii.filters import ObjectQuery, stamp
from accord.taxii.models import Collection
from accord.taxii.selectors import CollectionAccess, collection_get, collection_objects, objects_served, withdrawals

__all__ = ["webhook_objects", "webhook_withdrawals"]


def _everything(webhook: Webhook) -> CollectionAccess | None:
    """The webhook's maker's access to the "everything you may see" collection (``None``: the
    maker left the organisation or may not read it)."""
    reader = webhook.created_by
    if not reader.is_active or reader.organisation_id != webhook.organisation_id:
        return None
    everything = Collection.objects.filter(kind=CollectionKind.ALL).order_by("pk").first()
    if everything is None:
        return None
    try:
        access = collection_get(principal=reader, collection_id=str(everything.pk))
    except NotFound:
        return None
    return access if access.can_read else None


def webhook_objects(webhook: Webhook, after: tuple[datetime, int], limit: int, now: datetime) -> ObjectPage:
    """Up to ``limit`` objects visible to the webhook's maker after ``after`` (what others shared:
    not the organisation's own), narrowed by the webhook's TLPs, types and crime types, each as
    TAXII serves it (withheld fields removed, its marking named). Personal data sent is logged
    as consulted, as a TAXII read's is."""
    access = _everything(webhook)
    if access is None:
        return ObjectPage()
    reader = webhook.created_by
    context = principal_context(reader, now)
    query = ObjectQuery(types=tuple(webhook.stix_types))
    listing = collection_objects(context=context, access=access, query=query).filter(
        ~Q(organisation_id=webhook.organisation_id)
    )
    if webhook.tlps:
        listing = listing.filter(tlp__in=webhook.tlps)
    if webhook.crime_types:
        listing = listing.filter(crime_type__in=webhook.crime_types)
    page = objects_served(listing, purpose=Purpose.INVESTIGATION, after=after, limit=limit, context=context)
    personal_data_consulted(
        actor=reader, stix_ids=page.personal, purpose=Purpose.INVESTIGATION, via="webhook", webhook=webhook.name
    )
    return ObjectPage(page.objects, page.last, page.more)


def webhook_withdrawals(webhook: Webhook, after: tuple[datetime, int], limit: int, now: datetime) -> ObjectPage:
    """Up to ``limit`` versions withdrawn from the webhook's organisation after ``after`` (date
    withdrawn, row id), exactly as its ``withdrawn/`` TAXII read of the "everything" collection
    lists them: ``{"id", "version", "date_withdrawn"}`` each. Only versions the organisation
    could receive were ever recorded as withdrawn from it, so nothing here names an object it
    never had; the TAXII read's hold-back applies (nothing dated after a publication in progress)."""
    access = _everything(webhook)
    if access is None:
        return ObjectPage()
    rows, more = withdrawals(
        context=principal_context(webhook.created_by, now), access=access, since=None, after=after, limit=limit
    )
    entries = [
        orjson.dumps({"id": row.stix_id, "version": stamp(row.modified), "date_withdrawn": stamp(row.withdrawn_at)})
        for row in rows
    ]
    return ObjectPage(entries, (rows[-1].withdrawn_at, rows[-1].pk) if rows else None, more)
