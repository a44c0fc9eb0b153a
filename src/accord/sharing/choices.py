"""Vocabularies of the shared-object store."""

from django.db import models

__all__ = ["ObservableType", "SubmissionFormat", "SubmissionStatus"]


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
