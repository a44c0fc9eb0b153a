"""Vocabularies of the shared-object store."""

from django.db import models

__all__ = ["Nature", "SentForm", "SubjectCategory", "SubmissionFormat", "SubmissionStatus"]


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


class SentForm(models.IntegerChoices):
    """How a stored body becomes what a reader receives when nothing of it is withheld
    (:func:`accord.sharing.sent.sent_form`, recorded when the version is stored): read and
    rewritten (:func:`accord.formats.stix.as_sent`), sent as stored, or sent as stored with
    properties put before its closing brace (:func:`accord.sharing.sent.sent_tail`): its TLP 2.0
    marking and the declarations of the extensions its type uses, with Accord's property
    extension or without; or the declarations alone, for a body that carries its marking."""

    REWRITTEN = 0, "Read and rewritten"
    AS_STORED = 1, "As stored"
    MARKED = 2, "As stored, marked"
    MARKED_WITH_PROPERTIES = 3, "As stored, marked, Accord's properties declared"
    DECLARED = 4, "As stored, Accord's properties declared"
