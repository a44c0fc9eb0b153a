"""Experts and their secondments, and training: courses, sessions, sponsorships, enrolments,
certificates."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accord.core.choices import Region
from accord.core.models import Organisation, User
from accord.core.regions import country_name
from accord.partners.models import Agreement
from accord.programme.choices import (
    ClearanceLevel,
    CourseLevel,
    DeliveryMode,
    EnrolmentStatus,
    RequestStatus,
    SecondmentPurpose,
    SecondmentStatus,
    SponsorshipKind,
)

__all__ = [
    "Certificate",
    "Course",
    "Enrolment",
    "Expert",
    "Officer",
    "Secondment",
    "SecondmentRequest",
    "Skill",
    "Sponsorship",
    "TrainingSession",
]


class Skill(models.Model):
    """One term of the managed skills vocabulary; experts and requests name skills by ``code``,
    so an unknown skill is refused instead of creating near-duplicates ("OSINT", "osint ")."""

    code = models.SlugField(max_length=40, primary_key=True)
    label = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Expert(models.Model):
    """An expert a partner (or a national police) may second: skills with levels 1–5, languages
    with CEFR proficiency, security clearance and its expiry, availability windows.

    ``skills`` maps skill code → level; ``languages`` is ``[{"language": ISO 639-1, "proficiency":
    CEFR}]``; ``availability`` is ``[{"start": date, "end": date}]`` (ISO dates, inclusive).
    ``person`` links the profile to the expert's account when they have one.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="experts")
    person = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    full_name = models.CharField(max_length=200)
    email = models.EmailField()
    job_title = models.CharField(max_length=120, blank=True)
    skills = models.JSONField(default=dict)
    languages = models.JSONField(default=list)
    clearance_level = models.CharField(max_length=16, choices=ClearanceLevel.choices, default=ClearanceLevel.NONE)
    clearance_expires = models.DateField(null=True, blank=True)
    availability = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    clearance_warned_for = models.DateField(
        null=True, blank=True, editable=False, help_text="The clearance expiry date already warned about."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]
        indexes: ClassVar = [models.Index(fields=["organisation", "is_active"])]

    def __str__(self) -> str:
        return self.full_name

    def clearance_valid_through(self, day: Any) -> bool:
        """Whether the clearance held is still valid on ``day`` (no expiry: valid)."""
        return self.clearance_expires is None or self.clearance_expires >= day


class SecondmentRequest(models.Model):
    """The programme asks for an expert: for which unit and project or operation, why, where,
    when, with which skills (minimum levels), languages and clearance."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    unit = models.CharField(max_length=120)
    project = models.CharField(max_length=200, help_text="The project or operation the expert will work on.")
    purpose = models.CharField(max_length=24, choices=SecondmentPurpose.choices)
    location_city = models.CharField(max_length=120)
    location_country = models.CharField(max_length=2)
    start = models.DateField()
    end = models.DateField()
    required_skills = models.JSONField(default=dict)
    languages = models.JSONField(default=list, blank=True)
    clearance = models.CharField(max_length=16, choices=ClearanceLevel.choices, default=ClearanceLevel.NONE)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "reference"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="programme_request_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def location_country_name(self) -> str:
        return country_name(self.location_country)


class Secondment(models.Model):
    """A placement of one expert for one request, from the expert's organisation, under that
    organisation's ``secondment`` agreement: ``proposed → approved → active → completed``, or
    ``cancelled``."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="secondments")
    request = models.ForeignKey(SecondmentRequest, on_delete=models.PROTECT, related_name="secondments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="secondments")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="secondments")
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=12, choices=SecondmentStatus.choices, default=SecondmentStatus.PROPOSED)
    status_reason = models.TextField(blank=True)
    proposed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    end_warned_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "reference"]
        indexes: ClassVar = [models.Index(fields=["expert", "status"]), models.Index(fields=["status", "start"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="programme_secondment_period_ordered"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Course(models.Model):
    """A course of the capacity-building catalogue; it runs as one or more sessions."""

    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=120)
    level = models.CharField(max_length=16, choices=CourseLevel.choices)
    delivery_mode = models.CharField(max_length=12, choices=DeliveryMode.choices)
    duration_days = models.PositiveSmallIntegerField()
    learning_outcomes = models.TextField(help_text="One outcome a line.")
    pass_score = models.PositiveSmallIntegerField(default=70, help_text="Assessment score (0–100) for a certificate.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(duration_days__gte=1), name="programme_course_duration_positive"),
            models.CheckConstraint(condition=Q(pass_score__lte=100), name="programme_course_pass_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def outcomes(self) -> list[str]:
        return [line.strip() for line in self.learning_outcomes.splitlines() if line.strip()]


class TrainingSession(models.Model):
    """One run of a course: where (region, city and country, or online), when, for how many,
    in which language, with which trainers (seconded experts or partner staff)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    region = models.CharField(max_length=32, choices=Region.choices)
    online = models.BooleanField(default=False)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=2, blank=True)
    start = models.DateField()
    end = models.DateField()
    capacity = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=2, help_text="ISO 639-1 code of the teaching language.")
    trainer_experts = models.ManyToManyField(Expert, blank=True, related_name="sessions_trained")
    trainer_staff = models.ManyToManyField(User, blank=True, related_name="sessions_trained")
    cancelled = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start", "course__code"]
        indexes: ClassVar = [models.Index(fields=["region", "start"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="programme_session_period_ordered"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="programme_session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(online=True) | (~Q(city="") & ~Q(country="")),
                name="programme_session_place_or_online",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.code} {self.place} {self.start:%Y-%m-%d}"

    @property
    def place(self) -> str:
        if self.online:
            return "Online"
        return f"{self.city}, {country_name(self.country)}"


class Sponsorship(models.Model):
    """A partner's support of a session or of a whole course, financial (amount and ISO 4217
    currency) or in kind (what, with an estimated value), under its ``training_support``
    agreement."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sponsorships")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="sponsorships")
    session = models.ForeignKey(
        TrainingSession, null=True, blank=True, on_delete=models.PROTECT, related_name="sponsorships"
    )
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.PROTECT, related_name="sponsorships")
    kind = models.CharField(max_length=12, choices=SponsorshipKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    in_kind_items = models.JSONField(default=list, blank=True)
    estimated_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code of the amount or the estimated value.")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(session__isnull=False) & Q(course__isnull=True))
                | (Q(session__isnull=True) & Q(course__isnull=False)),
                name="programme_sponsorship_session_or_course",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="programme_sponsorship_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__isnull=True) | Q(estimated_value__gte=0),
                name="programme_sponsorship_value_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.kind} {self.value} {self.currency}"

    @property
    def value(self) -> Any:
        """The amount of a financial sponsorship, the estimated value of an in-kind one."""
        return self.amount if self.kind == SponsorshipKind.FINANCIAL else self.estimated_value


class Officer(models.Model):
    """A member country's law-enforcement officer who may be nominated for training.

    Owned by the nominating law-enforcement organisation; most trainees never use the platform,
    so this is a light record, not an account (``docs/decisions.md``). ``country`` and
    ``region`` are the organisation's, stored for the training reports.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="officers")
    full_name = models.CharField(max_length=200)
    email = models.EmailField()
    rank = models.CharField(max_length=80, blank=True)
    unit = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=2, editable=False)
    region = models.CharField(max_length=32, choices=Region.choices, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["full_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "email"], name="programme_officer_unique_email"),
        ]

    def __str__(self) -> str:
        return self.full_name


class Enrolment(models.Model):
    """An officer's place in a session: ``nominated → confirmed → attended → completed`` or
    ``no_show``; ``waitlisted`` while the session is full, ``withdrawn`` when the seat is given
    back. ``assessment_score`` is 0–100."""

    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="enrolments")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.NOMINATED)
    assessment_score = models.PositiveSmallIntegerField(null=True, blank=True)
    nominated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reminded_on = models.DateField(null=True, blank=True, help_text="When the session's reminder was given.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "created_at", "pk"]
        indexes: ClassVar = [models.Index(fields=["session", "status"])]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "officer"], name="programme_enrolment_once_per_session"),
            models.CheckConstraint(
                condition=Q(assessment_score__isnull=True) | Q(assessment_score__lte=100),
                name="programme_enrolment_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer} in {self.session_id}"


class Certificate(models.Model):
    """Proof that an officer completed a course; anyone holding ``code`` can check it at
    ``/certificates/verify/<code>/``, which shows validity, course and date and nothing else."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(max_length=32, unique=True, editable=False)
    issued_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-issued_on", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
