"""Core models: organisations, people, API tokens and the append-only audit chain."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accord.core.choices import (
    ContributionArea,
    OrganisationKind,
    OrganisationStatus,
    Region,
    ReliabilityGrade,
    Role,
    Sector,
)
from accord.core.regions import country_name, region_for, validate_country

__all__ = ["ApiToken", "AuditChainHead", "AuditEvent", "Organisation", "ScheduledRun", "User"]


class Organisation(models.Model):
    """A participant in the programme: the hosting organisation, a national unit or a partner.

    ``region`` is derived from ``country`` and stored so that lists and trends can filter and
    group by it in SQL. ``reliability`` is the default source grade of what it shares.
    """

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    sector = models.CharField(max_length=32, choices=Sector.choices, blank=True)
    country = models.CharField(max_length=2, validators=[validate_country])
    region = models.CharField(max_length=32, choices=Region.choices, editable=False)
    status = models.CharField(max_length=16, choices=OrganisationStatus.choices, default=OrganisationStatus.APPLICANT)
    reliability = models.CharField(max_length=1, choices=ReliabilityGrade.choices, default=ReliabilityGrade.X)
    is_host = models.BooleanField(default=False, help_text="The organisation that runs the programme.")
    website = models.URLField(blank=True)
    description = models.TextField(blank=True, help_text="What the organisation does and brings to the programme.")
    contribution_areas = models.JSONField(default=list, blank=True)
    listed_publicly = models.BooleanField(default=False, help_text="Agreed to appear in the public partner directory.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["is_host"], condition=Q(is_host=True), name="core_org_one_host"),
            models.CheckConstraint(
                condition=~Q(kind=OrganisationKind.PRIVATE) | ~Q(sector=""),
                name="core_org_private_has_sector",
                violation_error_message="A private organisation needs a sector.",
            ),
            models.CheckConstraint(condition=Q(status__in=OrganisationStatus.values), name="core_org_status_valid"),
        ]
        indexes: ClassVar = [models.Index(fields=["region", "kind"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def contribution_area_labels(self) -> list[str]:
        labels = dict(ContributionArea.choices)
        return [str(labels.get(area, area)) for area in self.contribution_areas]

    def clean(self) -> None:
        if self.kind == OrganisationKind.PRIVATE and not self.sector:
            raise ValidationError({"sector": "A private organisation needs a sector."})
        if self.country:
            self.region = region_for(self.country)


class User(AbstractUser):
    """A person: one user of one organisation, with one role (see :mod:`accord.core.roles`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    role = models.CharField(max_length=32, choices=Role.choices)
    job_title = models.CharField(max_length=120, blank=True)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]

    class Meta:
        ordering = ["username"]
        verbose_name = "person"
        verbose_name_plural = "people"
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="core_user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 of the secret is kept; it is shown once.

    The visible ``key_id`` (``acc_<key_id>_<secret>``) finds the row without scanning, and lets
    people recognise a token in logs without revealing it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    PREFIX = "acc_"

    @property
    def prefix(self) -> str:
        return f"{self.PREFIX}{self.key_id}"

    def state_at(self, moment: Any = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        moment = moment or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= moment:
            return "expired"
        return "active"


class AuditEvent(models.Model):
    """One link of the append-only, hash-chained audit log.

    ``hash`` is the SHA-256 of the canonical JSON of the row's content together with
    ``prev_hash``; ``seq`` is gap-free, so a removed row is seen as well as an edited one.
    Rows are written only by :func:`accord.core.audit.audit_record` and never updated; the
    database refuses UPDATE and DELETE on this table (see the migration's triggers).
    """

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, db_constraint=False, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True)
    justification = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["seq"]
        indexes: ClassVar = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """The single row holding the chain's last ``seq`` and ``hash``.

    Writers lock it (``SELECT … FOR UPDATE``) so links are appended one at a time, and the
    verifier compares it with the last row so a truncated tail is detected.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints: ClassVar = [models.CheckConstraint(condition=Q(id=1), name="core_audit_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class ScheduledRun(models.Model):
    """When a periodic job (``ACCORD_DAILY_JOBS``) last ran; workers lock the row so that one
    of them, on one host, runs each job per period."""

    name = models.CharField(max_length=200, primary_key=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run_at}"
