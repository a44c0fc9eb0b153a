"""Remote sources Accord pulls data from: another Accord instance's or a partner's TAXII 2.1
collection, a MISP feed, a CSV file over HTTP(S)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from accord.core.choices import Tlp
from accord.core.models import Organisation, User
from accord.partners.models import Agreement
from accord.sharing.models import Submission

__all__ = ["Feed", "FeedKind"]


class FeedKind(models.TextChoices):
    TAXII = "taxii", "TAXII 2.1 collection"
    MISP = "misp", "MISP feed (manifest.json and one file per event)"
    CSV = "csv", "CSV file over HTTP(S)"


class Feed(models.Model):
    """A source pulled on a schedule into submissions of ``organisation`` under its agreement.

    ``cursor`` is how far the last pull got (the TAXII ``X-TAXII-Date-Added-Last``, the newest
    MISP event timestamp, the CSV file's ETag or Last-Modified). A piece the ingest refuses (an
    event, or objects of it) is reported in ``last_refused`` and skipped: the cursor moves past
    it. A pull that fails (the source cannot be read, no agreement in force) leaves the cursor as
    it was and records ``last_error``. ``strict`` makes each piece all or nothing.
    """

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=FeedKind.choices)
    url = models.URLField(max_length=1000, help_text="TAXII: the API root; MISP: the feed's folder; CSV: the file.")
    collection = models.CharField(max_length=100, blank=True, help_text="TAXII collection id.")
    username = models.CharField(max_length=150, blank=True)
    token_sealed = models.TextField(blank=True, help_text="The API token or password, encrypted.")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="feeds")
    agreement = models.ForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feeds",
        help_text="Empty: the organisation's data-sharing agreement in force at each pull.",
    )
    tlp = models.CharField(max_length=16, choices=Tlp.choices, blank=True, help_text="For objects with no marking.")
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV: which column holds what.")
    strict = models.BooleanField(default=False, help_text="Each piece all or nothing: any refused object fails it.")
    interval_minutes = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    cursor = models.CharField(max_length=200, blank=True)
    last_pull_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_refused = models.TextField(blank=True, help_text="What the last pull refused and skipped, a line a piece.")
    last_submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pulling_since = models.DateTimeField(null=True, blank=True, help_text="Set while a pull runs (a lease).")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(interval_minutes__gte=1), name="feeds_interval_positive"),
        ]

    def __str__(self) -> str:
        return self.name
