"""Vocabularies of the shared-object store."""

from django.db import models

__all__ = ["Nature", "SubjectCategory", "SubmissionFormat", "SubmissionStatus"]


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SubmissionFormat(models.TextChoices):
    STIX = "stix", "STIX 2.1 bundle"
    CSV = "csv", "CSV"
    MISP = "misp", "MISP event JSON"
    TEXT = "text", "Free text"


class SubjectCategory(models.TextChoices):
    """Whom personal data is about (EU Directive 2016/680, Art. 6)."""

    SUSPECT = "suspect", "Suspect"
    VICTIM = "victim", "Victim"
    WITNESS = "witness", "Witness"
    OTHER = "other", "Other"


class Nature(models.TextChoices):
    """Whether personal data is a fact or an assessment (Directive 2016/680, Art. 7)."""

    FACT = "fact", "Fact"
    ASSESSMENT = "assessment", "Assessment"
