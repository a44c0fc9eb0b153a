"""Shared objects and the handling conditions every policy decision reads."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from accord.core.choices import DataCategory, Purpose, Tlp
from accord.core.models import Organisation, User
from accord.partners.models import Agreement

__all__ = ["StixObject"]


class StixObject(models.Model):
    """One version of a STIX 2.1 object shared through Accord (``stix_id`` + ``modified``).

    Provenance (originating organisation, agreement) and handling (TLP 2.0 marking, data
    category, purpose, named recipients for RED, organisations it is addressed to for AMBER,
    retention, revocation) travel with it; :mod:`accord.policy` reads them on every access.
    """

    stix_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=8, default="2.1")
    created = models.DateTimeField()
    modified = models.DateTimeField()
    body = models.JSONField(default=dict)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="shared_objects")
    agreement = models.ForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shared_objects",
        help_text="The originator's data-sharing agreement it was shared under (none for the host's own).",
    )
    tlp = models.CharField(max_length=16, choices=Tlp.choices)
    data_category = models.CharField(max_length=32, choices=DataCategory.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.INVESTIGATION)
    recipients = models.ManyToManyField(
        User, blank=True, related_name="red_objects", help_text="The people a TLP:RED object is for."
    )
    addressed_to = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="addressed_objects",
        help_text="Organisations a TLP:AMBER object is explicitly shared with.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-added_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["stix_id", "modified"], name="sharing_object_version_unique"),
            models.CheckConstraint(condition=models.Q(tlp__in=Tlp.values), name="sharing_object_tlp_valid"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "tlp"]),
            models.Index(fields=["agreement"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} ({self.modified:%Y-%m-%d})"
