"""Filters of the inbox and the delivery log, shared by the API and the pages."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import QuerySet

from accord.core.filters import StrictBooleanFilter
from accord.notifications.choices import DeliveryStatus
from accord.notifications.events import EVENT_TYPES
from accord.notifications.models import Notification, WebhookDelivery

__all__ = ["DeliveryFilter", "NotificationFilter"]


def _event_choices() -> list[tuple[str, str]]:
    return sorted((key, event.label) for key, event in EVENT_TYPES.items())


class NotificationFilter(django_filters.FilterSet):  # type: ignore[misc]
    event_type = django_filters.ChoiceFilter(choices=_event_choices, label="Event type")
    unread = StrictBooleanFilter(method="by_unread", label="Unread")

    class Meta:
        model = Notification
        fields: ClassVar[list[str]] = ["event_type", "unread"]

    def by_unread(self, qs: QuerySet[Notification], name: str, value: bool | None) -> QuerySet[Notification]:
        if value is None:
            return qs
        return qs.filter(read_at__isnull=value)


class DeliveryFilter(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.ChoiceFilter(choices=_event_choices, label="Event type")

    class Meta:
        model = WebhookDelivery
        fields: ClassVar[list[str]] = ["status", "event_type"]
