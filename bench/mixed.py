"""Real-shaped STIX 2.1 for the ingest benchmark: the mix of a security vendor's threat report
feed, modelled on the OASIS example bundles (``tests/data/oasis``), not only bare indicators.

Per 100 objects, about: 34 indicators (descriptions, kill chain phases, external references,
confidence; equality patterns, and compound, CIDR and ``OR`` patterns that take the full pattern
parser), 24 cyber-observables (addresses, domains resolving to addresses, URLs, files with
several hashes, e-mail addresses, autonomous systems), 20 relationships, 5 observed-data, 5
sightings, 3 notes, malware families, attack patterns, threat actors, reports referring to
recent objects, MITRE ATT&CK custom objects and the producer's identity. About 10% of values
repeat values seen before (other partners' and earlier reports' values).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 5, 1, 12, tzinfo=UTC)
PRODUCER = "identity--6b1ed5a4-fb2b-4a94-b7a1-0d9f3c4a1e11"
KILL_CHAIN = [
    {"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": phase}
    for phase in ("reconnaissance", "weaponization", "delivery", "exploitation", "installation")
]
SENTENCES = (
    "Observed in a phishing campaign impersonating a retail bank's login page.",
    "Command and control server used by a banking trojan; active for at least three weeks.",
    "Delivered as an attachment to invoice-themed e-mails sent to finance departments.",
    "Hosts a credential-harvesting kit; takedown requested from the registrar.",
    "Cryptojacking script injected into compromised content management systems.",
)


def _id(kind: str, rng: random.Random) -> str:
    return f"{kind}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _value(n: int) -> tuple[str, str, str]:
    """(SCO type, pattern path, value) of value number ``n``."""
    kind = n % 6
    if kind == 0:
        return "ipv4-addr", "ipv4-addr:value", f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    if kind == 1:
        return "domain-name", "domain-name:value", f"host{n}.example{n % 97}.com"
    if kind == 2:
        return "url", "url:value", f"http://login{n}.example.org/verify?id={n}"
    if kind == 3:
        return "file", "file:hashes.'SHA-256'", f"{n:064x}"
    if kind == 4:
        return "file", "file:hashes.MD5", f"{n:032x}"
    return "email-addr", "email-addr:value", f"mule{n}@example.net"


class _Mix:
    def __init__(self, objects: int, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data
        self.objects = objects
        self.recent: list[str] = []  # ids of recent objects, for references
        self.indicators: list[str] = []
        self.families: list[str] = []
        self.patterns: list[str] = []

    def number(self, n: int) -> int:
        """A value number: ~10% repeat an earlier one."""
        return self.rng.randrange(max(1, self.objects // 10)) if self.rng.random() < 0.1 else self.objects + n

    def common(self, kind: str, n: int) -> dict[str, Any]:
        stamp = (START + timedelta(seconds=n * 7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {
            "type": kind,
            "spec_version": "2.1",
            "id": _id(kind, self.rng),
            "created": stamp,
            "modified": stamp,
            "created_by_ref": PRODUCER,
        }

    def indicator(self, n: int) -> dict[str, Any]:
        obj = self.common("indicator", n)
        _, path, value = _value(self.number(n))
        shape = n % 10
        if shape == 7:
            pattern = f"[file:hashes.'SHA-256' = '{n:064x}' AND file:name = 'invoice_{n}.pdf.exe']"
        elif shape == 8:
            pattern = f"[ipv4-addr:value = '172.{n // 256 % 16 + 16}.{n % 256}.0/24']"
        elif shape == 9:
            pattern = f"[domain-name:value = 'a{n}.example.net'] OR [domain-name:value = 'b{n}.example.net']"
        else:
            pattern = f"[{path} = '{value}']"
        obj |= {
            "name": f"Indicator {n}",
            "description": self.rng.choice(SENTENCES),
            "indicator_types": ["malicious-activity"],
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": obj["created"],
            "kill_chain_phases": [self.rng.choice(KILL_CHAIN)],
            "confidence": self.rng.choice((15, 50, 85)),
            "labels": ["phishing"],
        }
        if n % 4 == 0:
            obj["external_references"] = [{"source_name": "vendor-blog", "url": f"https://blog.example.com/{n}"}]
        self.indicators.append(obj["id"])
        return obj

    def observable(self, n: int) -> dict[str, Any]:
        kind, _, value = _value(self.number(n))
        obj = {"type": kind, "spec_version": "2.1", "id": _id(kind, self.rng)}
        if kind == "file":
            obj |= {"hashes": {"SHA-256": f"{n:064x}", "MD5": f"{n:032x}"}, "name": f"payload{n}.dll", "size": n}
        else:
            obj["value"] = value
        if kind == "domain-name" and self.recent:
            address = {"type": "ipv4-addr", "spec_version": "2.1", "id": _id("ipv4-addr", self.rng)}
            obj["resolves_to_refs"] = [address["id"]]
        if n % 25 == 0:
            obj = {"type": "autonomous-system", "spec_version": "2.1", "id": _id("autonomous-system", self.rng)}
            obj |= {"number": 64496 + n % 1000, "name": f"AS-EXAMPLE-{n % 1000}"}
        return obj

    def relationship(self, n: int) -> dict[str, Any]:
        obj = self.common("relationship", n)
        source = self.rng.choice(self.indicators) if self.indicators else PRODUCER
        target = self.rng.choice(self.families) if self.families else PRODUCER
        return obj | {"relationship_type": "indicates", "source_ref": source, "target_ref": target}

    def build(self, n: int) -> dict[str, Any]:
        slot = n % 100
        if n == 0:
            return {
                "type": "identity",
                "spec_version": "2.1",
                "id": PRODUCER,
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": "Example Threat Research",
                "identity_class": "organization",
                "sectors": ["technology"],
            }
        if slot < 34:
            return self.indicator(n)
        if slot < 58:
            return self.observable(n)
        if slot < 78:
            return self.relationship(n)
        obj = self.common("x", n)
        if slot < 83:
            obj |= {"type": "observed-data", "id": _id("observed-data", self.rng)}
            obj |= {"first_observed": obj["created"], "last_observed": obj["created"], "number_observed": n % 50 + 1}
            obj["object_refs"] = self.rng.sample(self.recent, min(2, len(self.recent))) or [PRODUCER]
        elif slot < 88:
            obj |= {"type": "sighting", "id": _id("sighting", self.rng), "count": n % 9 + 1}
            obj |= {"sighting_of_ref": self.rng.choice(self.indicators), "where_sighted_refs": [PRODUCER]}
        elif slot < 91:
            obj |= {"type": "note", "id": _id("note", self.rng), "content": self.rng.choice(SENTENCES)}
            obj["object_refs"] = self.rng.sample(self.indicators, min(3, len(self.indicators)))
        elif slot < 94:
            obj |= {"type": "malware", "id": _id("malware", self.rng), "name": f"Family{n}", "is_family": True}
            obj |= {"malware_types": ["trojan"], "description": self.rng.choice(SENTENCES)}
            self.families.append(obj["id"])
        elif slot < 96:
            obj |= {"type": "attack-pattern", "id": _id("attack-pattern", self.rng), "name": f"Technique {n}"}
            obj["external_references"] = [{"source_name": "capec", "external_id": f"CAPEC-{n % 700}"}]
        elif slot < 97:
            obj |= {"type": "threat-actor", "id": _id("threat-actor", self.rng), "name": f"Crew {n}"}
            obj |= {"threat_actor_types": ["crime-syndicate"], "aliases": [f"Crew-{n}-alias"]}
        elif slot < 98:
            obj |= {"type": "report", "id": _id("report", self.rng), "name": f"Weekly report {n // 100}"}
            obj |= {"published": obj["created"], "report_types": ["threat-report"]}
            obj["object_refs"] = self.rng.sample(self.recent, min(30, len(self.recent))) or [PRODUCER]
        else:
            obj |= {"type": "x-mitre-tactic", "id": _id("x-mitre-tactic", self.rng), "name": f"Tactic {n}"}
            obj |= {"x_mitre_shortname": f"tactic-{n}", "x_mitre_version": "1.0"}
        return obj


def mixed_objects(objects: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``objects`` real-shaped STIX 2.1 objects (see the module's docstring)."""
    mix = _Mix(objects, seed)
    for n in range(objects):
        obj = mix.build(n)
        mix.recent = [*mix.recent[-199:], obj["id"]]
        yield obj
