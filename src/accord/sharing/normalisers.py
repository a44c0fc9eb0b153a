"""One canonical form per observable type, so the same indicator reported by different partners
in different spellings is one observable.

Each type has a :class:`Normaliser` registered in :data:`NORMALISERS`; :func:`normalise` is
the entry point. Invalid values raise :class:`InvalidObservable` with the reason. Everything
runs offline: ``tldextract`` uses its bundled public-suffix list, never the network.
"""

from __future__ import annotations

import ipaddress
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import idna
import phonenumbers
import tldextract
from eth_hash.auto import keccak
from iocsearcher.searcher import Searcher
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accord.sharing.choices import ObservableType

__all__ = ["NO_FACTS", "NORMALISERS", "Canonical", "InvalidObservable", "Normaliser", "normalise"]


class InvalidObservable(ValueError):
    """A value that is not a valid observable of its type; the message says why."""


NO_FACTS: Mapping[str, Any] = MappingProxyType({})


class Canonical(NamedTuple):
    """A normalised observable: its type, canonical value, and facts derived from it."""

    type: str
    value: str
    extra: Mapping[str, Any] = NO_FACTS


class Normaliser(ABC):
    """Turns one type's spellings into its canonical form."""

    type: ClassVar[str]

    @abstractmethod
    def normalise(self, value: str) -> Canonical:
        """The canonical form of ``value`` (already stripped), or :class:`InvalidObservable`."""


NORMALISERS: dict[str, Normaliser] = {}


def register(cls: type[Normaliser]) -> type[Normaliser]:
    NORMALISERS[cls.type] = cls()
    return cls


def normalise(type_: str, value: str) -> Canonical:
    """Canonicalise ``value`` as an observable of ``type_``."""
    normaliser = NORMALISERS.get(type_)
    if normaliser is None:
        raise InvalidObservable(f"unknown observable type '{type_}'; one of: {', '.join(NORMALISERS)}")
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidObservable(f"empty {type_} value")
    return normaliser.normalise(text)


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


@register
class Ipv4(Normaliser):
    type = ObservableType.IPV4.value

    def normalise(self, value: str) -> Canonical:
        if _DOTTED_QUAD.fullmatch(value):  # already canonical: the common case, without ipaddress
            return Canonical(self.type, value)
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError as exc:
            raise InvalidObservable(f"'{value}' is not an IPv4 address (dotted quad, no leading zeros)") from exc
        return Canonical(self.type, str(address))


@register
class Ipv6(Normaliser):
    type = ObservableType.IPV6.value

    def normalise(self, value: str) -> Canonical:
        try:
            address = ipaddress.IPv6Address(value.strip("[]"))
        except ValueError as exc:
            raise InvalidObservable(f"'{value}' is not an IPv6 address") from exc
        return Canonical(self.type, address.compressed)


_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled list only
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _host(value: str) -> str:
    """Lower-case ASCII (IDNA/punycode) form of a host name, validated label by label."""
    host = value.strip().rstrip(".").lower()
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii") if not host.isascii() else host
    except idna.IDNAError as exc:
        raise InvalidObservable(f"'{value}' is not a valid internationalised domain name: {exc}") from exc
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < 2 or not all(map(_LABEL.match, labels)):
        raise InvalidObservable(f"'{value}' is not a domain name (labels of letters, digits and hyphens)")
    if labels[-1].isdigit():
        raise InvalidObservable(f"'{value}' is an IP address, not a domain name")
    return ascii_host


@register
class Domain(Normaliser):
    type = ObservableType.DOMAIN.value

    def normalise(self, value: str) -> Canonical:
        host = _host(value)
        parts = _EXTRACT(host)
        if not parts.suffix:
            raise InvalidObservable(f"'{value}' has no known public suffix (top-level domain)")
        return Canonical(self.type, host, {"registered_domain": parts.top_domain_under_public_suffix or host})


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
_LOOKS_NUMERIC = re.compile(r"^[0-9.]+$")


@register
class Url(Normaliser):
    type = ObservableType.URL.value

    def normalise(self, value: str) -> Canonical:
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:
            raise InvalidObservable(f"'{value}' is not a URL: {exc}") from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https", "ftp") or not parts.hostname:
            raise InvalidObservable(f"'{value}' is not an http, https or ftp URL with a host")
        hostname = parts.hostname
        if ":" in hostname or _LOOKS_NUMERIC.match(hostname):  # an address, not a name
            try:
                address = ipaddress.ip_address(hostname)
            except ValueError as exc:
                raise InvalidObservable(f"'{value}' has an invalid host address") from exc
            host = f"[{address}]" if address.version == 6 else str(address)
        else:
            host = _host(hostname)
        netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        if parts.username:
            netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
        canonical = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        return Canonical(self.type, canonical, {"host": host.strip("[]")})


_SPACE = re.compile(r"\s")


@register
class Email(Normaliser):
    type = ObservableType.EMAIL.value

    def normalise(self, value: str) -> Canonical:
        local, at, domain = value.rpartition("@")
        if not at or not local or len(local) > 64 or _SPACE.search(local):
            raise InvalidObservable(f"'{value}' is not an e-mail address")
        host = _host(domain)
        return Canonical(self.type, f"{local}@{host}", {"domain": host})


_HEX = re.compile(r"[0-9a-f]+")


class _Hash(Normaliser):
    length: ClassVar[int]

    def normalise(self, value: str) -> Canonical:
        digest = value.lower()
        if len(digest) != self.length or not _HEX.fullmatch(digest):
            raise InvalidObservable(f"'{value}' is not a {self.type.upper()} hash ({self.length} hexadecimal digits)")
        return Canonical(self.type, digest)


@register
class Md5(_Hash):
    type = ObservableType.MD5.value
    length = 32


@register
class Sha1(_Hash):
    type = ObservableType.SHA1.value
    length = 40


@register
class Sha256(_Hash):
    type = ObservableType.SHA256.value
    length = 64


@register
class Iban(Normaliser):
    type = ObservableType.IBAN.value

    def normalise(self, value: str) -> Canonical:
        try:
            iban = IBAN(value)
        except SchwiftyException as exc:
            raise InvalidObservable(f"'{value}' is not a valid IBAN: {exc}") from exc
        return Canonical(self.type, iban.compact, {"country": iban.country_code, "bank_code": iban.bank_code})


@register
class Btc(Normaliser):
    type = ObservableType.BTC.value

    def normalise(self, value: str) -> Canonical:
        # Bech32 addresses are case-insensitive and canonically lower case; base58 is case-sensitive.
        address = value.lower() if value.lower().startswith(("bc1", "tb1")) else value
        if not Searcher.is_valid_bitcoin(address):
            raise InvalidObservable(f"'{value}' is not a Bitcoin address (base58check or bech32 checksum fails)")
        return Canonical(self.type, address)


@register
class Xmr(Normaliser):
    type = ObservableType.XMR.value

    def normalise(self, value: str) -> Canonical:
        if not Searcher.is_valid_monero(value):
            raise InvalidObservable(f"'{value}' is not a Monero address (base58 with a valid checksum)")
        return Canonical(self.type, value)


_ETH = re.compile(r"0[xX][0-9a-fA-F]{40}")


def _eip55(hex40: str) -> str:
    digest = keccak(hex40.encode("ascii")).hex()
    return "0x" + "".join(ch.upper() if int(digest[i], 16) >= 8 else ch for i, ch in enumerate(hex40))


@register
class Eth(Normaliser):
    type = ObservableType.ETH.value

    def normalise(self, value: str) -> Canonical:
        if not _ETH.fullmatch(value):
            raise InvalidObservable(f"'{value}' is not an Ethereum address (0x and 40 hexadecimal digits)")
        body = value[2:]
        canonical = _eip55(body.lower())
        mixed = body != body.lower() and body != body.upper()
        if mixed and "0x" + body != canonical:
            raise InvalidObservable(f"'{value}' fails its EIP-55 checksum")
        return Canonical(self.type, canonical)


@register
class Phone(Normaliser):
    type = ObservableType.PHONE.value

    def normalise(self, value: str) -> Canonical:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise InvalidObservable(
                f"'{value}' is not an international phone number (+ and country code): {exc}"
            ) from exc
        if not phonenumbers.is_valid_number(number):
            raise InvalidObservable(f"'{value}' is not a valid phone number")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Canonical(self.type, e164, {"country": phonenumbers.region_code_for_number(number)})
