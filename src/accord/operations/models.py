"""Joint operations of member countries and partners against business e-mail compromise,
cryptojacking, phishing, romance scams and ransomware: their phases, participants, linked
intelligence and outcomes.

The tables keep the names they had when operations lived in the governance app
(``governance_operation`` …): the app was cut out of governance without moving any data, so
every ``Meta`` names its table (docs/decisions.md, "Operations, an app of their own").
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accord.core.models import Organisation, User
from accord.core.regions import validate_country
from accord.operations.choices import OperationStatus

__all__ = [
    "Operation",
    "OperationCampaign",
    "OperationObject",
    "OperationOutcome",
    "OperationPhase",
]


class Operation(models.Model):
    """A joint operation of member countries and partners against one or more crime types.

    Linked intelligence is held in link tables, one per kind of thing linked
    (:class:`OperationObject` for shared STIX objects, :class:`OperationCampaign` for the
    analysis app's campaigns); its participants read it through the policy, in the UI, the API
    and the operation's own TAXII collection (``collection``).
    """

    name = models.CharField(max_length=200, unique=True)
    codename = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    crime_types = models.JSONField(default=list)
    lead = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="led_operations")
    participants = models.ManyToManyField(Organisation, related_name="operations")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=OperationStatus.choices, default=OperationStatus.PLANNING)
    closing_summary = models.TextField(blank=True)
    collection = models.OneToOneField(
        "taxii.Collection", null=True, blank=True, on_delete=models.SET_NULL, related_name="operation"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "governance_operation"
        ordering: ClassVar = ["-start_date", "name"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="governance_operation_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OperationPhase(models.Model):
    """A phase of an operation (preparation, action days, follow-up)."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(max_length=120)
    start_date = models.DateField()
    end_date = models.DateField()
    description = models.TextField(blank=True)

    class Meta:
        db_table = "governance_operationphase"
        ordering: ClassVar = ["start_date", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="governance_phase_ordered"),
        ]

    def __str__(self) -> str:
        return self.name


class OperationObject(models.Model):
    """A shared STIX object linked to an operation, by STIX id: every version of it counts,
    as far as each reader may see it."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="object_links")
    stix_id = models.CharField(max_length=100)
    note = models.CharField(max_length=300, blank=True)
    linked_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "governance_operationobject"
        ordering: ClassVar = ["linked_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["operation", "stix_id"], name="governance_object_linked_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} in {self.operation_id}"


class OperationCampaign(models.Model):
    """A campaign of the analysis app linked to an operation. What it brings is its members at
    the time of reading (campaigns grow, merge and split as data arrives), each as far as the
    reader may see it; when the campaign is merged into another, the link moves to the survivor."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="campaign_links")
    campaign = models.ForeignKey("analysis.Campaign", on_delete=models.CASCADE, related_name="operation_links")
    note = models.CharField(max_length=300, blank=True)
    linked_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "governance_operationcampaign"
        ordering: ClassVar = ["linked_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["operation", "campaign"], name="governance_campaign_linked_once"),
        ]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} in {self.operation_id}"


class OperationOutcome(models.Model):
    """What an operation achieved, recorded as it happens; the dashboard adds them up.
    Funds are in ``currency`` (ISO 4217); totals are kept per currency."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="outcomes")
    date = models.DateField()
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    arrests = models.PositiveIntegerField(default=0)
    searches = models.PositiveIntegerField(default=0)
    servers_taken_down = models.PositiveIntegerField(default=0)
    domains_taken_down = models.PositiveIntegerField(default=0)
    accounts_blocked = models.PositiveIntegerField(default=0)
    funds_frozen = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    funds_recovered = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True)
    victims_identified = models.PositiveIntegerField(default=0)
    victims_notified = models.PositiveIntegerField(default=0)
    devices_remediated = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "governance_operationoutcome"
        ordering: ClassVar = ["date", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(funds_frozen__gte=0) & Q(funds_recovered__gte=0), name="governance_outcome_funds_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"outcome {self.date} of {self.operation_id}"
