"""Governance: the groups that steer the programme, their meetings and recommendations, the
good-practices library and the annual conference (joint operations are :mod:`accord.operations`)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Self

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accord.core.choices import Region, Tlp
from accord.core.models import Organisation, User
from accord.core.regions import validate_country
from accord.governance.choices import (
    OPEN_RECOMMENDATION_STATUSES,
    AttendanceStatus,
    GroupKind,
    MeetingStatus,
    MembershipRole,
    PaperStatus,
    PracticeTopic,
    RecommendationArea,
    RecommendationStatus,
    RegistrationStatus,
    SessionKind,
    SpeakerSector,
)

__all__ = [
    "ActionItem",
    "Attendance",
    "ConferenceEdition",
    "ConferenceHosting",
    "ConferenceSession",
    "GoodPractice",
    "Group",
    "Meeting",
    "MeetingDocument",
    "Membership",
    "Paper",
    "Recommendation",
    "RecommendationNote",
    "Registration",
    "SessionSpeaker",
]


class Group(models.Model):
    """The Global Cybercrime Expert Group or one of the five Regional Working Groups for Heads
    of Cybercrime Units. Seeded by ``accord init``; who may join depends on the kind."""

    kind = models.CharField(max_length=16, choices=GroupKind.choices)
    region = models.CharField(max_length=32, choices=Region.choices, blank=True)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["kind", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="global"), name="governance_one_expert_group"),
            models.UniqueConstraint(
                fields=["region"], condition=Q(kind="regional"), name="governance_one_group_per_region"
            ),
            models.CheckConstraint(
                condition=(Q(kind="global") & Q(region="")) | (Q(kind="regional") & ~Q(region="")),
                name="governance_group_region_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    """Seats by the days they are held: the one home of "current membership"."""

    @staticmethod
    def active_on_q(day: date) -> Q:
        """Held on ``day``: the term has begun and has not ended (an open term never ends)."""
        return Q(term_start__lte=day) & (Q(term_end__isnull=True) | Q(term_end__gte=day))

    def active_on(self, day: date) -> Self:
        """The seats held on ``day``."""
        return self.filter(self.active_on_q(day))

    def current(self) -> Self:
        """The seats held today."""
        return self.active_on(timezone.localdate())

    def overlapping(self, start: date, end: date | None) -> Self:
        """The seats held on any day from ``start`` to ``end`` (``None``: open-ended)."""
        held = self.exclude(term_end__lt=start)
        return held if end is None else held.exclude(term_start__gt=end)


class Membership(models.Model):
    """A person's seat in a group, with role and term. ``organisation`` is the person's when
    they joined (kept when they move on, so the record stays true)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    term_start = models.DateField()
    term_end = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["group", "role", "person__last_name"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=F("term_start")),
                name="governance_membership_term_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.group}"


class Meeting(models.Model):
    """A meeting of one group, or a joint meeting of the expert group with regional groups
    (one meeting, several groups). Minutes are Markdown, rendered safely. A cancelled meeting
    keeps its record and reason; ``sequence`` orders the calendar updates sent about it."""

    title = models.CharField(max_length=200)
    groups = models.ManyToManyField(Group, related_name="meetings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, validators=[validate_country])
    themes = models.JSONField(default=list, blank=True)
    agenda = models.JSONField(default=list, blank=True, help_text="Agenda items, in order.")
    minutes = models.TextField(blank=True, help_text="Markdown.")
    guests = models.ManyToManyField(User, blank=True, related_name="meeting_invitations")
    invitations_sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    cancel_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: raised by every change sent to calendars (RFC 5545)."
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["-starts_at"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="governance_meeting_ordered"),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Who attended a meeting, and who sent apologies (members of its groups or invited guests)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices)

    class Meta:
        ordering: ClassVar = ["status", "person__last_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["meeting", "person"], name="governance_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.status} {self.meeting_id}"


class MeetingDocument(models.Model):
    """A paper of a meeting (agenda pack, presentation), stored with its SHA-256."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="governance/meetings/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["uploaded_at"]

    def __str__(self) -> str:
        return self.title


class RecommendationQuerySet(models.QuerySet["Recommendation"]):
    """Recommendations by where they stand: the one home of "open" and "overdue"."""

    @staticmethod
    def overdue_q(today: date) -> Q:
        """Open past its due date."""
        return Q(status__in=OPEN_RECOMMENDATION_STATUSES, due_date__lt=today)

    def open(self) -> Self:
        """Not yet implemented or rejected."""
        return self.filter(status__in=OPEN_RECOMMENDATION_STATUSES)

    def overdue(self, today: date) -> Self:
        """Open past their due date on ``today``."""
        return self.filter(self.overdue_q(today))


class Recommendation(models.Model):
    """A recommendation adopted at a meeting by one of its groups, followed up until it is
    implemented or rejected. ``overdue``: open past its due date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="recommendations")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="recommendations")
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    area = models.CharField(max_length=32, choices=RecommendationArea.choices)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=RecommendationStatus.choices, default=RecommendationStatus.PROPOSED
    )
    overdue_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner was told it is overdue (once per recommendation)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["due_date", "pk"]
        indexes: ClassVar = [models.Index(fields=["group", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        return (
            self.status in OPEN_RECOMMENDATION_STATUSES
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class RecommendationNote(models.Model):
    """A progress note on a recommendation; a status move records one too."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    status = models.CharField(max_length=16, choices=RecommendationStatus.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on {self.recommendation_id}"


class ActionItem(models.Model):
    """A concrete step towards a recommendation, with its own owner and due date."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description


class GoodPractice(models.Model):
    """A document or note shared in a group's library (investigation techniques, digital
    forensics, cooperation with industry): tagged, searchable, TLP-marked, members only."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="practices")
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=32, choices=PracticeTopic.choices)
    body = models.TextField(blank=True, help_text="Markdown.")
    tags = models.JSONField(default=list, blank=True)
    tlp = models.CharField(max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    document = models.FileField(upload_to="governance/practices/", blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ConferenceHosting(models.Model):
    """The host alternation rule (one row): two organisations host in alternate years, the
    first of them in ``first_year``. The expected host of a year follows from it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    first_host = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    second_host = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    first_year = models.PositiveIntegerField(default=2013)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(id=1), name="governance_hosting_singleton"),
            models.CheckConstraint(condition=~Q(first_host=F("second_host")), name="governance_hosts_differ"),
        ]

    def __str__(self) -> str:
        return f"{self.first_host} / {self.second_host} from {self.first_year}"


class ConferenceEdition(models.Model):
    """One year's cybercrime conference: host, venue, dates, theme, capacity and call for papers."""

    year = models.PositiveIntegerField(unique=True)
    host = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="hosted_conferences")
    host_override_reason = models.TextField(blank=True)
    theme = models.CharField(max_length=200)
    venue = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, validators=[validate_country])
    start_date = models.DateField()
    end_date = models.DateField()
    capacity = models.PositiveIntegerField()
    cfp_closes = models.DateField(null=True, blank=True, help_text="Last day of the call for papers.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["-year"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="governance_edition_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.theme}"


class Paper(models.Model):
    """A proposal sent to an edition's call for papers, and its review."""

    edition = models.ForeignKey(ConferenceEdition, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=200)
    abstract = models.TextField()
    speaker_name = models.CharField(max_length=200)
    speaker_organisation = models.CharField(max_length=200, blank=True)
    speaker_sector = models.CharField(max_length=32, choices=SpeakerSector.choices)
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=PaperStatus.choices, default=PaperStatus.SUBMITTED)
    review_note = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["-submitted_at"]

    def __str__(self) -> str:
        return self.title


class ConferenceSession(models.Model):
    """A slot of an edition's programme (keynote, panel, talk, workshop)."""

    edition = models.ForeignKey(ConferenceEdition, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.CharField(max_length=100, blank=True)
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")

    class Meta:
        ordering: ClassVar = ["starts_at", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="governance_session_ordered"),
        ]

    def __str__(self) -> str:
        return self.title


class SessionSpeaker(models.Model):
    """A speaker of a session, with the sector they speak for."""

    session = models.ForeignKey(ConferenceSession, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    sector = models.CharField(max_length=32, choices=SpeakerSector.choices)

    class Meta:
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return self.name


class Registration(models.Model):
    """A place at an edition; ``region`` derives from ``country`` for the statistics."""

    edition = models.ForeignKey(ConferenceEdition, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.CharField(max_length=200, blank=True)
    sector = models.CharField(max_length=32, choices=SpeakerSector.choices)
    country = models.CharField(max_length=2, validators=[validate_country])
    region = models.CharField(max_length=32, choices=Region.choices)
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED)
    attended = models.BooleanField(default=False)
    person = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["registered_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["edition", "email"], condition=Q(status="registered"), name="governance_registration_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.edition_id}"
