"""The observable vocabulary: what an observable is, and which types are not technical intelligence.

Here, below the readers, the writers and the store, so that the formats, the store (``sharing``),
the policy and analysis share one vocabulary and none of them imports another for it.
"""

from django.db import models

from accord.core.choices import DataCategory

__all__ = ["SENSITIVE_OBSERVABLES", "ObservableType"]


class ObservableType(models.TextChoices):
    """What an observable is; each has one canonical form (see :mod:`accord.formats.normalisers`)."""

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
