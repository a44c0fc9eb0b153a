"""One canonical form per observable type, so the same indicator reported by different partners
in different spellings is one observable.

Each type has a :class:`Normaliser` registered in :data:`NORMALISERS`; :func:`normalise` is
the entry point. Invalid values raise :class:`InvalidObservable` with the reason. Values that
are valid but questionable (a CIDR block where an address is expected, a domain under a
reserved or unknown suffix, an onion service, an internal host name) are kept, with what is
questionable about them listed in their facts under ``flags`` (:data:`FLAGS`). Everything runs
offline: ``tldextract`` uses its bundled public-suffix list, never the network.
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

from accord.formats.choices import ObservableType

__all__ = ["FLAGS", "NO_FACTS", "NORMALISERS", "Canonical", "InvalidObservable", "Normaliser", "normalise"]


class InvalidObservable(ValueError):
    """A value that is not a valid observable of its type; the message says why."""


NO_FACTS: Mapping[str, Any] = MappingProxyType({})

# What may be questionable about a kept value, as listed in its facts' ``flags``.
FLAGS: Mapping[str, str] = MappingProxyType(
    {
        "cidr": "a network block (CIDR), not one address",
        "host_bits": "the network block was written with host bits set; kept as its network",
        "reserved_suffix": "under a suffix reserved for tests, examples or private networks",
        "unknown_suffix": "under no suffix of the public-suffix list",
        "onion": "a Tor onion service (RFC 7686), reachable only through Tor",
        "internal": "a single-label host name, meaningful only inside one network",
    }
)


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


def _network(value: str, version: int) -> Canonical | None:
    """A CIDR block (STIX 2.1 §6.4.1 and §6.5.1 allow one in ``value``) in its canonical network
    form, flagged; a /32 (/128) is the one address; ``None`` when ``value`` is no block."""
    if "/" not in value:
        return None
    kind = ObservableType.IPV4.value if version == 4 else ObservableType.IPV6.value
    try:
        network = ipaddress.ip_network(value.strip("[]"), strict=False)
    except ValueError:
        return None
    if network.version != version:
        return None
    if network.prefixlen == network.max_prefixlen:
        return Canonical(kind, network.network_address.compressed)
    flags = ["cidr"]
    if network.network_address != ipaddress.ip_interface(value.strip("[]")).ip:
        flags.append("host_bits")
    return Canonical(kind, network.compressed, {"flags": flags})


@register
class Ipv4(Normaliser):
    type = ObservableType.IPV4.value

    def normalise(self, value: str) -> Canonical:
        if _DOTTED_QUAD.fullmatch(value):  # already canonical: the common case, without ipaddress
            return Canonical(self.type, value)
        network = _network(value, 4)
        if network:
            return network
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError as exc:
            raise InvalidObservable(
                f"'{value}' is not an IPv4 address or network (dotted quad, no leading zeros, optional /prefix)"
            ) from exc
        return Canonical(self.type, str(address))


@register
class Ipv6(Normaliser):
    type = ObservableType.IPV6.value

    def normalise(self, value: str) -> Canonical:
        network = _network(value, 6)
        if network:
            return network
        try:
            address = ipaddress.IPv6Address(value.strip("[]"))
        except ValueError as exc:
            raise InvalidObservable(f"'{value}' is not an IPv6 address or network") from exc
        return Canonical(self.type, address.compressed)


_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled list only
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _host(value: str, *, single_label: bool = False) -> str:
    """Lower-case ASCII (IDNA/punycode) form of a host name, validated label by label; one
    label only when ``single_label`` allows it."""
    host = value.strip().rstrip(".").lower()
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii") if not host.isascii() else host
    except idna.IDNAError as exc:
        raise InvalidObservable(f"'{value}' is not a valid internationalised domain name: {exc}") from exc
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < (1 if single_label else 2) or not all(map(_LABEL.match, labels)):
        raise InvalidObservable(f"'{value}' is not a domain name (labels of letters, digits and hyphens)")
    if labels[-1].isdigit():
        raise InvalidObservable(f"'{value}' is an IP address, not a domain name")
    return ascii_host


# Top-level names reserved for tests, documentation and private networks: RFC 2606 (test,
# example, invalid, localhost), RFC 6762 (local), RFC 8375 (home.arpa, in the suffix list),
# ICANN's 2024 reservation of ``internal``, and names commonly used inside networks.
RESERVED_SUFFIXES = frozenset(
    {"test", "example", "invalid", "localhost", "local", "internal", "lan", "corp", "intranet"}
)


@register
class Domain(Normaliser):
    """A domain name. Names that resolve nowhere public are kept, flagged (:data:`FLAGS`): they
    are real intelligence too (an onion service, a victim's internal host, an example)."""

    type = ObservableType.DOMAIN.value

    def normalise(self, value: str) -> Canonical:
        host = _host(value, single_label=True)
        labels = host.split(".")
        if len(labels) == 1:
            return Canonical(self.type, host, {"registered_domain": host, "flags": ["internal"]})
        if labels[-1] in RESERVED_SUFFIXES or host.endswith(".home.arpa"):
            flag = "reserved_suffix"
        elif labels[-1] == "onion":
            flag = "onion"
        else:
            parts = _EXTRACT(host)
            if parts.suffix:
                return Canonical(self.type, host, {"registered_domain": parts.top_domain_under_public_suffix or host})
            flag = "unknown_suffix"
        return Canonical(self.type, host, {"registered_domain": ".".join(labels[-2:]), "flags": [flag]})


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


@register
class Asn(Normaliser):
    """An autonomous system number (STIX 2.1 §6.2 ``number``), as its decimal digits; ``AS64496``
    is the same number."""

    type = ObservableType.ASN.value

    def normalise(self, value: str) -> Canonical:
        digits = value[2:] if value[:2].upper() == "AS" else value
        # ASCII digits only: str.isdigit() also takes '¹' and '٣', which int() reads or refuses
        if not (digits.isascii() and digits.isdigit()) or not 0 <= int(digits) < 2**32:
            raise InvalidObservable(f"'{value}' is not an autonomous system number (0 to 4294967295)")
        return Canonical(self.type, str(int(digits)))


@register
class Mutex(Normaliser):
    """A mutex name (STIX 2.1 §6.10), as written: names are case-sensitive."""

    type = ObservableType.MUTEX.value

    def normalise(self, value: str) -> Canonical:
        if len(value) > 2048:
            raise InvalidObservable("a mutex name of more than 2048 characters")
        return Canonical(self.type, value)


_HIVES = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKCU": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS",
    "HKCC": "HKEY_CURRENT_CONFIG",
}


@register
class RegistryKey(Normaliser):
    """A Windows registry key (STIX 2.1 §6.17 ``key``): the hive spelled out (``HKLM`` is
    ``HKEY_LOCAL_MACHINE``), the path lower-cased, as Windows compares keys without case."""

    type = ObservableType.REGISTRY_KEY.value

    def normalise(self, value: str) -> Canonical:
        hive, _, path = value.strip("\\").partition("\\")
        hive = _HIVES.get(hive.upper(), hive.upper())
        if not hive.startswith("HKEY_") or len(value) > 2048:
            raise InvalidObservable(f"'{value}' is not a registry key (a hive such as HKEY_LOCAL_MACHINE, then a path)")
        return Canonical(self.type, f"{hive}\\{path.lower()}" if path else hive, {"hive": hive})


@register
class UserAccount(Normaliser):
    """A user account's login or id (STIX 2.1 §6.16), as written: personal data."""

    type = ObservableType.USER_ACCOUNT.value

    def normalise(self, value: str) -> Canonical:
        if len(value) > 512:
            raise InvalidObservable("a user account of more than 512 characters")
        return Canonical(self.type, value)
