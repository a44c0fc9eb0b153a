"""Vocabularies of payment interception: where a request went, its statuses and its outcomes."""

from django.db import models

from accord.core.workflow import Workflow

__all__ = [
    "AMOUNT_OUTCOMES",
    "REQUEST_WORKFLOW",
    "AccountKind",
    "InstitutionKind",
    "OutcomeKind",
    "RequestStatus",
    "RoutedAs",
]


class InstitutionKind(models.TextChoices):
    BANK = "bank", "Bank"
    EXCHANGE = "exchange", "Crypto exchange"


class AccountKind(models.TextChoices):
    """What the beneficiary of the fraudulent transfer is."""

    IBAN = "iban", "IBAN"
    ACCOUNT = "account", "Account number and bank (BIC)"
    WALLET = "wallet", "Wallet at an exchange"


class RoutedAs(models.TextChoices):
    """Who the request went to, and why."""

    PARTNER = "partner", "The partner holding the account"
    COUNTRY_UNIT = "country_unit", "The law-enforcement unit of the account's country"
    HOST = "host", "The programme (nobody else can act)"


class RequestStatus(models.TextChoices):
    SENT = "sent", "Sent, awaiting acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged, awaiting an outcome"
    ANSWERED = "answered", "Outcome reported"
    WITHDRAWN = "withdrawn", "Withdrawn"


REQUEST_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RequestStatus.SENT: (RequestStatus.ACKNOWLEDGED, RequestStatus.WITHDRAWN),
    RequestStatus.ACKNOWLEDGED: (RequestStatus.ANSWERED, RequestStatus.WITHDRAWN),
    RequestStatus.ANSWERED: (RequestStatus.WITHDRAWN,),
    RequestStatus.WITHDRAWN: (),
}
REQUEST_WORKFLOW = Workflow("a request", REQUEST_TRANSITIONS, field="status", final="it was withdrawn")


class OutcomeKind(models.TextChoices):
    FROZEN = "frozen", "Amount frozen"
    RECALLED = "recalled", "Amount recalled"
    GONE = "gone", "Funds already gone (onward transfer)"
    CLOSED = "closed", "Account closed"
    NOTHING_FOUND = "nothing_found", "Nothing found"


# The outcomes that carry an amount, and so add up against the request's.
AMOUNT_OUTCOMES = (OutcomeKind.FROZEN, OutcomeKind.RECALLED, OutcomeKind.GONE)
