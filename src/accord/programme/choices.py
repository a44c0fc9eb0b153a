"""Vocabularies of secondment and training, shared by models, services, filters, API and UI."""

from django.db import models

from accord.core.workflow import Workflow

__all__ = [
    "ENROLMENT_TRANSITIONS",
    "ENROLMENT_WORKFLOW",
    "SECONDMENT_TRANSITIONS",
    "SECONDMENT_WORKFLOW",
    "CEFR_LEVELS",
    "ClearanceLevel",
    "CourseLevel",
    "DeliveryMode",
    "EnrolmentStatus",
    "InKindItem",
    "Proficiency",
    "RequestStatus",
    "SecondmentPurpose",
    "SecondmentStatus",
    "SponsorshipKind",
]


class ClearanceLevel(models.TextChoices):
    """Security clearance, lowest to highest; a request names the lowest it accepts."""

    NONE = "none", "None"
    RESTRICTED = "restricted", "Restricted"
    CONFIDENTIAL = "confidential", "Confidential"
    SECRET = "secret", "Secret"  # noqa: S105 - a clearance level, not a password
    TOP_SECRET = "top_secret", "Top secret"  # noqa: S105 - a clearance level, not a password

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for none up to 4 for top secret."""
        return list(cls.values).index(value)


class Proficiency(models.TextChoices):
    """Language proficiency on the CEFR scale (Council of Europe), A1 lowest to C2 highest."""

    A1 = "A1", "A1 beginner"
    A2 = "A2", "A2 elementary"
    B1 = "B1", "B1 intermediate"
    B2 = "B2", "B2 upper intermediate"
    C1 = "C1", "C1 advanced"
    C2 = "C2", "C2 proficient"


CEFR_LEVELS: list[str] = list(Proficiency.values)


class SecondmentPurpose(models.TextChoices):
    RESEARCH = "research", "Research"
    CYBER_INTELLIGENCE = "cyber_intelligence", "Cyber intelligence"
    OPERATIONS_SUPPORT = "operations_support", "Operations support"


class RequestStatus(models.TextChoices):
    """A request is ``open`` while experts may be proposed for it."""

    OPEN = "open", "Open"
    FILLED = "filled", "Filled"
    CLOSED = "closed", "Closed"


class SecondmentStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The placement workflow: where a secondment may go from each state.
SECONDMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SecondmentStatus.PROPOSED: (SecondmentStatus.APPROVED, SecondmentStatus.CANCELLED),
    SecondmentStatus.APPROVED: (SecondmentStatus.ACTIVE, SecondmentStatus.CANCELLED),
    SecondmentStatus.ACTIVE: (SecondmentStatus.COMPLETED, SecondmentStatus.CANCELLED),
    SecondmentStatus.COMPLETED: (),
    SecondmentStatus.CANCELLED: (),
}
SECONDMENT_WORKFLOW = Workflow("a secondment", SECONDMENT_TRANSITIONS)
# Placements that hold the expert's time (an overlap with one of these is refused).
HOLDING_STATUSES = (SecondmentStatus.PROPOSED, SecondmentStatus.APPROVED, SecondmentStatus.ACTIVE)
# Placements that count in the person-months report.
COUNTED_STATUSES = (SecondmentStatus.APPROVED, SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED)


class CourseLevel(models.TextChoices):
    FOUNDATION = "foundation", "Foundation"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class DeliveryMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    HYBRID = "hybrid", "Hybrid"


class SponsorshipKind(models.TextChoices):
    FINANCIAL = "financial", "Financial"
    IN_KIND = "in_kind", "In kind"


class InKindItem(models.TextChoices):
    """What an in-kind sponsorship provides."""

    TRAINERS = "trainers", "Trainers"
    VENUE = "venue", "Venue"
    LICENCES = "licences", "Software licences"
    EQUIPMENT = "equipment", "Equipment"


class EnrolmentStatus(models.TextChoices):
    """``waitlisted`` holds no seat; ``nominated`` and ``confirmed`` hold one each."""

    WAITLISTED = "waitlisted", "Waiting list"
    NOMINATED = "nominated", "Nominated"
    CONFIRMED = "confirmed", "Confirmed"
    ATTENDED = "attended", "Attended"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No show"
    WITHDRAWN = "withdrawn", "Withdrawn"


SEAT_HOLDING = (EnrolmentStatus.NOMINATED, EnrolmentStatus.CONFIRMED)

# Where an enrolment may go: confirm, withdraw (before the session), the waiting list moving up,
# attendance (corrected until completion), completion with the certificate.
ENROLMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    EnrolmentStatus.WAITLISTED: (EnrolmentStatus.NOMINATED, EnrolmentStatus.WITHDRAWN),
    EnrolmentStatus.NOMINATED: (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WITHDRAWN),
    EnrolmentStatus.CONFIRMED: (EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW, EnrolmentStatus.WITHDRAWN),
    EnrolmentStatus.ATTENDED: (EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW, EnrolmentStatus.COMPLETED),
    EnrolmentStatus.NO_SHOW: (EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW),
    EnrolmentStatus.COMPLETED: (),
    EnrolmentStatus.WITHDRAWN: (),
}
ENROLMENT_WORKFLOW = Workflow("an enrolment", ENROLMENT_TRANSITIONS, field="status")
# Enrolments that count as an officer trained (attended, whether or not the assessment was passed).
TRAINED = (EnrolmentStatus.ATTENDED, EnrolmentStatus.COMPLETED)
