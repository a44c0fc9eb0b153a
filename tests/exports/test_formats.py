"""Each export format through the API: valid for the tools that read it, bounded by the policy."""

from __future__ import annotations

import csv
import io
import re

import dns.rdatatype
import dns.zone
import orjson
import pytest
from django.conf import settings
from idstools import rule as idsrule
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from accord.exports.benign import register_benign_check, unregister_benign_check
from accord.formats.detection import rpz_ip_owner, rule_content
from accord.formats.markings import TLP2_EXTENSION, TLP2_IDS
from accord.formats.misp import MispReader
from accord.formats.writers import HANDLING_EXTENSION
from accord.sharing.models import Observable
from tests.exports.conftest import ETH, IBAN, NOTE_ID, ODD_URL, RED_ID
from tests.ids import row
from tests.stix_samples import bundle, indicator

EXPORTS = "/api/v1/exports/"


def body_of(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    return b"".join(response.streaming_content)


def stix(client, **params) -> dict:
    return orjson.loads(body_of(client.get(f"{EXPORTS}stix/", params)))


def test_stix_bundle_is_valid_with_tlp_and_handling_markings(api_for, shared):
    raw = body_of(api_for("analyst").get(f"{EXPORTS}stix/"))
    results = validate_string(raw.decode(), ValidationOptions())
    assert results.is_valid, [str(e) for e in results.errors]
    bundle = orjson.loads(raw)
    by_id = {o["id"]: o for o in bundle["objects"]}
    assert RED_ID not in by_id  # TLP:RED is never exported, even to a named recipient
    amber_strict = by_id[TLP2_IDS["amber+strict"]]
    assert amber_strict["extensions"][TLP2_EXTENSION] == {
        "extension_type": "property-extension",
        "tlp_2_0": "amber+strict",
    }
    assert amber_strict["created"] == "2022-10-01T00:00:00.000Z" and amber_strict["name"] == "TLP:AMBER+STRICT"
    handling = [
        o
        for o in bundle["objects"]
        if o["type"] == "marking-definition" and HANDLING_EXTENSION in o.get("extensions", {})
    ]
    assert len(handling) == 1
    terms = handling[0]["extensions"][HANDLING_EXTENSION]
    assert terms["iep"]["iep_version"] == "2.0"
    assert terms["iep"]["permitted_actions"] == "internally-visible-actions"
    assert terms["iep"]["provider_attribution"] == "must-not"
    assert terms["provider"] == "Atlas Bank Group"  # the host may know its sources
    indicator = by_id["indicator--00000000-0000-4000-8000-000000000001"]
    assert indicator["object_marking_refs"] == [TLP2_IDS["green"], handling[0]["id"]]
    conditions = indicator["extensions"][HANDLING_EXTENSION]
    assert conditions["purpose"] == "investigation" and conditions["data_category"] == "technical_indicator"
    assert conditions["retain_until"].endswith("Z")
    assert by_id["x-accord-bank-account--00000000-0000-4000-8000-0000000000bb"]["iban"] == IBAN
    person = by_id["identity--00000000-0000-4000-8000-0000000000aa"]
    assert person["contact_information"] and person["extensions"][HANDLING_EXTENSION]["data_subject"] == "suspect"


def test_a_partner_gets_what_the_policy_allows_redacted_and_unattributed(api_for, shared):
    raw = body_of(api_for("partner_reader").get(f"{EXPORTS}stix/"))
    assert validate_string(raw.decode(), ValidationOptions()).is_valid
    objects = {o["id"]: o for o in orjson.loads(raw)["objects"]}
    shared_ids = {i for i in objects if i.startswith(("indicator", "x-accord", "identity--0000", "note"))}
    assert shared_ids == {
        "indicator--00000000-0000-4000-8000-000000000001",
        "indicator--00000000-0000-4000-8000-000000000003",
        "indicator--00000000-0000-4000-8000-000000000004",
        "indicator--00000000-0000-4000-8000-000000000005",
        NOTE_ID,
    }  # not AMBER+STRICT, not RED; not the bank account, wallet and person whose values are withheld
    assert "created_by_ref" not in objects[NOTE_ID]  # the bank's agreement forbids attribution
    handling = next(
        o
        for o in objects.values()
        if HANDLING_EXTENSION in o.get("extensions", {}) and o["type"] == "marking-definition"
    )
    assert "provider" not in handling["extensions"][HANDLING_EXTENSION]  # attribution: must-not
    assert IBAN not in raw.decode() and ETH not in raw.decode()
    with_host = {o["id"] for o in stix(api_for("analyst"))["objects"]}
    assert {NOTE_ID, "identity--00000000-0000-4000-8000-0000000000aa"} <= with_host


def test_misp_event_loads_in_pymisp_and_reads_back(api_for, shared):
    raw = body_of(api_for("analyst").get(f"{EXPORTS}misp/"))
    event = MISPEvent()
    event.load(raw.decode())
    values = {(a.type, a.value) for a in event.attributes}
    assert ("ip-dst", "91.215.85.203") in values and ("ip-dst", "2a0e:1c80:7::1f") in values
    assert ("domain", "login-bank-verify.info") in values and ("iban", IBAN) in values
    assert ("ip-dst", "198.51.100.9") not in values  # RED
    wallet = next(o for o in event.objects if o.name == "coin-address")
    assert {a.object_relation: a.value for a in wallet.attributes} == {"address": ETH, "symbol": "ETH"}
    tags = {t.name for a in event.attributes for t in a.tags}
    assert {"tlp:green", "tlp:amber+strict", 'accord:crime-type="phishing"'} <= tags
    assert [t.name for t in event.tags] == ["tlp:amber+strict"]  # the most restrictive
    read = list(MispReader().read(io.BytesIO(raw)))  # Accord's own reader takes it back
    assert all(hasattr(item, "mentions") for item in read), read
    found = {(m.type, m.value) for item in read for m in item.mentions}
    assert {("eth", ETH), ("iban", IBAN), ("ipv6", "2a0e:1c80:7::1f"), ("domain", "phish-kit-host.net")} <= found


def test_misp_export_carries_every_observable_type_and_network_blocks(api_for, shared):
    """Numbers, mutexes, registry keys, user accounts and CIDR blocks come out as MISP attribute
    types (or a template object) that PyMISP loads and Accord's own reader takes back."""
    sent = [
        indicator(0x41, "[ipv4-addr:value = '203.0.113.0/24']"),
        indicator(0x42, "[autonomous-system:number = 64496]"),
        indicator(0x43, "[mutex:name = 'Global\\\\kestrel-lock']"),
        indicator(0x44, "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software\\\\Kestrel']"),
        indicator(0x45, "[user-account:account_login = 'jdoe77']"),
    ]
    upload = io.BytesIO(bundle(*sent))
    upload.name = "more.json"
    assert api_for(shared).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    raw = body_of(api_for("analyst").get(f"{EXPORTS}misp/"))
    event = MISPEvent()
    event.load(raw.decode())
    values = {(a.type, a.value) for a in event.attributes}
    assert {
        ("ip-dst", "203.0.113.0/24"),
        ("AS", "64496"),
        ("mutex", "Global\\kestrel-lock"),
        ("regkey", "HKEY_LOCAL_MACHINE\\software\\kestrel"),
    } <= values
    account = next(o for o in event.objects if o.name == "user-account")
    assert [(a.object_relation, a.type, a.value) for a in account.attributes] == [("username", "text", "jdoe77")]
    read = list(MispReader().read(io.BytesIO(raw)))
    found = {(m.type, m.value) for item in read for m in item.mentions}
    assert {
        ("ipv4", "203.0.113.0/24"),
        ("asn", "64496"),
        ("mutex", "Global\\kestrel-lock"),
        ("registry_key", "HKEY_LOCAL_MACHINE\\software\\kestrel"),
    } <= found


def test_misp_for_a_partner_leaves_out_withheld_values(api_for, shared):
    raw = body_of(api_for("partner_reader").get(f"{EXPORTS}misp/"))
    event = MISPEvent()
    event.load(raw.decode())
    assert {a.value for a in event.attributes} == {"91.215.85.203", ODD_URL, "phish-kit-host.net", "2a0e:1c80:7::1f"}
    assert event.objects == []


def test_csv_rows_per_observable(api_for, shared):
    text = body_of(api_for("partner_reader").get(f"{EXPORTS}csv/", {"observable_type": ["ipv4", "ipv6"]})).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["type"], r["value"], r["tlp"]) for r in rows] == [
        ("ipv4", "91.215.85.203", "green"),
        ("ipv6", "2a0e:1c80:7::1f", "green"),
    ]
    assert rows[0]["stix_id"] == "indicator--00000000-0000-4000-8000-000000000001"
    assert rows[0]["crime_type"] == "phishing" and rows[0]["purpose"] == "investigation"


@pytest.mark.parametrize("fmt", ["suricata", "snort"])
def test_rules_parse_with_unique_sids_and_escaped_content(api_for, shared, fmt):
    text = body_of(api_for("analyst").get(f"{EXPORTS}{fmt}/")).decode()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rules = [idsrule.parse(line) for line in lines]
    assert all(rules), [line for line, parsed in zip(lines, rules, strict=True) if not parsed]
    sids = [r.sid for r in rules]
    assert len(sids) == len(set(sids)) and len(rules) == 7  # 2 IPs, 2 domains x (DNS, TLS), 1 URL
    url_rule = next(line for line in lines if "ACCORD URL" in line)
    assert "|3B|b|22|c|7C|d?x=1" in url_rule  # ; " | as bytes, never raw in a content string
    assert 'msg:"ACCORD URL http://login-bank-verify.info/a\\;b\\"c|d?x=1 (TLP:GREEN)"' in url_rule
    assert "198.51.100.9" not in text and IBAN not in text
    assert all("metadata:tlp " in line for line in lines)
    again = body_of(api_for("analyst").get(f"{EXPORTS}{fmt}/")).decode()
    assert [idsrule.parse(line).sid for line in again.splitlines() if line and not line.startswith("#")] == sids
    # Neither the metadata nor the sid tells an observable's row number (nor how many are stored).
    base, rows = settings.ACCORD_EXPORT_SID_BASE, set(Observable.objects.values_list("pk", flat=True))
    named = {int(re.search(r"accord_observable (\d+)", line).group(1)) for line in lines}
    assert named and not named & rows and {row(n) for n in named} <= rows
    assert not {(sid - base) // 4 for sid in sids} & rows and all(base < sid < 2**32 for sid in sids)


def test_suricata_rule_shapes(api_for, shared):
    text = body_of(api_for("analyst").get(f"{EXPORTS}suricata/")).decode()
    assert (
        'alert dns any any -> any any (msg:"ACCORD DNS query phish-kit-host.net (TLP:GREEN)"; '
        'dns.query; dotprefix; content:".phish-kit-host.net"; nocase; endswith;'
    ) in text
    assert "alert tls any any -> any any" in text and "tls.sni; dotprefix;" in text
    assert "alert ip any any <> 2a0e:1c80:7::1f any" in text
    assert 'http.host; content:"login-bank-verify.info"; bsize:22;' in text


def test_rpz_zone_is_valid_with_soa_and_ns(api_for, shared):
    text = body_of(api_for("analyst").get(f"{EXPORTS}rpz/")).decode()
    zone = dns.zone.from_text(text, origin="rpz.example.", relativize=True, check_origin=True)
    names = {str(name) for name in zone.nodes}
    assert {"login-bank-verify.info", "*.login-bank-verify.info", "phish-kit-host.net"} <= names
    assert {"32.203.85.215.91.rpz-ip", "128.1f.zz.7.1c80.2a0e.rpz-ip"} <= names
    assert zone.get_rdataset("@", dns.rdatatype.SOA) and zone.get_rdataset("@", dns.rdatatype.NS)
    assert not any("198.51.100.9" in n or "100.51.198" in n for n in names)


def test_rpz_ip_owner_names():
    assert rpz_ip_owner("192.0.2.1") == "32.1.2.0.192.rpz-ip"
    assert rpz_ip_owner("2001:db8::1") == "128.1.zz.db8.2001.rpz-ip"
    assert rpz_ip_owner("2001:db8:0:1:0:0:0:1") == "128.1.zz.1.0.db8.2001.rpz-ip"
    assert rpz_ip_owner("2001:db8:1:2:3:4:5:6") == "128.6.5.4.3.2.1.db8.2001.rpz-ip"


def test_rule_content_escapes():
    assert rule_content('a;b"c\\d|e f') == "a|3B|b|22|c|5C|d|7C|e|20|f"
    assert rule_content("ü") == "|C3 BC|"


def test_blocklist_of_one_type(api_for, shared):
    client = api_for("partner_reader")
    response = client.get(f"{EXPORTS}blocklist/", {"observable_type": "domain"})
    text = body_of(response).decode()
    assert [line for line in text.splitlines() if not line.startswith("#")] == ["phish-kit-host.net"]
    assert 'filename="accord-blocklist-domain-' in response["Content-Disposition"]
    missing = client.get(f"{EXPORTS}blocklist/")
    assert missing.status_code == 400 and "observable_type" in missing.json()["error"]["message"]
    ibans = body_of(api_for("analyst").get(f"{EXPORTS}blocklist/", {"observable_type": "iban"})).decode()
    assert IBAN in ibans.splitlines()
    assert IBAN not in body_of(client.get(f"{EXPORTS}blocklist/", {"observable_type": "iban"})).decode()


def test_known_benign_values_are_left_out_of_detection_exports_only(api_for, shared):
    def check(kind: str, value: str) -> str | None:
        return "test list" if value == "phish-kit-host.net" else None

    register_benign_check(check)
    try:
        client = api_for("analyst")
        for fmt in ("suricata", "snort", "rpz"):
            assert "phish-kit-host.net" not in body_of(client.get(f"{EXPORTS}{fmt}/")).decode()
        blocklist = body_of(client.get(f"{EXPORTS}blocklist/", {"observable_type": "domain"})).decode()
        assert "phish-kit-host.net" not in blocklist and "login-bank-verify.info" in blocklist
        assert "phish-kit-host.net" in body_of(client.get(f"{EXPORTS}stix/")).decode()
        assert "phish-kit-host.net" in body_of(client.get(f"{EXPORTS}csv/")).decode()
    finally:
        unregister_benign_check(check)


def test_network_blocks_are_exported_as_networks(api_for, shared):
    """A CIDR block kept as an observable becomes an RPZ network trigger, a rule on the network
    and a STIX pattern on the block, so that every tool reads the whole network."""
    upload = io.BytesIO(
        bundle(
            indicator(0x51, "[ipv4-addr:value = '112.64.0.0/15']", object_marking_refs=[TLP2_IDS["green"]]),
            indicator(0x52, "[ipv6-addr:value = '2001:db8:aa::/48']", object_marking_refs=[TLP2_IDS["green"]]),
        )
    )
    upload.name = "blocks.json"
    assert api_for(shared).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    client = api_for("analyst")
    text = body_of(client.get(f"{EXPORTS}rpz/")).decode()
    names = {str(name) for name in dns.zone.from_text(text, origin="rpz.example.", relativize=True).nodes}
    assert {"15.0.0.64.112.rpz-ip", "48.zz.aa.db8.2001.rpz-ip"} <= names
    assert "alert ip any any <> 112.64.0.0/15 any" in body_of(client.get(f"{EXPORTS}suricata/")).decode()
    patterns = {o.get("pattern") for o in stix(client)["objects"]}
    assert "[ipv4-addr:value = '112.64.0.0/15']" in patterns
