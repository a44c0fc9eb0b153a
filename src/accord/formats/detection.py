"""Detection exports: Suricata and Snort rules, a DNS RPZ zone, plain blocklists.

Each writes distinct observables (never the same value twice), leaves out known-benign values
(the source consults :func:`accord.exports.benign.known_benign`) and says in its header how many
(and which, when asked: ``show_suppressed``), and carries the TLP of the
most restrictive object that mentions a value. Rule ids are stable: ``sid`` is derived from the
observable's id, so a value keeps its sid from one export to the next (suppressions and
thresholds keep working).
"""

from __future__ import annotations

import ipaddress
import re
from abc import abstractmethod
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings

from accord.core.choices import Tlp
from accord.core.public_ids import encode, permute_below
from accord.formats.writers import (
    ExportMeta,
    ExportObservable,
    ExportSource,
    Suppressed,
    Writer,
    register_writer,
)

__all__ = ["BlocklistWriter", "RpzWriter", "SnortWriter", "SuricataWriter", "rpz_ip_owner", "rule_content"]

SID_SLOTS = 4  # rules one observable may produce (a domain: DNS and TLS)
_MAX_SID = 2**32 - 1
_SAFE = re.compile(r"[A-Za-z0-9.\-_/~:?=&%@!$'()*+,#\[\]]")


def rule_content(value: str) -> str:
    """A rule ``content`` string: printable ASCII as is, anything that could end or confuse the
    option (``"``, ``;``, ``\\``, ``|``, spaces, non-ASCII) as ``|hex|`` bytes."""
    out: list[str] = []
    hex_run: list[str] = []
    for char in value:
        if _SAFE.fullmatch(char):
            if hex_run:
                out.append("|" + " ".join(hex_run) + "|")
                hex_run = []
            out.append(char)
        else:
            hex_run.extend(f"{byte:02X}" for byte in char.encode("utf-8"))
    if hex_run:
        out.append("|" + " ".join(hex_run) + "|")
    return "".join(out)


def _msg(text: str) -> str:
    """A ``msg`` string: the characters a rule parser treats specially are escaped."""
    return re.sub(r'([\\";])', r"\\\1", text)


def _sid(observable: ExportObservable, slot: int) -> int:
    """The rule's ``sid``: stable for an observable and slot, unique, and within 32 bits; the
    observable's place in a keyed permutation of the sids left above the base, so that no sid
    tells an observable's row number (nor how many observables are stored)."""
    base = int(settings.ACCORD_EXPORT_SID_BASE)
    places = (_MAX_SID - base) // SID_SLOTS
    if observable.id >= places:
        raise ValueError(f"observable {encode(observable.id)} has no sid below 2**32; lower ACCORD_EXPORT_SID_BASE")
    return base + permute_below(observable.id, places, "accord rule sids") * SID_SLOTS + slot


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def _header(meta: ExportMeta, suppressed: list[Suppressed], comment: str = "#") -> Iterator[bytes]:
    """The comment lines a detection file starts with: who, when, the TLP rule, the filters, and
    how many values were left out as known-benign (each with its reason when the export was
    asked to show them)."""
    lines = [
        f"Accord export for {meta.recipient}, purpose {meta.purpose}, {meta.stamp}",
        f"Source: {meta.host}. Each entry carries the TLP of the most restrictive object naming it;",
        "handle the file under the most restrictive TLP it contains.",
    ]
    if meta.filters:
        lines.append("Filters: " + ", ".join(f"{k}={v}" for k, v in sorted(meta.filters.items())))
    count = f"{len(suppressed)} value" + ("" if len(suppressed) == 1 else "s")
    if not suppressed:
        lines.append("Left out as known-benign (warning lists): 0 values.")
    elif meta.show_suppressed:
        lines.append(f"Left out as known-benign (warning lists): {count}:")
        lines.extend(f"  {item.type} {item.value} -- {item.reason}" for item in suppressed)
    else:
        lines.append(
            f"Left out as known-benign (warning lists): {count} "
            "(show_suppressed=true, or accord export --show-suppressed, lists them)."
        )
    for line in lines:
        yield f"{comment} {_UNPRINTABLE.sub('?', line)}\n".encode()


def _dns_labels(domain: str) -> str:
    """A domain in DNS wire format as rule content: ``|07|example|03|com|00|``."""
    parts = []
    for label in domain.split("."):
        parts.append(f"|{len(label):02X}|{rule_content(label)}")
    return "".join(parts) + "|00|"


class RuleWriter(Writer):
    """Rules per observable: IPs, domains (DNS query and TLS SNI) and URLs (HTTP)."""

    media_type = "text/plain; charset=utf-8"
    extension = "rules"
    observable_types = frozenset({"ipv4", "ipv6", "domain", "url"})
    detection = True
    product: ClassVar[str]

    def write(self, source: ExportSource) -> Iterator[bytes]:
        yield from _header(source.meta, source.suppressed(self.observable_types))
        for observable in source.observables(self.observable_types, detection=True):
            for rule in self.rules(observable):
                yield rule.encode() + b"\n"

    def rules(self, observable: ExportObservable) -> Iterator[str]:
        if observable.type in ("ipv4", "ipv6"):
            yield self.ip_rule(observable)
        elif observable.type == "domain":
            yield from self.domain_rules(observable)
        elif observable.type == "url":
            parts = urlsplit(observable.value)
            if parts.scheme in ("http", "https") and parts.hostname:
                yield self.url_rule(observable, parts.hostname, parts.path or "/", parts.query)

    def options(self, observable: ExportObservable, what: str, slot: int, *body: str) -> str:
        label = dict(Tlp.choices)[observable.tlp]
        message = _msg(f"ACCORD {what} {observable.value} ({label})")
        metadata = f"tlp {observable.tlp}, accord_observable {encode(observable.id)}"
        if observable.crime_types:
            metadata += ", crime_type " + " ".join(c.replace(",", " ") for c in observable.crime_types)
        return " ".join(
            [
                f'(msg:"{message}";',
                *body,
                "classtype:bad-unknown;",
                f"sid:{_sid(observable, slot)};",
                "rev:1;",
                f"metadata:{_msg(metadata)};)",
            ]
        )

    def ip_rule(self, observable: ExportObservable) -> str:
        return f"alert ip any any <> {observable.value} any " + self.options(observable, observable.type, 0)

    @abstractmethod
    def domain_rules(self, observable: ExportObservable) -> Iterator[str]:
        """The rules that catch a domain and its subdomains (DNS, TLS SNI)."""

    @abstractmethod
    def url_rule(self, observable: ExportObservable, host: str, path: str, query: str) -> str:
        """The rule that catches a URL in HTTP traffic."""


@register_writer
class SuricataWriter(RuleWriter):
    """Suricata 6/7 rules: ``dns.query`` and ``tls.sni`` match the domain and its subdomains
    (``dotprefix``), ``http.host`` (lower case, its normalised form) + ``http.uri`` the URL.
    Checked by ``suricata -T`` in the tests."""

    format = "suricata"
    label = "Suricata rules"

    def domain_rules(self, observable: ExportObservable) -> Iterator[str]:
        content = rule_content("." + observable.value)
        yield "alert dns any any -> any any " + self.options(
            observable, "DNS query", 0, f'dns.query; dotprefix; content:"{content}"; nocase; endswith;'
        )
        yield "alert tls any any -> any any " + self.options(
            observable, "TLS SNI", 1, f'tls.sni; dotprefix; content:"{content}"; nocase; endswith;'
        )

    def url_rule(self, observable: ExportObservable, host: str, path: str, query: str) -> str:
        uri = path + ("?" + query if query else "")
        return "alert http any any -> any any " + self.options(
            observable,
            "URL",
            0,
            "flow:established,to_server;",
            # Suricata 7 normalises http.host to lower case and refuses ``nocase`` on it.
            f'http.host; content:"{rule_content(host.lower())}"; bsize:{len(host.encode())};',
            f'http.uri; content:"{rule_content(uri)}"; startswith;',
        )


@register_writer
class SnortWriter(RuleWriter):
    """Snort 2.9 rules (also read by Snort 3's rule converter): DNS queries by the name's wire
    format (the domain and its subdomains), TLS by the exact SNI, URLs by host header and URI."""

    format = "snort"
    label = "Snort rules"

    def domain_rules(self, observable: ExportObservable) -> Iterator[str]:
        yield "alert udp any any -> any 53 " + self.options(
            observable, "DNS query", 0, f'content:"{_dns_labels(observable.value)}"; nocase;'
        )
        name = observable.value.encode()
        length = f"{len(name) >> 8:02X} {len(name) & 0xFF:02X}"
        yield "alert tcp any any -> any 443 " + self.options(
            observable,
            "TLS SNI",
            1,
            "flow:established,to_server;",
            'content:"|16 03|"; depth:2;',
            f'content:"|00 {length}|{rule_content(observable.value)}"; nocase; distance:0;',
        )

    def url_rule(self, observable: ExportObservable, host: str, path: str, query: str) -> str:
        uri = path + ("?" + query if query else "")
        return "alert tcp any any -> any any " + self.options(
            observable,
            "URL",
            0,
            "flow:established,to_server;",
            f'content:"{rule_content(host)}"; http_header; nocase;',
            f'content:"{rule_content(uri)}"; http_uri;',
        )


def rpz_ip_owner(value: str) -> str:
    """The RPZ IP-trigger owner name for one address or network (the ``rpz-ip`` convention:
    prefix length then the address reversed; IPv6 with ``zz`` for the longest run of zero groups)."""
    network = ipaddress.ip_network(value)  # an address, or a kept CIDR block
    address, prefix = network.network_address, network.prefixlen
    if address.version == 4:
        return f"{prefix}." + ".".join(reversed(str(address).split("."))) + ".rpz-ip"
    groups = [format(int(g, 16), "x") for g in address.exploded.split(":")]
    best_start, best_len, start = -1, 0, None
    for i, group in enumerate([*groups, "end"]):
        if group == "0":
            start = i if start is None else start
        else:
            if start is not None and i - start > best_len and i - start >= 2:
                best_start, best_len = start, i - start
            start = None
    if best_len:
        groups = groups[:best_start] + ["zz"] + groups[best_start + best_len :]
    return f"{prefix}." + ".".join(reversed(groups)) + ".rpz-ip"


@register_writer
class RpzWriter(Writer):
    """A DNS Response Policy Zone (RPZ): domains (and their subdomains) answer NXDOMAIN, and
    answers containing a listed IP address are rewritten the same way. Load it as a zone of any
    name (every owner name is relative); the SOA serial is the export time."""

    format = "rpz"
    label = "DNS RPZ zone"
    media_type = "text/dns; charset=utf-8"
    extension = "rpz"
    observable_types = frozenset({"ipv4", "ipv6", "domain"})
    detection = True

    def write(self, source: ExportSource) -> Iterator[bytes]:
        meta = source.meta
        yield from _header(meta, source.suppressed(self.observable_types), comment=";")
        serial = int(meta.generated_at.timestamp()) & 0xFFFFFFFF
        yield b"$TTL 300\n"
        yield f"@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 604800 300\n".encode()
        yield b"@ IN NS localhost.\n"
        for observable in source.observables(self.observable_types, detection=True):
            note = f" ; {observable.tlp}"
            if observable.type == "domain":
                yield f"{observable.value} CNAME .{note}\n*.{observable.value} CNAME .{note}\n".encode()
            else:
                yield f"{rpz_ip_owner(observable.value)} CNAME .{note}\n".encode()


@register_writer
class BlocklistWriter(Writer):
    """A plain list of one observable type, one value a line, after a few ``#`` comment lines."""

    format = "blocklist"
    label = "Plain blocklist (one observable type)"
    media_type = "text/plain; charset=utf-8"
    extension = "txt"
    detection = True

    def write(self, source: ExportSource) -> Iterator[bytes]:
        yield from _header(source.meta, source.suppressed(self.observable_types))
        for observable in source.observables(self.observable_types, detection=True):
            yield observable.value.encode() + b"\n"
