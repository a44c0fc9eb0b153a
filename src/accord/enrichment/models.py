"""Enrichment records: the configured analysis tools and every result they gave, with its provenance.

The tables were made by the analysis app, which held enrichment before it had an app of its own;
they keep their names (``analysis_enricher``, ``analysis_enrichment``) and their rows.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from accord.core.choices import Tlp
from accord.core.models import Organisation, User
from accord.enrichment.choices import EnrichmentStatus, EnrichmentTrigger
from accord.partners.models import Agreement
from accord.sharing.models import Observable, Submission

__all__ = ["Enricher", "Enrichment"]


class Enricher(models.Model):
    """One configured analysis tool: which kind of :class:`~accord.enrichment.enrichers.EnricherBase`,
    which organisation provides it under which ``analysis_tools`` agreement, the observable types
    it is used for, the most restricted TLP a value may carry to be sent to it, its timeout, and
    whether it runs on every ingest. Network tools also keep their URL and signing secret (sealed)."""

    name = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=32, help_text="A registered enricher kind (accord.enrichment.enrichers).")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="enrichers")
    agreement = models.ForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrichers",
        help_text="The analysis-tools agreement it is provided under (none for the host's own tools).",
    )
    types = models.JSONField(default=list, help_text="Observable types it is used for.")
    tlp_ceiling = models.CharField(max_length=16, choices=Tlp.choices)
    timeout_seconds = models.PositiveSmallIntegerField(default=10)
    enabled = models.BooleanField(default=True)
    run_on_ingest = models.BooleanField(default=False)
    url = models.URLField(max_length=1000, blank=True)
    secret_sealed = models.TextField(blank=True, help_text="The signing secret, encrypted.")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analysis_enricher"  # made by the analysis app, which held enrichment before
        ordering = ["name"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(tlp_ceiling__in=Tlp.values), name="analysis_enricher_tlp_valid"),
            models.CheckConstraint(
                condition=models.Q(timeout_seconds__gte=1, timeout_seconds__lte=120),
                name="analysis_enricher_timeout_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrichment(models.Model):
    """One run of an enricher on an observable, with its provenance: the tool and the
    organisation that provided it at the time, who asked (none on ingest), the TLP the value
    carried when it was sent, and the answer or why there was none."""

    observable = models.ForeignKey(Observable, on_delete=models.CASCADE, related_name="enrichments")
    enricher = models.ForeignKey(Enricher, on_delete=models.PROTECT, related_name="results")
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    trigger = models.CharField(max_length=8, choices=EnrichmentTrigger.choices, default=EnrichmentTrigger.REQUEST)
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tlp_sent = models.CharField(max_length=16, choices=Tlp.choices, help_text="The value's TLP when it was sent.")
    status = models.CharField(max_length=8, choices=EnrichmentStatus.choices)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "analysis_enrichment"
        ordering = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["observable", "enricher", "status"], name="analysis_enrichment_obs_idx")
        ]

    def __str__(self) -> str:
        return f"{self.enricher_id} on {self.observable_id} ({self.status})"
