"""Vocabularies of partnerships and agreements, including the FIRST IEP 2.0 value sets."""

from django.db import models

from accord.core.workflow import Workflow

__all__ = [
    "AGREEMENT_TRANSITIONS",
    "AGREEMENT_WORKFLOW",
    "APPLICATION_TRANSITIONS",
    "APPLICATION_WORKFLOW",
    "AffectedPartyNotifications",
    "AgreementKind",
    "AgreementStatus",
    "ApplicationStatus",
    "ChecklistItem",
    "EncryptAtRest",
    "EncryptInTransit",
    "ObfuscateAffectedParties",
    "Pap",
    "PermittedActions",
    "ProviderAttribution",
    "UnmodifiedResale",
]


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    SCREENING = "screening", "Screening"
    DUE_DILIGENCE = "due_diligence", "Due diligence"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


OPEN_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.SCREENING, ApplicationStatus.DUE_DILIGENCE)

# The vetting workflow: where an application may go from each state.
APPLICATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ApplicationStatus.SUBMITTED: (ApplicationStatus.SCREENING, ApplicationStatus.DECLINED),
    ApplicationStatus.SCREENING: (ApplicationStatus.DUE_DILIGENCE, ApplicationStatus.DECLINED),
    ApplicationStatus.DUE_DILIGENCE: (ApplicationStatus.APPROVED, ApplicationStatus.DECLINED),
    ApplicationStatus.APPROVED: (),
    ApplicationStatus.DECLINED: (),
}
APPLICATION_WORKFLOW = Workflow("an application", APPLICATION_TRANSITIONS, final="the decision is final")

# What the buttons that make each move say.
APPLICATION_ACTIONS: dict[str, str] = {
    ApplicationStatus.SCREENING: "Start screening",
    ApplicationStatus.DUE_DILIGENCE: "Start due diligence",
    ApplicationStatus.APPROVED: "Approve",
    ApplicationStatus.DECLINED: "Decline",
}


class ChecklistItem(models.TextChoices):
    """The vetting checklist; every item is done before an application is approved."""

    IDENTITY_VERIFIED = "identity_verified", "Identity verified"
    SANCTIONS_SCREENING = "sanctions_screening", "Sanctions screening"
    CONFLICTS_OF_INTEREST = "conflicts_of_interest", "Conflicts of interest"
    LEGAL_REVIEW = "legal_review", "Legal review"
    SECURITY_ASSESSMENT = "security_assessment", "Security assessment"


class AgreementKind(models.TextChoices):
    DATA_SHARING = "data_sharing", "Data-sharing agreement"
    SECONDMENT = "secondment", "Secondment agreement"
    TRAINING_SUPPORT = "training_support", "Training support agreement"
    ANALYSIS_TOOLS = "analysis_tools", "Analysis tools and data provision"


AGREEMENT_PREFIX = {
    AgreementKind.DATA_SHARING: "DSA",
    AgreementKind.SECONDMENT: "SEC",
    AgreementKind.TRAINING_SUPPORT: "TRN",
    AgreementKind.ANALYSIS_TOOLS: "ANT",
}


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


AGREEMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AgreementStatus.DRAFT: (AgreementStatus.ACTIVE, AgreementStatus.TERMINATED),
    AgreementStatus.ACTIVE: (AgreementStatus.SUSPENDED, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED),
    AgreementStatus.SUSPENDED: (AgreementStatus.ACTIVE, AgreementStatus.TERMINATED, AgreementStatus.EXPIRED),
    AgreementStatus.EXPIRED: (),
    AgreementStatus.TERMINATED: (),
}
AGREEMENT_WORKFLOW = Workflow("an agreement", AGREEMENT_TRANSITIONS, field="status")


# --- FIRST Information Exchange Policy 2.0 ------------------------------------------------------
class EncryptInTransit(models.TextChoices):
    MUST = "must", "must"
    MAY = "may", "may"


class PermittedActions(models.TextChoices):
    NONE = "none", "none"
    CONTACT_FOR_INSTRUCTION = "contact-for-instruction", "contact-for-instruction"
    INTERNALLY_VISIBLE_ACTIONS = "internally-visible-actions", "internally-visible-actions"
    EXTERNALLY_VISIBLE_INDIRECT_ACTIONS = "externally-visible-indirect-actions", "externally-visible-indirect-actions"
    EXTERNALLY_VISIBLE_DIRECT_ACTIONS = "externally-visible-direct-actions", "externally-visible-direct-actions"


class AffectedPartyNotifications(models.TextChoices):
    MAY = "may", "may"
    MUST_NOT = "must-not", "must-not"


class ProviderAttribution(models.TextChoices):
    MAY = "may", "may"
    MUST = "must", "must"
    MUST_NOT = "must-not", "must-not"


class UnmodifiedResale(models.TextChoices):
    MAY = "may", "may"
    MUST_NOT = "must-not", "must-not"


# IEP 1.0 terms kept locally.
class EncryptAtRest(models.TextChoices):
    MUST = "must", "must"
    MAY = "may", "may"


class ObfuscateAffectedParties(models.TextChoices):
    MUST = "must", "must"
    MAY = "may", "may"
    MUST_NOT = "must-not", "must-not"


class Pap(models.TextChoices):
    """Permissible Actions Protocol."""

    CLEAR = "clear", "PAP:CLEAR"
    GREEN = "green", "PAP:GREEN"
    AMBER = "amber", "PAP:AMBER"
    RED = "red", "PAP:RED"
