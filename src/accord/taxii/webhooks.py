"""What an organisation's webhooks receive of the objects newly visible to it: the TAXII read of
the "everything you may see" collection, as the person who made the webhook, after its
position, in the order of each version's date added for that reader. Registered into
:mod:`accord.notifications.objects`; the policy decides here exactly as for a TAXII client."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from accord.core.choices import Purpose
from accord.core.errors import NotFound
from accord.notifications.models import Webhook
from accord.notifications.objects import ObjectPage
from accord.policy import principal_context
from accord.sharing.services import personal_data_consulted
from accord.taxii.choices import CollectionKind
from accord.taxii.filters import ObjectQuery
from accord.taxii.models import Collection
from accord.taxii.selectors import collection_get, collection_objects, objects_served

__all__ = ["webhook_objects"]


def webhook_objects(webhook: Webhook, after: tuple[datetime, int], limit: int, now: datetime) -> ObjectPage:
    """Up to ``limit`` objects visible to the webhook's maker after ``after`` (what others shared:
    not the organisation's own), narrowed by the webhook's TLPs, types and crime types, each as
    TAXII serves it (withheld fields removed, its marking named). Personal data sent is logged
    as consulted, as a TAXII read's is."""
    reader = webhook.created_by
    if not reader.is_active or reader.organisation_id != webhook.organisation_id:
        return ObjectPage()
    everything = Collection.objects.filter(kind=CollectionKind.ALL).order_by("pk").first()
    if everything is None:
        return ObjectPage()
    try:
        access = collection_get(principal=reader, collection_id=str(everything.pk))
    except NotFound:
        return ObjectPage()
    if not access.can_read:
        return ObjectPage()
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
