"""Reads of notifications: one's own inbox and preferences; one's organisation's webhooks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.notifications.events import EVENT_TYPES, EventType
from accord.notifications.models import Notification, Preference, Webhook, WebhookDelivery
from accord.notifications.services.notify import channel_for, digest_for

__all__ = [
    "delivery_list",
    "notification_get",
    "notification_list",
    "preference_list",
    "unread_count",
    "webhook_get",
    "webhook_list",
]


def notification_list(*, principal: User) -> QuerySet[Notification]:
    """One's own inbox, newest first (a person never sees another's)."""
    return Notification.objects.filter(recipient=principal, in_app=True).order_by("-created_at", "-id")


def notification_get(*, principal: User, pk: Any) -> Notification:
    found = notification_list(principal=principal).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound(f"No notification {pk}.")
    return found


def unread_count(*, principal: User) -> int:
    return Notification.objects.filter(recipient=principal, in_app=True, read_at__isnull=True).count()


def preference_list(*, principal: User) -> dict[str, Any]:
    """Where one is told of each event type people are told of (``own``: chosen, else the
    role's default), and one's e-mail rhythm."""
    chosen = dict(Preference.objects.filter(person=principal).values_list("event_type", "channel"))
    rows: list[dict[str, Any]] = []
    for event in sorted(EVENT_TYPES.values(), key=lambda e: e.key):
        if not event.people:
            continue
        rows.append(_row(principal, event, chosen))
    return {"digest": digest_for(principal), "event_types": rows}


def _row(principal: User, event: EventType, chosen: dict[str, str]) -> dict[str, Any]:
    return {
        "event_type": event.key,
        "label": event.label,
        "about": event.description,
        "channel": channel_for(principal, event, chosen),
        "default": event.channel_for(principal.role),
        "own": event.key in chosen,
    }


def webhook_list(*, principal: User) -> QuerySet[Webhook]:
    """One's organisation's webhooks (administrators: every organisation's)."""
    qs = Webhook.objects.select_related("organisation", "created_by")
    if has_perm(principal, Perm.PLATFORM_ADMIN):
        return qs.order_by("organisation__name", "name")
    return qs.filter(organisation_id=principal.organisation_id).order_by("name")


def webhook_get(*, principal: User, pk: Any) -> Webhook:
    found = webhook_list(principal=principal).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound(f"No webhook {pk}.")
    return found


def delivery_list(*, principal: User, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """A webhook's delivery log, newest first (the webhook read through :func:`webhook_get`)."""
    webhook_get(principal=principal, pk=webhook.pk)
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")
