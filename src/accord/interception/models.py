"""Payment-interception requests, the institutions they are routed to, and their outcomes."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accord.core.models import Organisation, User
from accord.interception.choices import AccountKind, InstitutionKind, OutcomeKind, RequestStatus, RoutedAs
from accord.operations.choices import CrimeType

__all__ = ["Institution", "InterceptionOutcome", "InterceptionRequest"]


class Institution(models.Model):
    """A partner organisation as the routing knows it: a bank by its BIC (the first eight
    characters identify the institution in its country), or an exchange by its name. A request
    is routed to it only while the organisation's agreement in force covers payment interception."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="institutions")
    kind = models.CharField(max_length=16, choices=InstitutionKind.choices)
    bic8 = models.CharField("BIC (8 characters)", max_length=8, blank=True)
    name = models.CharField(max_length=120, help_text="How requests name it (an exchange's name).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["bic8"], condition=~Q(bic8=""), name="interception_bic_once"),
            models.UniqueConstraint(Lower("name"), "kind", name="interception_institution_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class InterceptionRequest(models.Model):
    """A request to stop the funds of one fraudulent transfer, addressed to one organisation.

    ``requester`` is the unit whose case it is (it carries along the chain); ``raised_by`` the
    organisation that raised this step (the requester, or the bank that reported the funds gone
    onward: ``parent`` is then the request it answered, and ``root`` the chain's first)."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    requester = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    raised_by_person = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    addressee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    routed_as = models.CharField(max_length=16, choices=RoutedAs.choices)
    routing_note = models.TextField(blank=True)
    # The beneficiary of the transfer.
    account_kind = models.CharField(max_length=16, choices=AccountKind.choices)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    account_number = models.CharField(max_length=40, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    bank_name = models.CharField(max_length=200, blank=True)
    account_country = models.CharField(max_length=2, blank=True)
    wallet = models.CharField(max_length=120, blank=True)
    wallet_currency = models.CharField(max_length=8, blank=True)
    exchange = models.CharField(max_length=120, blank=True)
    # The transfer.
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    transferred_at = models.DateTimeField()
    victim_bank = models.CharField(max_length=200, blank=True)
    crime_type = models.CharField(max_length=16, choices=CrimeType.choices)
    case_reference = models.CharField(max_length=80)
    legal_basis = models.TextField()
    # The clocks.
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.SENT)
    raised_at = models.DateTimeField(default=timezone.now)
    ack_due = models.DateTimeField()
    outcome_due = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_outcome_at = models.DateTimeField(null=True, blank=True)
    ack_escalated_at = models.DateTimeField(null=True, blank=True)
    outcome_escalated_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # What it brought.
    stix_id = models.CharField(max_length=100, blank=True, help_text="The beneficiary account as shared data.")
    operation = models.ForeignKey(
        "operations.Operation", null=True, blank=True, on_delete=models.SET_NULL, related_name="interceptions"
    )

    class Meta:
        ordering: ClassVar = ["-raised_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["addressee", "status"]),
            models.Index(fields=["requester", "raised_at"]),
            models.Index(fields=["root"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="interception_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def beneficiary(self) -> str:
        """The account as people read it."""
        if self.account_kind == AccountKind.WALLET:
            return f"{self.wallet_currency.upper()} {self.wallet}" + (f" at {self.exchange}" if self.exchange else "")
        if self.account_kind == AccountKind.IBAN:
            return self.iban + (f" ({self.bank_name})" if self.bank_name else "")
        return f"{self.account_number} at {self.bic}" + (f" ({self.bank_name})" if self.bank_name else "")

    @property
    def is_open(self) -> bool:
        return self.status != RequestStatus.WITHDRAWN


class InterceptionOutcome(models.Model):
    """What the addressee reports: an amount frozen or recalled, funds gone onward (with the next
    request of the chain, ``onward``), the account closed, nothing found. Amounts are in
    ``currency``, never converted."""

    request = models.ForeignKey(InterceptionRequest, on_delete=models.PROTECT, related_name="outcomes")
    kind = models.CharField(max_length=16, choices=OutcomeKind.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    onward = models.OneToOneField(
        InterceptionRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="reported_by"
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["recorded_at", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="interception_outcome_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.request_id}"
