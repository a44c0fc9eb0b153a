"""Vocabularies of the shared-object store."""

from django.db import models

from accord.core.choices import DataCategory

__all__ = [
    "SENSITIVE_OBSERVABLES",
    "Nature",
    "ObservableType",
    "SubjectCategory",
    "SubmissionFormat",
    "SubmissionStatus",
]


class ObservableType(models.TextChoices):
    """What an observable is; each has one canonical form (see :mod:`accord.sharing.normalisers`)."""

    IPV4 = "ipv4", "IPv4 address"
    IPV6 = "ipv6", "IPv6 address"
    DOMAIN = "domain", "Domain name"
    URL = "url", "URL"
    EMAIL = "email", "E-mail address"
    MD5 = "md5", "MD5 hash"
    SHA1 = "sha1", "SHA-1 hash"
    SHA256 = "sha256", "SHA-256 hash"
    IBAN = "iban", "IBAN"
    BTC = "btc", "Bitcoin address"
    ETH = "eth", "Ethereum address"
    XMR = "xmr", "Monero address"
    PHONE = "phone", "Phone number"
    ASN = "asn", "Autonomous system number"
    MUTEX = "mutex", "Mutex name"
    REGISTRY_KEY = "registry_key", "Windows registry key"
    USER_ACCOUNT = "user_account", "User account"


# The observable types whose values are not technical intelligence, with the data category the
# value itself is. One map: ingest classifies the objects that mention them by it, the policy
# withholds them by it, and the free-text reader masks them by it.
SENSITIVE_OBSERVABLES: dict[str, str] = {
    ObservableType.PHONE.value: DataCategory.PERSONAL_DATA.value,
    ObservableType.EMAIL.value: DataCategory.PERSONAL_DATA.value,
    ObservableType.USER_ACCOUNT.value: DataCategory.PERSONAL_DATA.value,
    ObservableType.IBAN.value: DataCategory.FINANCIAL_IDENTIFIER.value,
    ObservableType.BTC.value: DataCategory.FINANCIAL_IDENTIFIER.value,
    ObservableType.ETH.value: DataCategory.FINANCIAL_IDENTIFIER.value,
    ObservableType.XMR.value: DataCategory.FINANCIAL_IDENTIFIER.value,
}


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
