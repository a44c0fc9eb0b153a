"""Export writers: the interface every export format implements, and the intelligence formats
(STIX 2.1 bundle, MISP event JSON, CSV). Detection formats live in :mod:`accord.formats.detection`.

A writer never touches the database. It pulls what it needs from an :class:`ExportSource` —
objects (bodies already redacted for the recipient), object–observable links, or distinct
observables — which :mod:`accord.exports.selectors` implements over the policy, and yields the
file as byte chunks, so an export streams however large it is.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

import orjson
from pymisp import MISPObject

from accord.core.choices import Tlp
from accord.formats.choices import ObservableType
from accord.formats.csvfile import FORMULA_STARTS
from accord.formats.extensions import HANDLING_EXTENSION, declare, definitions
from accord.formats.markings import TLP2_IDS, TLP_BY_MARKING, tlp_marking

__all__ = [
    "HANDLING_EXTENSION",
    "WRITERS",
    "CsvWriter",
    "ExportLink",
    "export_header",
    "ExportMeta",
    "ExportObject",
    "ExportObservable",
    "ExportSource",
    "Handling",
    "MispWriter",
    "StixWriter",
    "Suppressed",
    "Writer",
    "csv_cell",
    "register_writer",
    "tlp_marking",
]

_NAMESPACE = uuid.UUID("0b1d3f5a-7c9e-4f2b-8d4c-6a8e0c2e4f60")
_TLP_NAMES = dict(Tlp.choices)
ALL_OBSERVABLE_TYPES = frozenset(ObservableType.values)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def stable_uuid(key: str) -> uuid.UUID:
    """A UUIDv5 in Accord's export namespace: the same input gives the same id in every export."""
    return uuid.uuid5(_NAMESPACE, key)


@dataclass(frozen=True)
class Handling:
    """One source's handling conditions: the terms in force of the agreement it shared under."""

    key: str
    reference: str
    version: int
    source: str | None
    iep: dict[str, str]
    local: dict[str, Any]


@dataclass(frozen=True)
class ExportObject:
    """One object version as the recipient may receive it (redacted fields already removed)."""

    body: dict[str, Any]
    tlp: str
    handling: Handling | None
    conditions: dict[str, Any]
    attribution: bool
    # The marking definitions it refers to besides its TLP (statements, IEP, custom, a TLP of
    # a granular marking), as sent, to travel with it in the same bundle.
    definitions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ExportLink:
    """One observable mentioned by one exported object."""

    stix_id: str
    stix_type: str
    modified: datetime
    tlp: str
    data_category: str
    crime_type: str
    purpose: str
    added_at: datetime
    expires_at: datetime | None
    observable_type: str
    value: str


@dataclass(frozen=True)
class ExportObservable:
    """One distinct observable and the most restrictive TLP among the objects that mention it."""

    id: int
    type: str
    value: str
    tlp: str
    crime_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suppressed:
    """A value a detection export left out as known-benign, and why (a warning list's name)."""

    id: int
    type: str
    value: str
    reason: str


@dataclass(frozen=True)
class ExportMeta:
    """Who exported what, when: written into file headers and descriptions. ``show_suppressed``
    asks a detection export to list in its header the values it left out as known-benign."""

    generated_at: datetime
    host: str
    recipient: str
    purpose: str
    filters: dict[str, Any] = field(default_factory=dict)
    show_suppressed: bool = False

    @property
    def stamp(self) -> str:
        return _iso(self.generated_at) or ""


class ExportSource(Protocol):
    """What a writer reads: implemented by :class:`accord.exports.selectors.PolicyExportSource`."""

    meta: ExportMeta

    def objects(self, *, carrying: Collection[str] = ()) -> Iterator[ExportObject]: ...

    def links(self, types: Collection[str], *, lacking: Collection[str] = ()) -> Iterator[ExportLink]: ...

    def observables(self, types: Collection[str], *, detection: bool) -> Iterator[ExportObservable]: ...

    def suppressed(self, types: Collection[str]) -> list[Suppressed]: ...


class Writer(ABC):
    """Writes one export format; ``observable_types`` are those it can express."""

    format: ClassVar[str]
    label: ClassVar[str]
    media_type: ClassVar[str]
    extension: ClassVar[str]
    observable_types: ClassVar[frozenset[str]] = ALL_OBSERVABLE_TYPES
    detection: ClassVar[bool] = False  # known-benign values are left out of detection formats
    takes_observable_type: ClassVar[bool] = True

    @abstractmethod
    def write(self, source: ExportSource) -> Iterator[bytes]:
        """The file, chunk by chunk."""


WRITERS: dict[str, type[Writer]] = {}


def register_writer(cls: type[Writer]) -> type[Writer]:
    WRITERS[cls.format] = cls
    return cls


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


# -- STIX 2.1 ---------------------------------------------------------------------------------------


def export_header(host: str) -> list[dict[str, Any]]:
    """The objects every STIX export starts with: the hosting organisation's identity (first) and
    the definitions of Accord's extensions. An export shared back in carries them; the ingest
    takes them as the platform's own, never as the sender's data."""
    host_identity = f"identity--{stable_uuid('host:' + host)}"
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": host_identity,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": host,
        "identity_class": "organization",
        "description": "The hosting organisation of this Accord platform, which made this export.",
    }
    return [identity, *definitions(host_identity)]


@register_writer
class StixWriter(Writer):
    """A STIX 2.1 bundle: each object with its TLP 2.0 marking, the other marking definitions
    it refers to (once each, before the first object that refers to them), its source's handling
    conditions as a marking definition, and its own conditions in Accord's property extension; the
    definitions of Accord's extensions come first, and each object names those it uses
    (:mod:`accord.formats.extensions`)."""

    format = "stix"
    label = "STIX 2.1 bundle"
    media_type = "application/stix+json;version=2.1"
    extension = "json"
    takes_observable_type = False

    def write(self, source: ExportSource) -> Iterator[bytes]:
        meta = source.meta
        header = export_header(meta.host)
        host_identity = header[0]["id"]
        yield b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
        yield b",".join(_dumps(obj) for obj in header)
        markings: set[str] = set()
        handling_refs: dict[str, str] = {}
        for item in source.objects():
            refs = [ref for ref in item.body.get("object_marking_refs", []) if ref not in TLP_BY_MARKING]
            tlp_ref = TLP2_IDS[item.tlp]
            if tlp_ref not in markings:
                markings.add(tlp_ref)
                yield b"," + _dumps(tlp_marking(item.tlp))
            refs.insert(0, tlp_ref)
            for definition in item.definitions:
                if definition["id"] not in markings:
                    markings.add(definition["id"])
                    yield b"," + _dumps(definition)
            if item.handling is not None:
                handling_ref = handling_refs.get(item.handling.key, "")
                if not handling_ref:
                    handling_ref = f"marking-definition--{stable_uuid('handling:' + item.handling.key)}"
                    handling_refs[item.handling.key] = handling_ref
                    markings.add(handling_ref)
                    yield b"," + _dumps(self._handling_marking(handling_ref, item.handling, host_identity))
                refs.append(handling_ref)
            yield b"," + _dumps(self._object(item, refs))
        yield b"]}\n"

    @staticmethod
    def _object(item: ExportObject, refs: list[str]) -> dict[str, Any]:
        body = dict(item.body)
        body["object_marking_refs"] = refs
        if not item.attribution:
            body.pop("created_by_ref", None)
        if body.get("type") not in ("marking-definition", "extension-definition", "language-content"):
            extensions = dict(body.get("extensions") or {})
            extensions[HANDLING_EXTENSION] = {"extension_type": "property-extension", **item.conditions}
            body["extensions"] = extensions
        declare(body)
        return body

    @staticmethod
    def _handling_marking(ref: str, handling: Handling, host_identity: str) -> dict[str, Any]:
        terms: dict[str, Any] = {"extension_type": "property-extension", "agreement_version": handling.version}
        if handling.source is not None:
            terms["provider"] = handling.source
        if handling.reference and handling.source is not None:
            terms["agreement"] = handling.reference
        terms["iep"] = {"iep_version": "2.0", **handling.iep}
        terms |= handling.local
        return {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": ref,
            "created_by_ref": host_identity,
            "created": "2026-01-01T00:00:00.000Z",
            "name": f"Handling conditions (FIRST IEP 2.0), agreement version {handling.version}",
            "extensions": {HANDLING_EXTENSION: terms},
        }


# -- MISP event JSON --------------------------------------------------------------------------------

# Observable type -> MISP attribute type and category (the reverse of accord.formats.misp).
MISP_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "ipv4": ("ip-dst", "Network activity"),
    "ipv6": ("ip-dst", "Network activity"),
    "domain": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "email": ("email", "Social network"),
    "md5": ("md5", "Payload delivery"),
    "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "iban": ("iban", "Financial fraud"),
    "btc": ("btc", "Financial fraud"),
    "xmr": ("xmr", "Financial fraud"),
    "phone": ("phone-number", "Person"),
    "asn": ("AS", "Network activity"),
    "mutex": ("mutex", "Artifacts dropped"),
    "registry_key": ("regkey", "Persistence mechanism"),
}
_MISP_WALLETS = {"eth": "ETH"}  # currencies without an attribute type: coin-address objects
# Observable types MISP has no attribute type for, written as an object of a MISP template:
# type -> (template, the attribute's relation in it, its MISP type).
_MISP_TEMPLATES = {"user_account": ("user-account", "username", "text")}
# The properties in which objects read from MISP keep their MISP form (accord.formats.misp).
MISP_FORMS = ("x_misp_attribute", "x_misp_object", "x_misp_event")


def _misp_tlp(label: str) -> dict[str, str]:
    return {"name": f"tlp:{label}"}


def _misp_conditions(item: ExportObject) -> list[dict[str, str]]:
    """Accord's handling conditions for one object as MISP tags (they travel with the data)."""
    tags = []
    if item.conditions.get("crime_type"):
        tags.append({"name": f'accord:crime-type="{item.conditions["crime_type"]}"'})
    if item.conditions.get("purpose"):
        tags.append({"name": f'accord:purpose="{item.conditions["purpose"]}"'})
    return tags


def _misp_attribute(kept: dict[str, Any], tlp: str, handling: list[dict[str, str]]) -> dict[str, Any]:
    """A MISP attribute as it was read (:mod:`accord.formats.misp`), its TLP tag the one Accord
    holds it under for the recipient and its ``accord:`` tags today's handling conditions (an
    Accord export shared back in keeps its old ones, which these replace)."""
    attribute = {key: value for key, value in kept.items() if key not in ("Tag", "Sighting")}
    tags = [{"name": name} for name in kept.get("Tag", ()) if not name.lower().startswith(("tlp:", "accord:"))]
    attribute["Tag"] = [*tags, _misp_tlp(tlp), *handling]
    if kept.get("Sighting"):
        attribute["Sighting"] = list(kept["Sighting"])
    return attribute


def _misp_object(kept: dict[str, Any], tlp: str, handling: list[dict[str, str]]) -> dict[str, Any]:
    """A MISP object as it was read, each of its attributes as :func:`_misp_attribute` gives it."""
    misp_object = {key: value for key, value in kept.items() if key != "Attribute"}
    misp_object["Attribute"] = [_misp_attribute(a, tlp, handling) for a in kept.get("Attribute", ())]
    return misp_object


@register_writer
class MispWriter(Writer):
    """One MISP event. What was read from MISP comes back as it was read: each attribute and
    object with its type, category, value, ``to_ids``, comment, tags and sightings, and, when
    the export holds one MISP event's report, that event's info, date, levels, tags and galaxy
    clusters. Everything else gives an attribute per observable of each exported object (TLP
    tag each), and an object of a MISP template for the observables MISP has no attribute type for
    (``coin-address`` for Ethereum wallets, ``user-account`` for accounts). An
    object whose MISP form is withheld from the recipient gives nothing, as if absent."""

    format = "misp"
    label = "MISP event JSON"
    media_type = "application/json"
    extension = "json"

    def write(self, source: ExportSource) -> Iterator[bytes]:
        meta = source.meta
        yield b'{"Event":{"Attribute":['
        most = Tlp.CLEAR.value
        first = True
        seen: set[str] = set()
        events: list[dict[str, Any]] = []
        # MISP objects come after the attributes: held meanwhile in a spool (on disk when large),
        # so that what was read from MISP is read from the store once.
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as objects:
            for item in source.objects(carrying=MISP_FORMS):
                body = item.body
                if isinstance(body.get("x_misp_event"), dict):
                    if not any(e.get("uuid") == body["x_misp_event"].get("uuid") for e in events):
                        events.append(body["x_misp_event"])  # once, whatever its versions
                    most = max(most, item.tlp, key=Tlp.rank)
                kept = body.get("x_misp_attribute") or body.get("x_misp_object")
                if not isinstance(kept, dict) or kept.get("uuid") in seen:  # withheld, or another version
                    continue
                seen.add(kept.get("uuid", ""))
                most = max(most, item.tlp, key=Tlp.rank)
                handling = _misp_conditions(item)
                if "x_misp_attribute" in body:
                    yield (b"" if first else b",") + _dumps(_misp_attribute(kept, item.tlp, handling))
                    first = False
                else:
                    objects.write((b"," if objects.tell() else b"") + _dumps(_misp_object(kept, item.tlp, handling)))
            # Everything else: an attribute per observable (wallets come in their own pass below).
            for link in source.links(self.observable_types, lacking=MISP_FORMS):
                if link.observable_type not in MISP_ATTRIBUTES:
                    continue
                misp_type, category = MISP_ATTRIBUTES[link.observable_type]
                most = max(most, link.tlp, key=Tlp.rank)
                attribute = {
                    "uuid": str(
                        stable_uuid(f"{link.stix_id}|{_iso(link.modified)}|{link.observable_type}|{link.value}")
                    ),
                    "type": misp_type,
                    "category": category,
                    "value": link.value,
                    "to_ids": True,
                    "distribution": "5",
                    "timestamp": str(int(link.added_at.timestamp())),
                    "comment": f"{link.stix_id} ({link.data_category.replace('_', ' ')})",
                    "Tag": self._tags(link),
                }
                yield (b"" if first else b",") + _dumps(attribute)
                first = False
            yield b'],"Object":['
            first = not objects.tell()
            objects.seek(0)
            while chunk := objects.read(1 << 20):
                yield chunk
        for link in source.links(
            (set(_MISP_WALLETS) | set(_MISP_TEMPLATES)) & self.observable_types, lacking=MISP_FORMS
        ):
            most = max(most, link.tlp, key=Tlp.rank)
            yield (b"" if first else b",") + self._template_object(link).to_json().encode()
            first = False
        yield b"]," + _dumps(self._event(meta, events, most))[1:] + b"}\n"

    def _template_object(self, link: ExportLink) -> MISPObject:
        """The MISP object for an observable MISP has no attribute type for: a ``coin-address``
        (address and symbol) for a wallet, a :data:`_MISP_TEMPLATES` object for the others."""
        key = f"{link.stix_id}|{_iso(link.modified)}|{link.value}"
        tags = [tag["name"] for tag in self._tags(link)]
        if link.observable_type in _MISP_WALLETS:
            made = MISPObject("coin-address", standalone=False)
            made.add_attribute("address", value=link.value, uuid=str(stable_uuid(key + "|address")), Tag=tags)
            made.add_attribute(
                "symbol", value=_MISP_WALLETS[link.observable_type], uuid=str(stable_uuid(key + "|symbol"))
            )
        else:
            template, relation, misp_type = _MISP_TEMPLATES[link.observable_type]
            made = MISPObject(template, standalone=False)
            made.add_attribute(
                relation, value=link.value, type=misp_type, uuid=str(stable_uuid(f"{key}|{relation}")), Tag=tags
            )
        made.uuid = str(stable_uuid(key))
        made.comment = link.stix_id
        return made

    @staticmethod
    def _event(meta: ExportMeta, events: list[dict[str, Any]], most: str) -> dict[str, Any]:
        """The event's own fields: those of the one MISP event the export holds the report of,
        else Accord's; its TLP tag the most restrictive of what it carries."""
        event: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "info": f"Accord export for {meta.recipient} ({meta.purpose}), {meta.stamp}",
            "date": meta.generated_at.astimezone(UTC).date().isoformat(),
            "timestamp": str(int(meta.generated_at.timestamp())),
            "analysis": "2",
            "threat_level_id": "4",
            "distribution": "0",
            "published": False,
            "Orgc": {"name": meta.host, "uuid": str(stable_uuid("host:" + meta.host))},
        }
        tags = [_misp_tlp(most)]
        if len(events) == 1:
            (original,) = events
            fields = ("info", "date", "threat_level_id", "analysis")
            event |= {key: original[key] for key in fields if original.get(key)}
            tags = [{"name": name} for name in original.get("Tag", ()) if not name.lower().startswith("tlp:")] + tags
            if original.get("Galaxy"):
                event["Galaxy"] = original["Galaxy"]
        event["Tag"] = tags
        return event

    @staticmethod
    def _tags(link: ExportLink) -> list[dict[str, str]]:
        tags = [_misp_tlp(link.tlp)]
        if link.crime_type:
            tags.append({"name": f'accord:crime-type="{link.crime_type}"'})
        tags.append({"name": f'accord:purpose="{link.purpose}"'})
        return tags


# -- CSV --------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "type",
    "value",
    "tlp",
    "stix_id",
    "object_type",
    "data_category",
    "crime_type",
    "purpose",
    "added_at",
    "expires_at",
)


def csv_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates: an apostrophe before a leading ``=``,
    ``+``, ``-``, ``@``, tab or carriage return (a phone number ``+44…`` is written ``'+44…``)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@register_writer
class CsvWriter(Writer):
    """One row per observable of each exported object. Its first columns (``type,value,tlp``)
    are those Accord's CSV reader takes, so the file can be shared on. Cells a spreadsheet
    would evaluate as a formula are neutralised (:func:`csv_cell`)."""

    format = "csv"
    label = "CSV"
    media_type = "text/csv; charset=utf-8"
    extension = "csv"

    def write(self, source: ExportSource) -> Iterator[bytes]:
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        out.writerow(CSV_COLUMNS)
        for n, link in enumerate(source.links(self.observable_types)):
            out.writerow(
                (
                    link.observable_type,
                    csv_cell(link.value),
                    link.tlp,
                    link.stix_id,
                    link.stix_type,
                    link.data_category,
                    csv_cell(link.crime_type),
                    link.purpose,
                    _iso(link.added_at),
                    _iso(link.expires_at) or "",
                )
            )
            if n % 500 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
