"""Notifications: a person's inbox and preferences; an organisation's webhooks and their deliveries."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accord.core.models import Organisation, User
from accord.notifications.choices import Channel, DeliveryStatus, Digest

__all__ = ["Notification", "NotificationSettings", "Preference", "Webhook", "WebhookDelivery"]


class Notification(models.Model):
    """One thing told to one person: its event type, what it says (rendered when it was told,
    so it reads the same later), the object it is about and the page that shows it."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    event_type = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="The page of the thing concerned (a path).")
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    in_app = models.BooleanField(default=True, help_text="Shown in the inbox.")
    email_pending = models.BooleanField(default=False, help_text="Waiting for the person's daily digest.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_recent"),
            models.Index(fields=["recipient"], name="notif_unread", condition=Q(read_at__isnull=True, in_app=True)),
            models.Index(fields=["recipient"], name="notif_digest", condition=Q(email_pending=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.recipient_id}: {self.title}"

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """Where one person is told of one event type (without a row: their role's default)."""

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_preferences")
    event_type = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person", "event_type"], name="notif_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.event_type}: {self.channel}"


class NotificationSettings(models.Model):
    """A person's e-mail rhythm: each notification at once, or one digest a day."""

    person = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="+")
    digest = models.CharField(max_length=16, choices=Digest.choices, default=Digest.IMMEDIATE)

    def __str__(self) -> str:
        return f"{self.person_id}: {self.digest}"


class Webhook(models.Model):
    """An organisation's endpoint told of the events it chose, each delivery a JSON body signed
    with HMAC-SHA256 (see docs/notifications.md). ``object.visible`` deliveries carry STIX 2.1
    objects as the TAXII read gives the organisation, read as the person who made the webhook,
    from ``cursor_at``/``cursor_pk`` on (the last object delivered); ``object.withdrawn``
    deliveries the versions withdrawn from its organisation's view, from
    ``withdrawn_cursor_at``/``withdrawn_cursor_pk`` on (the last withdrawal delivered)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhooks")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=1000)
    secret_sealed = models.TextField(help_text="The signing secret, encrypted.")
    event_types = models.JSONField(default=list)
    tlps = models.JSONField(default=list, blank=True, help_text="object.visible: only these TLPs (empty: all).")
    stix_types = models.JSONField(default=list, blank=True, help_text="object.visible: only these types.")
    crime_types = models.JSONField(default=list, blank=True, help_text="object.visible: only these crime types.")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed attempts in a row.")
    cursor_at = models.DateTimeField(default=timezone.now)
    cursor_pk = models.BigIntegerField(default=0)
    withdrawn_cursor_at = models.DateTimeField(default=timezone.now)
    withdrawn_cursor_pk = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["organisation_id", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="webhook_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class WebhookDelivery(models.Model):
    """One event for one webhook, tried until delivered (a 2xx answer) or given up: its log is
    the last attempt's status, latency and the first bytes of the answer."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(null=True, blank=True, help_text="The event (object.visible: built when sent).")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    object_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["next_attempt_at"], name="webhook_due", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to webhook {self.webhook_id}: {self.status}"
