"""Partnership applications with their vetting, and agreements with their versioned terms."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Self

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accord.core.choices import OrganisationKind, Sector, Tlp
from accord.core.models import Organisation, User
from accord.core.regions import validate_country
from accord.partners.choices import (
    AffectedPartyNotifications,
    AgreementKind,
    AgreementStatus,
    ApplicationStatus,
    EncryptAtRest,
    EncryptInTransit,
    ObfuscateAffectedParties,
    Pap,
    PermittedActions,
    ProviderAttribution,
    UnmodifiedResale,
)

__all__ = ["Agreement", "AgreementVersion", "ApplicationComment", "PartnershipApplication"]


class PartnershipApplication(models.Model):
    """An organisation's request to join the programme, and its vetting.

    ``checklist`` maps each :class:`~accord.partners.choices.ChecklistItem` to
    ``{"done": bool, "by": username, "at": ISO time, "note": str}``.
    """

    reference = models.CharField(max_length=20, unique=True, editable=False)
    organisation_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    sector = models.CharField(max_length=32, choices=Sector.choices, blank=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    region = models.CharField(max_length=32, editable=False)
    website = models.URLField(blank=True)
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contribution_areas = models.JSONField(default=list)
    proposal = models.TextField(help_text="Other areas where the organisation could support the programme.")
    listed_publicly = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED)
    checklist = models.JSONField(default=dict, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    submitted_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes: ClassVar = [models.Index(fields=["status", "region"])]
        constraints: ClassVar = [
            # Backs the service's check when two identical applications arrive at once.
            models.UniqueConstraint(
                Lower("organisation_name"),
                "country",
                condition=Q(status__in=["submitted", "screening", "due_diligence"]),
                name="partners_one_open_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.organisation_name}"


class ApplicationComment(models.Model):
    """A remark in the discussion of an application (vetting notes, questions to the applicant)."""

    application = models.ForeignKey(PartnershipApplication, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"comment on {self.application_id}"


class AgreementQuerySet(models.QuerySet["Agreement"]):
    """Agreements by whether they bind: the one home of "active" and "in force"."""

    def active(self) -> Self:
        """Activated and neither suspended nor ended (whatever their window says)."""
        return self.filter(status=AgreementStatus.ACTIVE)

    def in_force(self, moment: datetime) -> Self:
        """Active, with a current version whose window holds ``moment``
        (what :meth:`AgreementVersion.covers` says of one version)."""
        return self.active().filter(
            Q(current_version__valid_from__lte=moment)
            & (Q(current_version__valid_until__isnull=True) | Q(current_version__valid_until__gt=moment))
        )


class Agreement(models.Model):
    """An agreement between the programme and one organisation.

    Its terms live in :class:`AgreementVersion` rows: an amendment adds a version and keeps the
    old ones; ``current_version`` is the one in force.
    """

    reference = models.CharField(max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="agreements")
    kind = models.CharField(max_length=32, choices=AgreementKind.choices)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The last expiry warning given (30 or 7 days ahead), once each."
    )
    current_version = models.ForeignKey(
        "AgreementVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["organisation", "kind", "status"])]

    def __str__(self) -> str:
        return self.reference

    def in_force_at(self, moment: datetime) -> bool:
        """What :meth:`AgreementQuerySet.in_force` says, for a row already read (its current
        version loaded)."""
        version = self.current_version
        return self.status == AgreementStatus.ACTIVE and version is not None and version.covers(moment)


class AgreementVersion(models.Model):
    """One version of an agreement's terms: validity window, signed document, and for data
    sharing the FIRST IEP 2.0 policy plus the handling terms law enforcement needs."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    change_note = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    document = models.FileField(upload_to="agreements/", blank=True)
    document_name = models.CharField(max_length=255, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_size = models.PositiveBigIntegerField(null=True, blank=True)

    # FIRST IEP 2.0
    encrypt_in_transit = models.CharField(max_length=8, choices=EncryptInTransit.choices, blank=True)
    permitted_actions = models.CharField(max_length=40, choices=PermittedActions.choices, blank=True)
    affected_party_notifications = models.CharField(
        max_length=8, choices=AffectedPartyNotifications.choices, blank=True
    )
    iep_tlp = models.CharField("IEP tlp", max_length=16, choices=Tlp.choices, blank=True)
    provider_attribution = models.CharField(max_length=8, choices=ProviderAttribution.choices, blank=True)
    unmodified_resale = models.CharField(max_length=8, choices=UnmodifiedResale.choices, blank=True)
    # IEP 1.0 terms kept locally
    encrypt_at_rest = models.CharField(max_length=8, choices=EncryptAtRest.choices, blank=True)
    obfuscate_affected_parties = models.CharField(max_length=8, choices=ObfuscateAffectedParties.choices, blank=True)
    # Handling terms
    data_categories = models.JSONField(default=list, blank=True)
    purposes = models.JSONField(default=list, blank=True)
    tlp_ceiling = models.CharField(max_length=16, choices=Tlp.choices, blank=True)
    default_tlp = models.CharField(max_length=16, choices=Tlp.choices, blank=True)
    onward_kinds = models.JSONField(default=list, blank=True)
    onward_regions = models.JSONField(default=list, blank=True)
    onward_redactions = models.JSONField(default=list, blank=True)
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    pap = models.CharField(max_length=8, choices=Pap.choices, blank=True)
    # Payment interception (docs/interceptions.md): the partner (a bank or an exchange) takes
    # requests to stop fraudulent transfers, within these hours (the programme's defaults when empty).
    payment_interception = models.BooleanField(default=False)
    interception_ack_hours = models.PositiveIntegerField(null=True, blank=True)
    interception_outcome_hours = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["agreement", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["agreement", "number"], name="partners_version_unique_number"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="partners_version_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.number}"

    @property
    def attribution_allowed(self) -> bool:
        """IEP ``provider_attribution``: may the source be named to recipients?"""
        return self.provider_attribution in (ProviderAttribution.MAY, ProviderAttribution.MUST)

    def covers(self, moment: object) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)  # type: ignore[operator]
