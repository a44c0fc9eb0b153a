"""Vocabularies of governance: groups, memberships, recommendations, the conference."""

from django.db import models

from accord.core.workflow import Workflow

__all__ = [
    "OPEN_RECOMMENDATION_STATUSES",
    "PAPER_TRANSITIONS",
    "PAPER_WORKFLOW",
    "RECOMMENDATION_TRANSITIONS",
    "RECOMMENDATION_WORKFLOW",
    "AttendanceStatus",
    "GroupKind",
    "MeetingStatus",
    "MembershipRole",
    "PaperStatus",
    "PracticeTopic",
    "RecommendationArea",
    "RecommendationStatus",
    "RegistrationStatus",
    "SessionKind",
    "SpeakerSector",
]


class GroupKind(models.TextChoices):
    """The Global Cybercrime Expert Group, or one Regional Working Group for Heads of Cybercrime Units."""

    GLOBAL = "global", "Global expert group"
    REGIONAL = "regional", "Regional working group"


class MeetingStatus(models.TextChoices):
    """A meeting is scheduled until it is cancelled (with a reason); a cancelled one stays on record."""

    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class MembershipRole(models.TextChoices):
    CHAIR = "chair", "Chair"
    VICE_CHAIR = "vice_chair", "Vice-chair"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer"


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", "Attended"
    APOLOGIES = "apologies", "Sent apologies"


class RecommendationArea(models.TextChoices):
    CAPABILITY_DEVELOPMENT = "capability_development", "Capability development"
    OPERATIONAL = "operational", "Operational"
    PREVENTION = "prevention", "Prevention"
    REGIONAL_FRAMEWORK = "regional_framework", "Regional framework"
    STRATEGY = "strategy", "Strategy"


class RecommendationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ADOPTED = "adopted", "Adopted"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    REJECTED = "rejected", "Rejected"


# proposed → adopted → in_progress → implemented | rejected; rejection is possible at every open step.
RECOMMENDATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RecommendationStatus.PROPOSED: (RecommendationStatus.ADOPTED, RecommendationStatus.REJECTED),
    RecommendationStatus.ADOPTED: (RecommendationStatus.IN_PROGRESS, RecommendationStatus.REJECTED),
    RecommendationStatus.IN_PROGRESS: (RecommendationStatus.IMPLEMENTED, RecommendationStatus.REJECTED),
    RecommendationStatus.IMPLEMENTED: (),
    RecommendationStatus.REJECTED: (),
}
RECOMMENDATION_WORKFLOW = Workflow("a recommendation", RECOMMENDATION_TRANSITIONS)

OPEN_RECOMMENDATION_STATUSES = (
    RecommendationStatus.PROPOSED,
    RecommendationStatus.ADOPTED,
    RecommendationStatus.IN_PROGRESS,
)


class PracticeTopic(models.TextChoices):
    INVESTIGATION_TECHNIQUES = "investigation_techniques", "Investigation techniques"
    DIGITAL_FORENSICS = "digital_forensics", "Digital forensics"
    INDUSTRY_COOPERATION = "industry_cooperation", "Cooperation with industry"
    OTHER = "other", "Other"


class PaperStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


PAPER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PaperStatus.SUBMITTED: (PaperStatus.UNDER_REVIEW, PaperStatus.REJECTED),
    PaperStatus.UNDER_REVIEW: (PaperStatus.ACCEPTED, PaperStatus.REJECTED),
    PaperStatus.ACCEPTED: (),
    PaperStatus.REJECTED: (),
}
PAPER_WORKFLOW = Workflow("a paper", PAPER_TRANSITIONS)


class SpeakerSector(models.TextChoices):
    """Where a speaker or registrant comes from: the conference's statistics group by it."""

    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    PRIVATE = "private", "Private sector"
    ACADEMIA = "academia", "Academia"
    INTERNATIONAL_ORG = "international_org", "International organisation"
    OTHER = "other", "Other"


class SessionKind(models.TextChoices):
    KEYNOTE = "keynote", "Keynote"
    PANEL = "panel", "Panel"
    TALK = "talk", "Talk"
    WORKSHOP = "workshop", "Workshop"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    CANCELLED = "cancelled", "Cancelled"
