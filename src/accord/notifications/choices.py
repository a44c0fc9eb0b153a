"""Vocabularies of notifications."""

from django.db import models

__all__ = ["Channel", "DeliveryStatus", "Digest"]


class Channel(models.TextChoices):
    """Where a person is told of one event type."""

    IN_APP = "in_app", "In the inbox"
    EMAIL = "email", "By e-mail"
    BOTH = "both", "Inbox and e-mail"
    NONE = "none", "Not at all"


class Digest(models.TextChoices):
    """When a person's e-mails go out: each at once, or one a day listing them."""

    IMMEDIATE = "immediate", "At once"
    DAILY = "daily", "Once a day"


class DeliveryStatus(models.TextChoices):
    """Where one webhook delivery stands."""

    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (given up)"
    SKIPPED = "skipped", "Nothing to send"
