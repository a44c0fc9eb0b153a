"""MISP event JSON, read through ``pymisp``: attributes and objects become STIX 2.1 objects.

Attributes become indicators (their MISP uuid becomes the STIX id); ``bank-account`` and
``coin-address`` objects become ``x-accord-bank-account`` and ``x-accord-crypto-wallet``
cyber-observables. ``tlp:*`` tags (on the event or the attribute) map to TLP 2.0.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from pymisp import MISPAttribute, MISPEvent, MISPObject

from accord.formats.base import ParsedObject, Reader, ReadError, Unreadable, register
from accord.formats.markings import tlp_label
from accord.formats.observables import CURRENCIES, pattern_for

__all__ = ["MispReader"]

# MISP attribute type -> observable type (composite "a|b" types take their first part).
ATTRIBUTE_TYPES: dict[str, str] = {
    "ip-dst": "ip",
    "ip-src": "ip",
    "ip-dst|port": "ip",
    "ip-src|port": "ip",
    "domain": "domain",
    "hostname": "domain",
    "domain|ip": "domain",
    "url": "url",
    "uri": "url",
    "link": "url",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "filename|md5": "md5",
    "filename|sha1": "sha1",
    "filename|sha256": "sha256",
    "iban": "iban",
    "btc": "btc",
    "xmr": "xmr",
    "phone-number": "phone",
}
# Attribute types kept with their object but not observables of their own.
CARRIED = frozenset({"bic", "bank-account-nr", "holder", "text", "comment", "symbol", "last-seen", "first-seen"})


def _iso(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.now(tz=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _tlp(tags: list[Any]) -> str | None:
    labels = [tlp_label(tag.name) for tag in tags if str(getattr(tag, "name", "")).lower().startswith("tlp:")]
    found = [label for label in labels if label]
    if not found:
        return None
    from accord.core.choices import Tlp

    return max(found, key=Tlp.rank)


@register
class MispReader(Reader):
    format = "misp"
    label = "MISP event JSON"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        start = head.lstrip()[:200]
        return start.startswith(b"{") and (b'"Event"' in start or b'"response"' in start)

    def read(self, stream: IO[bytes]) -> Iterator[ParsedObject | ReadError]:
        try:
            document = orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            yield Unreadable("event", "json", f"malformed JSON: {exc}")
            return
        events = document.get("response", [document]) if isinstance(document, dict) else None
        if not isinstance(events, list) or not events or not all(isinstance(e, dict) and "Event" in e for e in events):
            yield Unreadable("event", "Event", 'not a MISP event: expected {"Event": {...}} or {"response": [...]}')
            return
        for number, raw in enumerate(events):
            event = MISPEvent()
            try:
                event.load(raw)
            except Exception as exc:  # pymisp raises several kinds on bad input
                # One event of several is refused alone; a file of one such event is unreadable.
                kind = Unreadable if len(events) == 1 else ReadError
                yield kind(f"event {number}", "Event", f"not a valid MISP event: {exc}")
                continue
            yield from self._event(number, event)

    def _event(self, number: int, event: MISPEvent) -> Iterator[ParsedObject | ReadError]:
        event_tlp = _tlp(event.tags)
        for index, attribute in enumerate(event.attributes):
            yield self._attribute(f"event {number}, attribute {index} ({attribute.uuid})", attribute, event_tlp)
        for index, misp_object in enumerate(event.objects):
            yield from self._object(f"event {number}, object {index} ({misp_object.name})", misp_object, event_tlp)

    def _attribute(self, where: str, attribute: MISPAttribute, event_tlp: str | None) -> ParsedObject | ReadError:
        kind = ATTRIBUTE_TYPES.get(attribute.type)
        if kind is None:
            return ReadError(
                where,
                "type",
                f"MISP attribute type '{attribute.type}' is not taken; types: {', '.join(sorted(ATTRIBUTE_TYPES))}",
            )
        value = str(attribute.value)
        if "|" in attribute.type:  # a composite (filename|md5, domain|ip …): the observable part
            value = value.split("|")[1 if attribute.type.startswith("filename|") else 0]
        if kind == "ip":
            kind = "ipv6" if ":" in value else "ipv4"
        found = self.mention(where, "value", kind, value, context=str(getattr(attribute, "comment", "") or ""))
        if isinstance(found, ReadError):
            return found
        stamp = _iso(getattr(attribute, "timestamp", None))
        stix_id = (
            f"indicator--{attribute.uuid}"
            if _is_uuid(attribute.uuid)
            else self.mint_id("indicator", f"{found.type}:{found.value}")
        )
        indicator = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": stix_id,
            "created": stamp,
            "modified": stamp,
            "name": f"{found.type} {found.value}",
            "pattern": pattern_for(found.type, found.value),
            "pattern_type": "stix",
            "valid_from": stamp,
            "labels": [attribute.category.lower()],
        }
        if found.context:
            indicator["description"] = found.context
        return ParsedObject(where, indicator, [found], _tlp(attribute.tags) or event_tlp)

    def _object(self, where: str, misp_object: MISPObject, event_tlp: str | None) -> Iterator[ParsedObject | ReadError]:
        values = {a.object_relation: str(a.value) for a in misp_object.attributes}
        if misp_object.name == "bank-account":
            if "iban" not in values:
                yield ReadError(where, "iban", "a bank-account object needs an iban attribute")
                return
            found = self.mention(where, "iban", "iban", values["iban"])
            if isinstance(found, ReadError):
                yield found
                return
            sco: dict[str, Any] = {"type": "x-accord-bank-account", "iban": found.value}
            if values.get("swift") or values.get("bic"):
                sco["bic"] = values.get("swift") or values.get("bic")
            if values.get("holder"):
                sco["account_holder"] = values["holder"]
        elif misp_object.name == "coin-address":
            symbol = values.get("symbol", "btc").lower()
            kind = CURRENCIES.get(symbol)
            if kind is None:
                yield ReadError(where, "symbol", f"'{symbol}' is not a currency Accord takes (btc, eth, xmr)")
                return
            found = self.mention(where, "address", kind, values.get("address", ""))
            if isinstance(found, ReadError):
                yield found
                return
            sco = {"type": "x-accord-crypto-wallet", "currency": kind, "address": found.value}
        else:
            for index, attribute in enumerate(misp_object.attributes):
                if attribute.type in CARRIED:
                    continue
                yield self._attribute(f"{where}, attribute {index}", attribute, event_tlp)
            return
        sco["id"] = self.mint_id(sco["type"], f"{found.type}:{found.value}")
        sco["spec_version"] = "2.1"
        tags = misp_object.attributes[0].tags if misp_object.attributes else []
        yield ParsedObject(where, sco, [found], _tlp(tags) or event_tlp)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
