"""Small STIX 2.1 objects and bundles for the tests."""

from __future__ import annotations

from typing import Any

import orjson

BUNDLE_ID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"
STAMP = "2026-05-01T12:00:00.000Z"


def indicator(n: int, pattern: str, **extra: Any) -> dict[str, Any]:
    """An indicator with a fixed id derived from ``n``."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012}",
        "created": STAMP,
        "modified": STAMP,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": STAMP,
    } | extra


def person(key: str = "aa", **extra: Any) -> dict[str, Any]:
    """An individual's identity (personal data), with a fixed id ending in ``key``."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--00000000-0000-4000-8000-0000000000{key}",
        "created": STAMP,
        "modified": STAMP,
        "name": "J. Doe",
        "identity_class": "individual",
    } | extra


def bundle(*objects: dict[str, Any], **fields: Any) -> bytes:
    return orjson.dumps({"type": "bundle", "id": BUNDLE_ID, "objects": list(objects)} | fields)


def _sdo(kind: str, n: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--00000000-0000-4000-a000-{n:012}",
        "created": STAMP,
        "modified": STAMP,
    } | properties


def _sco(kind: str, n: int, **properties: Any) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--00000000-0000-5000-a000-{n:012}"} | properties


PRODUCER = _sdo(
    "identity", 1, name="Kestrel Threat Labs", identity_class="organization", sectors=["technology"]
)  # the producer's own identity, which most public bundles carry
MALWARE_FAMILY = _sdo("malware", 2, name="Poison Ivy", is_family=True, malware_types=["remote-access-trojan"])
INTRUSION_SET = _sdo("intrusion-set", 3, name="Bobcat Breakin", resource_level="organization")
TACTIC = _sdo(
    "x-mitre-tactic",
    4,
    name="Initial Access",
    x_mitre_shortname="initial-access",
    external_references=[{"source_name": "mitre-attack", "external_id": "TA0001"}],
    x_mitre_domains=["enterprise-attack"],
)
REF = "email-addr--00000000-0000-5000-a000-{:012}"


def vocabulary() -> list[dict[str, Any]]:
    """One object of every STIX 2.1 type (each SDO, SRO, SCO and the meta objects), written from
    the specification's examples, and custom objects: MITRE ATT&CK's ``x-mitre-tactic`` (no
    extension definition) and a new cyber-observable type an extension definition defines
    (``acme-ticket``: STIX 2.1 §7.3, without the ``x-`` prefix)."""
    extension = "extension-definition--00000000-0000-4000-a000-000000000099"
    sdos = [
        _sdo(
            "attack-pattern",
            10,
            name="Spear Phishing",
            external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}],
        ),
        _sdo("campaign", 11, name="Green Group Attacks Against Finance", objective="Steal money"),
        _sdo("course-of-action", 12, name="Add TCP port 80 Filter Rule"),
        _sdo("grouping", 13, context="suspicious-activity", object_refs=[MALWARE_FAMILY["id"]]),
        PRODUCER,
        _sdo("incident", 14, name="Breach at the branch office"),
        _sdo(
            "indicator",
            15,
            name="Bad network",
            pattern="[ipv4-addr:value = '112.64.0.0/15']",
            pattern_type="stix",
            valid_from=STAMP,
            indicator_types=["malicious-activity"],
        ),
        _sdo(
            "indicator",
            16,
            pattern="[email-message:from_ref.value = 'boss@example.com'"
            " AND email-message:to_refs[*].value = 'clerk@example.org']",
            pattern_type="stix",
            valid_from=STAMP,
        ),
        _sdo(
            "indicator",
            17,
            pattern=" OR ".join(
                [
                    "[x509-certificate:hashes.'SHA-256' = "
                    "'AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899']",
                    "[windows-registry-key:key = 'HKLM\\\\Software\\\\Run']",
                    "[mutex:name = 'Global\\\\ivy']",
                    "[autonomous-system:number = 64496]",
                    "[user-account:account_login = 'jdoe']",
                ]
            ),
            pattern_type="stix",
            valid_from=STAMP,
        ),
        _sdo("indicator", 18, pattern="rule poison_ivy { condition: true }", pattern_type="yara", valid_from=STAMP),
        _sdo("infrastructure", 19, name="Poison Ivy C2", infrastructure_types=["command-and-control"]),
        INTRUSION_SET,
        _sdo("location", 20, region="northern-america", country="US", latitude=48.8566, longitude=2.3522),
        MALWARE_FAMILY,
        _sdo("malware-analysis", 21, product="microsoft", result="malicious", analysis_sco_refs=[]),
        _sdo("note", 22, content="Probably the same actor.", object_refs=[MALWARE_FAMILY["id"]], authors=["Ann"]),
        _sdo(
            "observed-data",
            23,
            first_observed=STAMP,
            last_observed=STAMP,
            number_observed=3,
            object_refs=["ipv4-addr--00000000-0000-5000-a000-000000000030"],
        ),
        _sdo("opinion", 24, opinion="strongly-agree", object_refs=[MALWARE_FAMILY["id"]]),
        _sdo(
            "report",
            25,
            name="The Black Vine Cyberespionage Group",
            published=STAMP,
            report_types=["campaign"],
            object_refs=[MALWARE_FAMILY["id"]],
        ),
        _sdo(
            "threat-actor", 26, name="Evil Org", threat_actor_types=["crime-syndicate"], resource_level="organization"
        ),
        _sdo("tool", 27, name="VNC", tool_types=["remote-access"]),
        _sdo(
            "vulnerability",
            28,
            name="CVE-2016-1234",
            external_references=[{"source_name": "cve", "external_id": "CVE-2016-1234"}],
        ),
        TACTIC,
    ]
    sros = [
        _sdo(
            "relationship",
            40,
            relationship_type="uses",
            source_ref=INTRUSION_SET["id"],
            target_ref=MALWARE_FAMILY["id"],
        ),
        _sdo("sighting", 41, sighting_of_ref=MALWARE_FAMILY["id"], count=2, where_sighted_refs=[PRODUCER["id"]]),
    ]
    scos = [
        _sco(
            "artifact",
            30,
            mime_type="application/zip",
            hashes={"SHA-256": "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"},
        ),
        _sco("autonomous-system", 31, number=15139, name="Slime Industries", rir="ARIN"),
        _sco("directory", 32, path="C:\\Windows\\System32"),
        _sco("domain-name", 33, value="intranet.example"),
        _sco("email-addr", 34, value="john@example.com", display_name="John Doe"),
        _sco(
            "email-message",
            35,
            is_multipart=False,
            from_ref=REF.format(34),
            to_refs=[REF.format(34)],
            subject="Saying Hello",
            body="Hi",
        ),
        _sco(
            "file",
            36,
            name="qwerty.dll",
            hashes={
                "SHA-256": "ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a",
                "SHA1": "4dfe4b1f0a1bfe2b8c35d94b2cd9d7aeab5f5f4e",
            },
            size=25536,
        ),
        _sco("ipv4-addr", 37, value="198.51.100.0/24"),
        _sco("ipv6-addr", 38, value="2001:0db8::/96"),
        _sco("mac-addr", 39, value="d2:fb:49:24:37:18"),
        _sco("mutex", 42, name="__CLEANSWEEP__"),
        _sco(
            "network-traffic",
            43,
            src_ref="ipv4-addr--00000000-0000-5000-a000-000000000037",
            protocols=["ipv4", "tcp"],
            dst_port=443,
        ),
        _sco("process", 44, pid=1221, command_line="./gedit-bin --new-window"),
        _sco("software", 45, name="Word", cpe="cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*", vendor="Microsoft"),
        _sco("url", 46, value="https://example.com/research/index.html"),
        _sco("user-account", 47, user_id="1001", account_login="jdoe", account_type="unix", display_name="John Doe"),
        _sco(
            "windows-registry-key",
            48,
            key="hkey_local_machine\\system\\bar\\foo",
            values=[{"name": "Foo", "data": "qwerty", "data_type": "REG_SZ"}],
        ),
        _sco(
            "x509-certificate",
            49,
            issuer="C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc",
            serial_number="36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06",
            hashes={"SHA-1": "4dfe4b1f0a1bfe2b8c35d94b2cd9d7aeab5f5f4e"},
        ),
        _sco("acme-ticket", 50, ticket="INC-4711", extensions={extension: {"extension_type": "new-sco"}}),
    ]
    meta = [
        _sdo(
            "extension-definition",
            99,
            name="ACME tickets",
            schema="https://example.com/acme/ticket.json",
            version="1.0.0",
            extension_types=["new-sco"],
            created_by_ref=PRODUCER["id"],
        ),
        _sdo(
            "language-content",
            51,
            object_ref=MALWARE_FAMILY["id"],
            object_modified=STAMP,
            contents={"de": {"name": "Giftefeu"}},
        ),
    ]
    return [*sdos, *sros, *scos, *meta]
