"""MISP event JSON, read through ``pymisp``: every attribute and object becomes a STIX 2.1 object.

An event is read whole, faithfully, the way MISP's own ``misp-stix`` converter represents it:

- an attribute whose type Accord normalises (:data:`ATTRIBUTE_TYPES`) becomes an ``indicator``
  that mentions the observable; any other type (``text``,
  ``attachment``, ``vulnerability``, ``pdb`` … every type of MISP's ``describeTypes``) becomes an
  ``x-misp-attribute`` custom object. Either way the attribute itself (type, category, value,
  ``to_ids``, comment, tags, sightings, attached data) is kept in ``x_misp_attribute``;
- ``bank-account`` and ``coin-address`` objects become ``x-accord-bank-account`` and
  ``x-accord-crypto-wallet`` cyber-observables; every other object template an ``x-misp-object``
  custom object that mentions the observables of its attributes. Either way the object itself is
  kept in ``x_misp_object``;
- the event becomes a ``report`` naming them all, which keeps its ``info``, ``date``,
  ``threat_level_id``, ``analysis``, tags and galaxy clusters in ``x_misp_event``.

What MISP holds is kept in ``x_misp_*`` properties: free text the policy withholds with the
object's data category (:data:`accord.policy.rules.FREE_TEXT_FIELDS`). An attribute of a type
that carries personal data (names, passports, e-mail, phone numbers …) or a financial
identifier declares that category, so that the agreement's terms apply to it. ``tlp:*`` tags
(on the event, the attribute or an object's attributes) map to TLP 2.0. The MISP writer
(:class:`accord.formats.writers.MispWriter`) gives all of it back.
"""

from __future__ import annotations

import codecs
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import IO, Any

import orjson
from pymisp import MISPAttribute, MISPEvent, MISPObject

from accord.core.choices import DataCategory, Tlp
from accord.formats.base import Mention, ParsedObject, Reader, ReadError, Unreadable, register
from accord.formats.choices import SENSITIVE_OBSERVABLES
from accord.formats.markings import tlp_label
from accord.formats.observables import CURRENCIES, pattern_for

__all__ = ["ATTRIBUTE_TYPES", "MispReader", "category_of_misp_type"]

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
    "AS": "asn",
    "mutex": "mutex",
    "regkey": "registry_key",
    "regkey|value": "registry_key",
}
# Types whose values MISP does not hold to a syntax (a ``link`` may name a document, a ``uri`` a
# path): when the value is not an observable Accord takes, the attribute is kept as it is,
# without an observable, instead of refused.
LOOSE_TYPES = frozenset({"link", "uri"})

# MISP attribute types whose values are about people (MISP's "Person" category, e-mail, accounts
# and registrant details): personal data.
PERSONAL_TYPES = frozenset(
    {
        "email",
        "email-src",
        "email-dst",
        "email-subject",
        "email-body",
        "email-header",
        "email-reply-to",
        "email-message-id",
        "email-thread-index",
        "email-dst-display-name",
        "email-src-display-name",
        "eppn",
        "target-user",
        "target-email",
        "phone-number",
        "whois-registrant-email",
        "whois-registrant-phone",
        "whois-registrant-name",
        "dns-soa-email",
        "github-username",
        "jabber-id",
        "twitter-id",
        "first-name",
        "middle-name",
        "last-name",
        "full-name",
        "date-of-birth",
        "place-of-birth",
        "gender",
        "nationality",
        "identity-card-number",
        "passport-number",
        "passport-country",
        "passport-expiration",
        "visa-number",
        "issue-date-of-the-visa",
        "redress-number",
        "primary-residence",
        "country-of-residence",
        "special-service-request",
        "frequent-flyer-number",
        "travel-details",
        "payment-details",
        "passenger-name-record-locator-number",
        "place-port-of-original-embarkation",
        "place-port-of-clearance",
        "place-port-of-onward-foreign-destination",
    }
)
# MISP object templates that describe a person or a person's account, whatever their attributes'
# types (a ``user-account``'s username is of type ``text``).
PERSONAL_TEMPLATES = frozenset(
    {
        "person",
        "passport",
        "identity-card",
        "user-account",
        "email",
        "phone",
        "social-media-group",
        "facebook-account",
        "twitter-account",
        "instagram-account",
        "reddit-account",
        "telegram-account",
        "github-user",
        "gitlab-user",
        "tiktok-account",
        "youtube-channel",
        "parler-account",
        "employee",
        "passenger-name-record",
    }
)
# MISP attribute types that are financial identifiers.
FINANCIAL_TYPES = frozenset(
    {"iban", "bic", "bank-account-nr", "aba-rtn", "bin", "cc-number", "prtn", "btc", "dash", "xmr"}
)
# Attribute types that carry a file's bytes in ``data``.
DATA_TYPES = frozenset({"attachment", "malware-sample"})


def category_of_misp_type(types: Iterable[str], template: str = "") -> str | None:
    """The data category MISP attributes of ``types`` (in an object of ``template``) hold, the
    most sensitive first: personal data, then financial identifiers, then a malware sample;
    ``None`` when they hold only technical intelligence."""
    kinds = set(types)
    if template in PERSONAL_TEMPLATES or kinds & PERSONAL_TYPES:
        return DataCategory.PERSONAL_DATA.value
    if kinds & FINANCIAL_TYPES:
        return DataCategory.FINANCIAL_IDENTIFIER.value
    if "malware-sample" in kinds:
        return DataCategory.MALWARE_SAMPLE.value
    return None


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str | int) and str(value).isdigit():
        moment = datetime.fromtimestamp(int(value), tz=UTC)
    else:
        moment = datetime.now(tz=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _tag_names(raw: dict[str, Any]) -> list[str]:
    tags = raw.get("Tag") or []
    return [str(tag["name"]) for tag in tags if isinstance(tag, dict) and tag.get("name")]


def _tlp(names: Iterable[str]) -> str | None:
    found = [label for name in names if name.lower().startswith("tlp:") and (label := tlp_label(name))]
    if not found:
        return None
    return max(found, key=Tlp.rank)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _faithful(raw: dict[str, Any], parsed: MISPAttribute) -> dict[str, Any]:
    """One MISP attribute as MISP holds it: what the MISP export gives back unchanged."""
    kept: dict[str, Any] = {
        "uuid": _text(raw.get("uuid") or parsed.uuid),
        "type": parsed.type,
        "category": parsed.category,
        "value": _text(raw.get("value")),
        "to_ids": bool(parsed.to_ids),
    }
    for name in ("object_relation", "comment", "first_seen", "last_seen", "timestamp", "distribution"):
        if raw.get(name) not in (None, ""):
            kept[name] = _text(raw[name])
    if raw.get("disable_correlation"):
        kept["disable_correlation"] = True
    if parsed.type in DATA_TYPES and isinstance(raw.get("data"), str):
        kept["data"] = raw["data"]
    tags = _tag_names(raw)
    if tags:
        kept["Tag"] = tags
    sightings = [
        {key: _text(s[key]) for key in ("uuid", "type", "date_sighting", "source") if s.get(key) not in (None, "")}
        for s in raw.get("Sighting") or []
        if isinstance(s, dict)
    ]
    if sightings:
        kept["Sighting"] = sightings
    return kept


@register
class MispReader(Reader):
    format = "misp"
    label = "MISP event JSON"

    _bare = re.compile(rb'"info"\s*:\s*"')

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:200]
        if not start.startswith(b"{"):
            return False
        # Wrapped ({"Event": …}, {"response": […]}), or bare as PyMISP's MISPEvent.to_json() writes it.
        if b'"Event"' in start or b'"response"' in start:
            return True
        return cls._bare.search(head) is not None and (b'"Attribute"' in head or b'"Object"' in head)

    def read(self, stream: IO[bytes]) -> Iterator[ParsedObject | ReadError]:
        try:
            document = orjson.loads(stream.read().removeprefix(codecs.BOM_UTF8))
        except orjson.JSONDecodeError as exc:
            yield Unreadable("event", "json", f"malformed JSON: {exc}")
            return
        if isinstance(document, dict) and "Event" not in document and "response" not in document and "info" in document:
            document = {"Event": document}  # a bare event
        events = document.get("response", [document]) if isinstance(document, dict) else None
        if not isinstance(events, list) or not events or not all(isinstance(e, dict) and "Event" in e for e in events):
            yield Unreadable("event", "Event", 'not a MISP event: expected {"Event": {...}} or {"response": [...]}')
            return
        for number, raw in enumerate(events):
            event = MISPEvent()
            try:
                event.load(orjson.loads(orjson.dumps(raw)))  # pymisp changes what it loads
            except Exception as exc:  # pymisp raises several kinds on bad input
                # One event of several is refused alone; a file of one such event is unreadable.
                kind = Unreadable if len(events) == 1 else ReadError
                yield kind(f"event {number}", "Event", f"not a valid MISP event: {exc}")
                continue
            yield from self._event(number, raw["Event"], event)

    def _id(self, stix_type: str, misp_uuid: Any, otherwise: str) -> str:
        """The STIX id of what a MISP uuid names, minted under the submitter's key: a public
        event's uuids are known to anyone, so used as they are they could be taken first by
        another organisation (its object would hold the id) and would clash when two
        organisations import the same event. The uuid itself stays in ``x_misp_*`` and goes back
        in the MISP export; the same organisation importing the event again gets the same ids."""
        if _is_uuid(misp_uuid):
            return self.mint_id(stix_type, f"misp:{str(misp_uuid).lower()}")
        return self.mint_id(stix_type, otherwise)

    def _event(self, number: int, raw: dict[str, Any], event: MISPEvent) -> Iterator[ParsedObject | ReadError]:
        event_tags = _tag_names(raw)
        event_tlp = _tlp(event_tags)
        refs: list[str] = []
        raw_attributes = [a for a in raw.get("Attribute") or [] if isinstance(a, dict)]
        raw_objects = [o for o in raw.get("Object") or [] if isinstance(o, dict)]
        items = chain(
            (
                self._attribute(f"event {number}, attribute {index} ({attribute.uuid})", raw_attribute, attribute)
                for index, (raw_attribute, attribute) in enumerate(zip(raw_attributes, event.attributes, strict=False))
            ),
            (
                self._object(f"event {number}, object {index} ({misp_object.name})", raw_object, misp_object)
                for index, (raw_object, misp_object) in enumerate(zip(raw_objects, event.objects, strict=False))
            ),
        )
        for item in items:
            if isinstance(item, ParsedObject):
                item.tlp = item.tlp or event_tlp
                if _plain(item, event_tlp):
                    refs.append(item.stix["id"])
            yield item
        if refs:
            yield self._report(f"event {number}", raw, event, event_tags, refs, event_tlp)

    def _report(
        self,
        where: str,
        raw: dict[str, Any],
        event: MISPEvent,
        tags: list[str],
        refs: list[str],
        tlp: str | None,
    ) -> ParsedObject:
        """The event itself: a report of everything read from it, keeping MISP's event fields.
        Galaxy clusters are kept as MISP holds them, and as the ``misp-galaxy:`` tags that name
        them (the form in which MISP exchanges them)."""
        galaxies: list[dict[str, Any]] = [
            {
                "uuid": _text(galaxy.get("uuid")),
                "type": _text(galaxy.get("type")),
                "name": _text(galaxy.get("name")),
                "GalaxyCluster": [
                    {key: _text(c.get(key)) for key in ("uuid", "type", "value", "tag_name") if c.get(key)}
                    for c in galaxy.get("GalaxyCluster") or []
                    if isinstance(c, dict)
                ],
            }
            for galaxy in raw.get("Galaxy") or []
            if isinstance(galaxy, dict)
        ]
        clusters = [cluster for galaxy in galaxies for cluster in galaxy["GalaxyCluster"]]
        tags = list(dict.fromkeys([*tags, *(c["tag_name"] for c in clusters if c.get("tag_name"))]))
        kept: dict[str, Any] = {
            "uuid": _text(raw.get("uuid") or event.uuid),
            "info": _text(raw.get("info")),
            "date": _text(raw.get("date")),
            "threat_level_id": _text(raw.get("threat_level_id") or getattr(event, "threat_level_id", "")),
            "analysis": _text(raw.get("analysis") or getattr(event, "analysis", "")),
        }
        if tags:
            kept["Tag"] = tags
        if galaxies:
            kept["Galaxy"] = galaxies
        dated = len(kept["date"]) == 10 and kept["date"][4] == "-"
        stamp = _iso(raw.get("timestamp")) if raw.get("timestamp") or not dated else f"{kept['date']}T00:00:00.000Z"
        report = {
            "type": "report",
            "spec_version": "2.1",
            "id": self._id("report", kept["uuid"], f"misp:{refs[0]}"),
            "created": stamp,
            "modified": stamp,
            "name": kept["info"] or "MISP event",
            "published": f"{kept['date']}T00:00:00.000Z" if dated else stamp,
            "report_types": ["threat-report"],
            "object_refs": refs,
            # The event's envelope (title, date, levels, tags): it travels with the technical
            # intelligence it groups; the attributes carry their own categories.
            "x_accord_data_category": DataCategory.TECHNICAL_INDICATOR.value,
            "x_misp_event": kept,
        }
        return ParsedObject(where, report, [], tlp)

    def _observable(
        self, where: str, field_name: str, attribute: MISPAttribute, value: str
    ) -> Mention | ReadError | None:
        """The observable an attribute of a type Accord normalises names; ``None`` for other
        types, and for a loose type (:data:`LOOSE_TYPES`) whose value is no observable."""
        kind = ATTRIBUTE_TYPES.get(attribute.type)
        if kind is None:
            return None
        if "|" in attribute.type:  # a composite (filename|md5, domain|ip …): the observable part
            parts = value.split("|")
            value = parts[1 if attribute.type.startswith("filename|") else 0] if len(parts) > 1 else value
        if kind == "ip":
            kind = "ipv6" if ":" in value else "ipv4"
        found = self.mention(where, field_name, kind, value, context=_text(getattr(attribute, "comment", "")))
        if isinstance(found, ReadError) and attribute.type in LOOSE_TYPES:
            return None
        return found

    def _attribute(self, where: str, raw: dict[str, Any], attribute: MISPAttribute) -> ParsedObject | ReadError:
        kept = _faithful(raw, attribute)
        found = self._observable(where, "value", attribute, kept["value"])
        if isinstance(found, ReadError):
            return found
        stamp = _iso(getattr(attribute, "timestamp", None))
        key = kept["uuid"] if _is_uuid(kept["uuid"]) else None
        body: dict[str, Any] = {"spec_version": "2.1", "created": stamp, "modified": stamp}
        if found is not None:
            body |= {
                "type": "indicator",
                "id": self._id("indicator", key, f"{found.type}:{found.value}"),
                "name": f"{found.type} {found.value}",
                "pattern": pattern_for(found.type, found.value),
                "pattern_type": "stix",
                "valid_from": stamp,
            }
            if found.context:
                body["description"] = found.context
        else:
            body |= {
                "type": "x-misp-attribute",
                "id": self._id("x-misp-attribute", key, f"{kept['type']}:{kept['value']}"),
                "name": f"{kept['type']} {kept['value'][:200]}",
            }
        body["labels"] = [attribute.category.lower()]
        category = category_of_misp_type([attribute.type])
        if category:
            body["x_accord_data_category"] = category
        body["x_misp_attribute"] = kept
        return ParsedObject(where, body, [found] if found else [], _tlp(kept.get("Tag", ())))

    def _object(self, where: str, raw: dict[str, Any], misp_object: MISPObject) -> ParsedObject | ReadError:
        raw_attributes = [a for a in raw.get("Attribute") or [] if isinstance(a, dict)]
        pairs = list(zip(raw_attributes, misp_object.attributes, strict=False))
        kept_attributes = [_faithful(r, a) for r, a in pairs]
        kept: dict[str, Any] = {
            key: _text(raw[key])
            for key in ("uuid", "name", "meta-category", "description", "template_uuid", "template_version", "comment")
            if raw.get(key) not in (None, "")
        }
        kept["name"] = misp_object.name
        for key in ("first_seen", "last_seen", "timestamp", "distribution"):
            if raw.get(key) not in (None, ""):
                kept[key] = _text(raw[key])
        references = [
            {k: _text(r[k]) for k in ("uuid", "referenced_uuid", "relationship_type", "comment") if r.get(k)}
            for r in raw.get("ObjectReference") or []
            if isinstance(r, dict)
        ]
        if references:
            kept["ObjectReference"] = references
        kept["Attribute"] = kept_attributes
        tlp = _tlp(name for a in kept_attributes for name in a.get("Tag", ()))
        values = {a.object_relation: _text(r.get("value")) for r, a in pairs}
        if misp_object.name in ("bank-account", "coin-address"):
            special = self._financial(where, misp_object.name, values)
            if not isinstance(special, ParsedObject):
                return special
            special.stix["x_misp_object"] = kept
            special.tlp = tlp
            return special
        mentions: list[Mention] = []
        for index, (r, attribute) in enumerate(pairs):
            found = self._observable(f"{where}, attribute {index}", "value", attribute, _text(r.get("value")))
            if isinstance(found, ReadError):
                return found
            if found is not None and found not in mentions:
                mentions.append(found)
        uuid_ = kept.get("uuid", "")
        stamp = _iso(raw.get("timestamp"))
        body: dict[str, Any] = {
            "type": "x-misp-object",
            "spec_version": "2.1",
            "id": self._id("x-misp-object", uuid_, orjson.dumps(kept, option=orjson.OPT_SORT_KEYS).decode()),
            "created": stamp,
            "modified": stamp,
            "name": misp_object.name,
            "labels": [_text(raw.get("meta-category") or "misc").lower()],
        }
        category = category_of_misp_type((a["type"] for a in kept_attributes), misp_object.name)
        if category:
            body["x_accord_data_category"] = category
        body["x_misp_object"] = kept
        return ParsedObject(where, body, mentions, tlp)

    def _financial(self, where: str, name: str, values: dict[str, str]) -> ParsedObject | ReadError:
        """A ``bank-account`` or ``coin-address`` object as Accord's own cyber-observable."""
        if name == "bank-account":
            if "iban" not in values:
                return ReadError(where, "iban", "a bank-account object needs an iban attribute")
            found = self.mention(where, "iban", "iban", values["iban"])
            if isinstance(found, ReadError):
                return found
            sco: dict[str, Any] = {"type": "x-accord-bank-account", "iban": found.value}
            if values.get("swift") or values.get("bic"):
                sco["bic"] = values.get("swift") or values.get("bic")
            if values.get("holder"):
                sco["account_holder"] = values["holder"]
        else:
            symbol = values.get("symbol", "btc").lower()
            kind = CURRENCIES.get(symbol)
            if kind is None:
                return ReadError(where, "symbol", f"'{symbol}' is not a currency Accord takes (btc, eth, xmr)")
            found = self.mention(where, "address", kind, values.get("address", ""))
            if isinstance(found, ReadError):
                return found
            sco = {"type": "x-accord-crypto-wallet", "currency": kind, "address": found.value}
        sco["id"] = self.mint_id(sco["type"], f"{found.type}:{found.value}")
        sco["spec_version"] = "2.1"
        return ParsedObject(where, sco, [found])


def _plain(item: ParsedObject, tlp: str | None) -> bool:
    """Whether the event's report may name this object: one marked no more restrictively than
    the report and holding only technical intelligence. A reader who may see the report but not
    the object must not learn from the report's references that the object exists."""
    if item.tlp != tlp and (item.tlp is None or tlp is None or Tlp.rank(item.tlp) > Tlp.rank(tlp)):
        return False
    if item.stix["type"] in ("x-accord-bank-account", "x-accord-crypto-wallet"):
        return False
    return "x_accord_data_category" not in item.stix and not any(m.type in SENSITIVE_OBSERVABLES for m in item.mentions)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
