"""Vocabularies of enrichment."""

from django.db import models

__all__ = ["EnrichmentStatus", "EnrichmentTrigger"]


class EnrichmentStatus(models.TextChoices):
    """How a run of an enricher ended: an answer, or why there was none."""

    OK = "ok", "OK"
    FAILED = "failed", "Failed"


class EnrichmentTrigger(models.TextChoices):
    """What made an enricher run: an analyst's request, or an ingest."""

    REQUEST = "request", "On request"
    INGEST = "ingest", "On ingest"
