"""Enrichers: analysis tools, built in or contributed by partners, behind one abstract base.

An enricher takes one observable (its type and canonical value) and returns facts about it as
a JSON object. Each kind is a small class registered in :data:`ENRICHERS`; what a deployment
runs is data (:class:`~accord.enrichment.models.Enricher` rows: which kind, which organisation
provides it under which agreement, the types it takes, its TLP ceiling, its timeout).

The built-in kinds need no network: ``iban`` (bank and country from ``schwifty``'s bundled
bank registry), ``phone`` (country, line type and carrier from ``phonenumbers``' bundled
metadata), ``domain`` (registered domain and public suffix from ``tldextract``'s bundled
list) and ``crypto`` (currency, network and address type, from the address's own encoding).
``http`` calls a partner's service: ``POST`` of ``{"type": ..., "value": ...}`` as JSON,
signed with HMAC-SHA256 over the timestamp and the body, answered with a JSON object.

Enrichers never decide what may be sent: the services check the TLP ceiling and the
agreement before calling :meth:`EnricherBase.enrich`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson
import phonenumbers
import pycountry
import requests
import tldextract
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accord.formats.choices import ObservableType

__all__ = [
    "ENRICHERS",
    "MAX_RESPONSE_BYTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CryptoEnricher",
    "DomainEnricher",
    "EnricherBase",
    "EnrichmentError",
    "HttpEnricher",
    "IbanEnricher",
    "PhoneEnricher",
    "register",
    "sign",
]

# A partner's answer larger than this is refused (a result is a handful of facts, not a dump).
MAX_RESPONSE_BYTES = 256 * 1024
TIMESTAMP_HEADER = "X-Accord-Timestamp"
SIGNATURE_HEADER = "X-Accord-Signature"


class EnrichmentError(Exception):
    """The enricher could not answer; the message says why, for the person who asked."""


class EnricherBase(ABC):
    """One analysis tool.

    Subclasses declare ``kind`` (the registry key), ``label``, ``supported_types`` (the
    observable types the code understands), ``offline`` (needs no network) and the highest
    ``max_tlp_ceiling`` they may ever be configured with. An instance carries its configuration:
    the types it is enabled for (a subset), its TLP ceiling, its timeout and the organisation
    that provides it; for network tools also where to send and the secret to sign with.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    supported_types: ClassVar[frozenset[str]]
    offline: ClassVar[bool] = True

    def __init__(
        self,
        *,
        types: Iterable[str],
        tlp_ceiling: str,
        timeout: float,
        provider: str,
        url: str = "",
        secret: str = "",
    ) -> None:
        self.types = frozenset(types) & self.supported_types
        self.tlp_ceiling = tlp_ceiling
        self.timeout = timeout
        self.provider = provider
        self.url = url
        self.secret = secret

    def supports(self, type_: str) -> bool:
        return type_ in self.types

    @abstractmethod
    def enrich(self, type_: str, value: str) -> dict[str, Any]:
        """Facts about the observable ``value`` of type ``type_`` (canonical form), as a JSON
        object; :class:`EnrichmentError` when there is no answer."""


ENRICHERS: dict[str, type[EnricherBase]] = {}


def register(cls: type[EnricherBase]) -> type[EnricherBase]:
    """Make an enricher kind available to configure (one place, keyed by ``kind``)."""
    ENRICHERS[cls.kind] = cls
    return cls


def _country(code: str | None) -> dict[str, str | None]:
    """ISO 3166-1 alpha-2 code and English name (``pycountry``)."""
    found = pycountry.countries.get(alpha_2=code) if code else None
    return {"country_code": code or None, "country": found.name if found else None}


@register
class IbanEnricher(EnricherBase):
    """IBAN → country and bank (name, BIC, bank code) from ``schwifty``'s bundled bank registry."""

    kind = "iban"
    label = "IBAN bank and country (schwifty registry)"
    supported_types = frozenset({ObservableType.IBAN.value})

    def enrich(self, type_: str, value: str) -> dict[str, Any]:
        try:
            iban = IBAN(value)
        except SchwiftyException as exc:
            raise EnrichmentError(f"'{value}' is not a valid IBAN: {exc}") from exc
        bank = iban.bank
        return {
            **_country(iban.country_code),
            "bank_code": iban.bank_code or None,
            "branch_code": iban.branch_code or None,
            "bank_name": (bank.name or None) if bank else None,
            "bank_short_name": (bank.short_name or None) if bank else None,
            "bic": str(iban.bic) if iban.bic else None,
            "in_registry": bank is not None,
        }


_NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}


@register
class PhoneEnricher(EnricherBase):
    """Phone number → country, line type, original carrier, area and time zones
    (``phonenumbers``' bundled metadata; the carrier is the one the number range was
    allocated to, ported numbers keep it)."""

    kind = "phone"
    label = "Phone country, type and carrier (phonenumbers)"
    supported_types = frozenset({ObservableType.PHONE.value})

    def enrich(self, type_: str, value: str) -> dict[str, Any]:
        # Imported on first use: the area descriptions weigh about 100 MB and half a second,
        # which every process that imports the enrichers (an ingest queues them) would pay.
        from phonenumbers import carrier, geocoder
        from phonenumbers import timezone as phone_timezone

        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise EnrichmentError(f"'{value}' is not an international phone number: {exc}") from exc
        zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
        return {
            **_country(phonenumbers.region_code_for_number(number)),
            "calling_code": f"+{number.country_code}",
            "number_type": _NUMBER_TYPES.get(phonenumbers.number_type(number), "unknown"),
            "carrier": carrier.name_for_number(number, "en") or None,
            "area": geocoder.description_for_number(number, "en") or None,
            "time_zones": zones,
            "valid": phonenumbers.is_valid_number(number),
        }


_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@register
class DomainEnricher(EnricherBase):
    """Domain (or a URL's host, an e-mail address's domain) → registered domain, public suffix
    and whether the suffix is a private one such as a hosting provider's (``tldextract``'s
    bundled Public Suffix List, never fetched)."""

    kind = "domain"
    label = "Registered domain and public suffix (Public Suffix List)"
    supported_types = frozenset({ObservableType.DOMAIN.value, ObservableType.URL.value, ObservableType.EMAIL.value})

    def enrich(self, type_: str, value: str) -> dict[str, Any]:
        host = value
        if type_ == ObservableType.URL:
            host = urlsplit(value).hostname or ""
        elif type_ == ObservableType.EMAIL:
            host = value.rpartition("@")[2]
        parts = _EXTRACT(host)
        if not parts.suffix or not parts.domain:
            raise EnrichmentError(f"'{host}' has no registrable domain under a known public suffix")
        try:
            unicode_host = host.encode("ascii").decode("idna")
        except UnicodeError:
            unicode_host = host
        return {
            "host": host,
            "registered_domain": parts.top_domain_under_public_suffix,
            "public_suffix": parts.suffix,
            "subdomain": parts.subdomain or None,
            "private_suffix": bool(parts.is_private),
            "unicode": unicode_host if unicode_host != host else None,
        }


def _bitcoin(address: str) -> dict[str, Any]:
    """Network and address type from the prefix and length (BIP 13, BIP 173, BIP 350)."""
    lower = address.lower()
    for hrp, network in (("bc1", "mainnet"), ("tb1", "testnet"), ("bcrt1", "regtest")):
        if lower.startswith(hrp):
            data = lower[len(hrp) :]
            if data.startswith("q"):
                kind = "p2wpkh" if len(lower) == len(hrp) + 39 else "p2wsh"
                return {"network": network, "address_type": kind, "encoding": "bech32", "witness_version": 0}
            version = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".find(data[:1])
            kind = "p2tr" if version == 1 else f"witness_v{version}"
            return {"network": network, "address_type": kind, "encoding": "bech32m", "witness_version": version}
    first = address[:1]
    types = {
        "1": ("mainnet", "p2pkh"),
        "3": ("mainnet", "p2sh"),
        "m": ("testnet", "p2pkh"),
        "n": ("testnet", "p2pkh"),
        "2": ("testnet", "p2sh"),
    }
    if first not in types:
        raise EnrichmentError(f"'{address}' is not a Bitcoin address this enricher knows")
    network, kind = types[first]
    return {"network": network, "address_type": kind, "encoding": "base58check"}


def _monero(address: str) -> dict[str, Any]:
    """Network and address type from the first character and length (Monero's base58 layout)."""
    kinds = {
        "4": ("mainnet", "standard"),
        "8": ("mainnet", "subaddress"),
        "9": ("testnet", "standard"),
        "A": ("testnet", "standard"),
        "B": ("testnet", "subaddress"),
        "5": ("stagenet", "standard"),
        "7": ("stagenet", "subaddress"),
    }
    network, kind = kinds.get(address[:1], ("unknown", "unknown"))
    if len(address) == 106:
        kind = "integrated"
    return {"network": network, "address_type": kind, "encoding": "cryptonote_base58"}


def _ethereum(address: str) -> dict[str, Any]:
    # An account's address does not say whether code lives at it: that needs the chain.
    return {
        "network": "evm",
        "address_type": "account",
        "encoding": "hex",
        "checksum": "eip55",
        "note": "Account or contract: not knowable offline. The same address is valid on every EVM chain.",
    }


_CURRENCIES = {
    ObservableType.BTC.value: ("Bitcoin", "BTC", _bitcoin),
    ObservableType.ETH.value: ("Ethereum", "ETH", _ethereum),
    ObservableType.XMR.value: ("Monero", "XMR", _monero),
}


@register
class CryptoEnricher(EnricherBase):
    """Crypto address → currency, network and address type, read from the address itself."""

    kind = "crypto"
    label = "Crypto address currency and type"
    supported_types = frozenset(_CURRENCIES)

    def enrich(self, type_: str, value: str) -> dict[str, Any]:
        if type_ not in _CURRENCIES:
            raise EnrichmentError(f"{type_} is not a crypto address type")
        name, ticker, describe = _CURRENCIES[type_]
        return {"currency": name, "ticker": ticker, **describe(value)}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


@register
class HttpEnricher(EnricherBase):
    """A partner's service: ``POST`` of ``{"type", "value"}`` as JSON, signed; answers a JSON object.

    The request carries ``X-Accord-Timestamp`` (Unix seconds) and ``X-Accord-Signature``
    (:func:`sign` over the timestamp and the exact body bytes) so the partner can check it
    came from Accord and is fresh. Redirects are not followed; the answer must be ``2xx``,
    ``application/json``, a JSON object, and at most :data:`MAX_RESPONSE_BYTES`.
    """

    kind = "http"
    label = "Partner service over HTTP (JSON, signed)"
    supported_types = frozenset(ObservableType.values)
    offline = False

    def enrich(self, type_: str, value: str) -> dict[str, Any]:
        body = orjson.dumps({"type": type_, "value": value})
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "Accord enrichment",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        try:
            with requests.post(
                self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
            ) as response:
                raw = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
                status = response.status_code
                content_type = response.headers.get("Content-Type", "")
        except requests.Timeout as exc:
            raise EnrichmentError(f"no answer from {self.url} within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise EnrichmentError(f"could not reach {self.url}: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise EnrichmentError(f"{self.url} answered HTTP {status}{_excerpt(raw)}")
        if len(raw) > MAX_RESPONSE_BYTES:
            raise EnrichmentError(f"the answer is larger than {MAX_RESPONSE_BYTES // 1024} KB")
        if "json" not in content_type.lower():
            raise EnrichmentError(f"the answer is not JSON (Content-Type: {content_type or 'none'}){_excerpt(raw)}")
        try:
            result = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise EnrichmentError(f"the answer is not valid JSON: {exc}") from exc
        if not isinstance(result, dict):
            raise EnrichmentError(f"the answer is JSON but not an object (got {type(result).__name__})")
        return result


def _excerpt(raw: bytes) -> str:
    text = raw[:120].decode("utf-8", "replace").strip()
    return f": {text}" if text else ""
