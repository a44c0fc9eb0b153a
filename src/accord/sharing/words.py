"""Shared objects in words: what a STIX body's properties are called and how their values read,
for the pages (the list's rows, the object page). Pure functions over a body the reader may
receive (already through the policy's ``withhold``); they query nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

__all__ = [
    "STIX_TYPES",
    "Fact",
    "Reference",
    "body_facts",
    "body_references",
    "body_seen",
    "body_tags",
    "property_label",
    "stix_type_label",
]

# The STIX 2.1 types partners share most, in words (the list's type filter offers these).
STIX_TYPES = {
    "indicator": "Indicator",
    "observed-data": "Observed data",
    "sighting": "Sighting",
    "report": "Report",
    "grouping": "Grouping",
    "note": "Note",
    "opinion": "Opinion",
    "campaign": "Campaign",
    "intrusion-set": "Intrusion set",
    "threat-actor": "Threat actor",
    "malware": "Malware",
    "tool": "Tool",
    "attack-pattern": "Attack pattern",
    "infrastructure": "Infrastructure",
    "identity": "Identity",
    "location": "Location",
    "vulnerability": "Vulnerability",
    "course-of-action": "Course of action",
    "relationship": "Relationship",
    "incident": "Incident",
    "ipv4-addr": "IPv4 address",
    "ipv6-addr": "IPv6 address",
    "domain-name": "Domain name",
    "url": "URL",
    "email-addr": "E-mail address",
    "file": "File",
    "bank-account": "Bank account",
    "user-account": "User account",
    "autonomous-system": "Autonomous system",
}

# Properties whose names do not read well once their underscores become spaces.
_LABELS = {
    "valid_from": "Valid from",
    "valid_until": "Valid until",
    "pattern_type": "Pattern language",
    "pattern_version": "Pattern version",
    "indicator_types": "Indicator types",
    "malware_types": "Malware types",
    "threat_actor_types": "Threat actor types",
    "infrastructure_types": "Infrastructure types",
    "report_types": "Report types",
    "tool_types": "Tool types",
    "identity_class": "Kind of identity",
    "is_family": "A family",
    "first_observed": "First observed",
    "last_observed": "Last observed",
    "number_observed": "Times observed",
    "first_seen": "First seen",
    "last_seen": "Last seen",
    "count": "Times seen",
    "published": "Published",
    "relationship_type": "Relationship",
    "kill_chain_phases": "Kill-chain phases",
    "external_references": "References",
    "x_accord_crime_type": "Crime type",
    "x_accord_data_subject": "Data subject",
    "x_accord_nature": "Fact or assessment",
    "x_accord_personal_data": "Personal data",
    "x_misp_category": "MISP category",
    "x_misp_comment": "MISP comment",
    "iban": "IBAN",
    "bic": "BIC",
    "hashes": "Hashes",
    "abstract": "Abstract",
    "opinion": "Opinion",
    "confidence": "Confidence (0-100)",
    "lang": "Language",
}
# Properties that hold a moment (shown as a date and time).
_MOMENTS = ("_from", "_until", "_seen", "_observed", "published")
# Said elsewhere on the page (the heading, the handling, the versions, the relationships).
_ELSEWHERE = frozenset(
    {
        "type",
        "spec_version",
        "id",
        "created",
        "modified",
        "object_marking_refs",
        "granular_markings",
        "created_by_ref",
        "revoked",
        "x_accord_data_category",
        "x_accord_purpose",
        "x_accord_reliability",
        "x_accord_credibility",
    }
)


def stix_type_label(kind: str) -> str:
    """``observed-data`` as ``Observed data``; a type not listed as its name with spaces."""
    return STIX_TYPES.get(kind) or kind.replace("-", " ").replace("_", " ").capitalize()


def property_label(name: str) -> str:
    """``valid_from`` as ``Valid from``; ``x_acme_thing`` as ``Acme thing``."""
    if name in _LABELS:
        return _LABELS[name]
    if name == "x_*":
        return "Custom properties"
    words = name.removeprefix("x_").replace("_", " ")
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Fact:
    """One property of a body as a label and its value in words: ``text`` for one value, or
    ``items`` for several (a list, the hashes of a file), ``url`` where a value is a web link."""

    label: str
    text: str = ""
    items: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class Reference:
    """A property naming another object (``created_by_ref``, ``object_refs``, a relationship's
    ends): in words, and the STIX id it names."""

    label: str
    stix_id: str


def _when(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else str(value)


def _item(value: Any) -> str:
    if isinstance(value, dict):
        if "kill_chain_name" in value:
            return f"{value.get('phase_name', '')} ({value['kill_chain_name']})"
        if "source_name" in value:
            said = value.get("external_id") or value.get("description") or value.get("url") or ""
            return f"{value['source_name']}: {said}" if said else str(value["source_name"])
        return ", ".join(f"{property_label(str(k))}: {_item(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_item(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _is_ref(name: str) -> bool:
    return name.endswith(("_ref", "_refs"))


def body_facts(body: dict[str, Any]) -> list[Fact]:
    """The body's own properties in words, in the order sent, those said elsewhere on the page
    (identity, versions, markings, references) left out."""
    facts: list[Fact] = []
    for name, value in body.items():
        if name in _ELSEWHERE or _is_ref(name) or value in (None, "", [], {}):
            continue
        label = property_label(name)
        if name == "external_references" and isinstance(value, list):
            for ref in value:
                if isinstance(ref, dict):
                    url = str(ref.get("url", ""))
                    safe = url if url.startswith(("https://", "http://")) else ""
                    facts.append(Fact(label, text=_item(ref), url=safe))
            continue
        if name == "hashes" and isinstance(value, dict):
            facts.append(Fact(label, items=tuple(f"{k}: {v}" for k, v in value.items())))
        elif isinstance(value, list):
            facts.append(Fact(label, items=tuple(_item(v) for v in value)))
        elif isinstance(value, dict):
            facts.append(Fact(label, items=tuple(f"{property_label(str(k))}: {_item(v)}" for k, v in value.items())))
        elif isinstance(value, str) and name.endswith(_MOMENTS):
            facts.append(Fact(label, text=_when(value)))
        else:
            facts.append(Fact(label, text=_item(value)))
    return facts


def body_references(body: dict[str, Any]) -> list[Reference]:
    """Every other object the body names, with what names it (``Source``, ``Holds``, ``Created
    by``), in the order sent, each id once per property."""
    found: list[Reference] = []
    for name, value in body.items():
        if not _is_ref(name) or name == "object_marking_refs":
            continue
        label = {
            "source_ref": "From",
            "target_ref": "To",
            "object_refs": "Holds",
            "created_by_ref": "Created by",
            "sighting_of_ref": "Sighting of",
            "where_sighted_refs": "Where sighted",
            "observed_data_refs": "Observed data",
        }.get(name) or property_label(name.removesuffix("_refs").removesuffix("_ref"))
        ids = value if isinstance(value, list) else [value]
        for stix_id in dict.fromkeys(v for v in ids if isinstance(v, str) and "--" in v):
            found.append(Reference(label, stix_id))
    return found


def body_tags(body: dict[str, Any], crime_type: str = "") -> list[str]:
    """What the object is tagged with: its crime type, then its labels (each once)."""
    labels = body.get("labels") if isinstance(body.get("labels"), list) else []
    tags = [crime_type] if crime_type else []
    return list(dict.fromkeys([*tags, *(str(label) for label in labels or [])]))


def body_seen(body: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """When the object says what it describes was first and last seen (``first_seen``,
    ``first_observed`` or ``valid_from``; ``last_seen``, ``last_observed`` or ``valid_until``)."""

    def first_of(*names: str) -> datetime | None:
        for name in names:
            value = body.get(name)
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is not None:
                return moment
        return None

    return (
        first_of("first_seen", "first_observed", "valid_from"),
        first_of("last_seen", "last_observed", "valid_until"),
    )
