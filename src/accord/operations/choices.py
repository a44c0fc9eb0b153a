"""Vocabularies of joint operations: crime types, statuses and the figures of an outcome."""

from django.db import models

from accord.core.workflow import Workflow

__all__ = [
    "OPERATION_TRANSITIONS",
    "OPERATION_WORKFLOW",
    "OUTCOME_COUNTS",
    "OUTCOME_FUNDS",
    "CrimeType",
    "OperationStatus",
]


class CrimeType(models.TextChoices):
    """Crime types of joint operations; the values are those of ``StixObject.crime_type``."""

    BEC = "bec", "Business email compromise"
    CRYPTOJACKING = "cryptojacking", "Cryptojacking"
    PHISHING = "phishing", "Phishing"
    ROMANCE_SCAM = "romance_scam", "Romance scams"
    RANSOMWARE = "ransomware", "Ransomware"
    OTHER = "other", "Other"


class OperationStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


OPERATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OperationStatus.PLANNING: (OperationStatus.ACTIVE,),
    OperationStatus.ACTIVE: (OperationStatus.CLOSED,),
    OperationStatus.CLOSED: (),
}
OPERATION_WORKFLOW = Workflow("an operation", OPERATION_TRANSITIONS)


# The figures an operation's outcome records (counts), and its amounts of money (with a currency).
OUTCOME_COUNTS = (
    "arrests",
    "searches",
    "servers_taken_down",
    "domains_taken_down",
    "accounts_blocked",
    "victims_identified",
    "victims_notified",
    "devices_remediated",
)
OUTCOME_FUNDS = ("funds_frozen", "funds_recovered")
