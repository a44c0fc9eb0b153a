"""Exports loaded by the tools that read them, with their default settings: ``suricata -T`` on
Suricata rules, ``named-checkzone`` on RPZ zones, ``stix2.parse`` and ``stix2-validator`` on
STIX bundles (PyMISP's ``MISPEvent.load`` is in test_formats.py); CSV cells no spreadsheet
evaluates; detection files that say what they left out as known-benign.

The binaries come from Debian (``suricata`` from bookworm-backports, ``bind9-utils``): ``.ci/run``
installs them, and these tests fail in CI (``CI`` set) when they are missing, and skip elsewhere.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from io import StringIO

import orjson
import pytest
import stix2
from django.core.management import call_command
from stix2validator import ValidationOptions, validate_string

from accord.exports.benign import register_benign_check, unregister_benign_check
from accord.formats.csvfile import FORMULA_STARTS, CsvReader
from accord.formats.extensions import NEW_SCO_EXTENSIONS, PROPERTIES_EXTENSION
from accord.formats.markings import TLP2_EXTENSION, TLP2_IDS
from tests.exports.conftest import IBAN, ODD_URL
from tests.exports.test_formats import EXPORTS, body_of
from tests.factories import UserFactory
from tests.stix_samples import bundle, indicator

GREEN = [TLP2_IDS["green"]]


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run installs it (make tools)")
        pytest.skip(f"{name} is not installed (make tools installs it)")
    return path


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def share(api_for, other_partner, *objects) -> None:
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    upload = io.BytesIO(bundle(*objects, id="bundle--0d1c7a44-3f0e-4a5e-9d8c-2b1f4e6a7c90"))
    upload.name = "more.json"
    response = api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()["error"]["message"]


# -- STIX ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["analyst", "partner_reader"])
def test_stix_exports_parse_with_the_stix2_librarys_defaults(api_for, shared, who):
    client = api_for(who)
    raw = body_of(client.get(f"{EXPORTS}stix/"))
    assert validate_string(raw.decode(), ValidationOptions()).is_valid
    exported = orjson.loads(raw)
    by_id = {o["id"]: o for o in exported["objects"]}
    for obj in exported["objects"]:
        stix2.parse(obj)  # defaults: allow_custom=False; raises on an undeclared property
        if any(key.startswith("x_accord_") for key in obj):
            assert obj["extensions"][PROPERTIES_EXTENSION] == {"extension_type": "toplevel-property-extension"}
        for extension in obj.get("extensions", {}):
            if extension != TLP2_EXTENSION:  # FIRST publishes that one
                assert by_id[extension]["type"] == "extension-definition"  # its definition travels with it
    indicators = body_of(client.get(f"{EXPORTS}stix/", {"type": "indicator"}))
    parsed = stix2.parse(indicators.decode())  # the whole bundle, as a consumer reads a file
    assert {o.type for o in parsed.objects} >= {"indicator", "extension-definition", "marking-definition"}
    assert any("x_accord_data_category" in o for o in parsed.objects if o.type == "indicator")


def test_an_export_shared_back_in_adds_no_second_copy_of_the_platforms_own_objects(api_for, shared):
    """A partner that shares an Accord export back (a round trip through its own tools) sends the
    platform's identity and extension definitions with it: they are taken as the platform's, not
    stored as the partner's data, so no later export holds two objects of one id."""
    exported = orjson.loads(body_of(api_for("partner_reader").get(f"{EXPORTS}stix/")))
    own = [o for o in exported["objects"] if o["type"] in ("identity", "extension-definition")]
    assert len(own) == 6  # the host's identity and Accord's five extensions
    altered = dict(own[-1], description="Another meaning under Accord's id")
    upload = io.BytesIO(orjson.dumps({**exported, "objects": [*exported["objects"], altered]}))
    upload.name = "round-trip.json"
    response = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    (refusal,) = response.json()["errors"]
    assert refusal["field"] == "id" and "this platform's own" in refusal["message"]
    raw = body_of(api_for("analyst").get(f"{EXPORTS}stix/"))
    ids = [o["id"] for o in orjson.loads(raw)["objects"]]
    assert len(ids) == len(set(ids))
    assert validate_string(raw.decode(), ValidationOptions()).is_valid


def test_accords_own_observables_are_declared_new_sco_types(api_for, shared):
    exported = orjson.loads(body_of(api_for("analyst").get(f"{EXPORTS}stix/")))
    by_id = {o["id"]: o for o in exported["objects"]}
    account = by_id["x-accord-bank-account--00000000-0000-4000-8000-0000000000bb"]
    definition = NEW_SCO_EXTENSIONS["x-accord-bank-account"]
    assert account["extensions"][definition] == {"extension_type": "new-sco"} and account["iban"] == IBAN
    assert by_id[definition]["extension_types"] == ["new-sco"]
    assert stix2.parse(account) == account  # the library hands a declared new object type back as is


# -- Suricata and RPZ ---------------------------------------------------------------------------------

ODD = [
    indicator(40, "[url:value = 'http://Mixed-Case.phish-kit-host.net:8080/P%20x?q=A%22b']", object_marking_refs=GREEN),
    indicator(41, "[url:value = 'https://xn--bcher-kva.de/a|b;c']", object_marking_refs=GREEN),
    indicator(42, "[domain-name:value = 'bücher.de']", object_marking_refs=GREEN),
    indicator(43, "[ipv4-addr:value = '91.215.85.77']", object_marking_refs=GREEN, labels=['a "b"; c']),
]


def test_suricata_loads_every_exported_rule(api_for, shared, other_partner, tmp_path):
    suricata = tool("suricata")
    share(api_for, other_partner, *ODD)
    rules = tmp_path / "accord.rules"
    rules.write_bytes(body_of(api_for("analyst").get(f"{EXPORTS}suricata/")))
    assert rules.read_text().count("ACCORD URL") == 3 and ODD_URL.split("/")[2] in rules.read_text()
    checked = run(suricata, "-T", "-S", str(rules), "-l", str(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "error parsing signature" not in checked.stdout + checked.stderr


def test_named_checkzone_loads_the_rpz_zone(api_for, shared, other_partner, tmp_path):
    checkzone = tool("named-checkzone")
    share(api_for, other_partner, *ODD)
    zone = tmp_path / "accord.rpz"
    zone.write_bytes(body_of(api_for("analyst").get(f"{EXPORTS}rpz/")))
    checked = run(checkzone, "rpz.example", str(zone))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "xn--bcher-kva.de CNAME ." in zone.read_text()


# -- CSV ------------------------------------------------------------------------------------------------

FORMULAS = [
    indicator(50, "[email-addr:value = '=cmd|calc@example.org']", object_marking_refs=GREEN, labels=["@SUM(1+1)"]),
    indicator(51, "[email-addr:value = '-2+3@example.org']", object_marking_refs=GREEN, labels=["+bec"]),
    indicator(52, "[email-addr:value = 'plain@example.org']", object_marking_refs=GREEN, labels=["phishing"]),
]


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised_and_read_back(api_for, shared, other_partner):
    share(api_for, other_partner, *FORMULAS)
    text = body_of(api_for("analyst").get(f"{EXPORTS}csv/", {"observable_type": "email"})).decode()
    rows = list(csv.DictReader(StringIO(text)))
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert {(r["value"], r["crime_type"]) for r in rows} == {
        ("'=cmd|calc@example.org", "'@sum(1+1)"),
        ("'-2+3@example.org", "'+bec"),
        ("plain@example.org", "phishing"),  # nothing to neutralise: as it was
    }
    again = "type,value,tlp\n" + "".join(f"{r['type']},{r['value']},{r['tlp']}\n" for r in rows)
    read = list(CsvReader().read(io.BytesIO(again.encode())))
    assert {m.value for item in read for m in item.mentions} == {
        "=cmd|calc@example.org",
        "-2+3@example.org",
        "plain@example.org",
    }


# -- Known-benign values in detection exports ---------------------------------------------------------


def _header(text: str, comment: str = "#") -> list[str]:
    return [line for line in text.splitlines() if line.startswith(comment)]


@pytest.fixture
def benign():
    reasons = {"phish-kit-host.net": "List of known hosting providers", "login-bank-verify.info": "Top sites"}

    def check(kind: str, value: str) -> str | None:
        return reasons.get(value)

    register_benign_check(check)
    yield reasons
    unregister_benign_check(check)


def test_a_detection_export_says_how_many_values_it_left_out_and_lists_them_on_request(api_for, shared, benign):
    client = api_for("analyst")
    text = body_of(client.get(f"{EXPORTS}suricata/")).decode()
    assert "# Left out as known-benign (warning lists): 2 values (show_suppressed=true" in text
    rules = [line for line in text.splitlines() if not line.startswith("#")]
    assert rules and not [line for line in rules if "DNS query phish-kit" in line or "DNS query login-bank" in line]
    assert not [line for line in _header(text) if "phish-kit-host.net" in line]  # not named unless asked
    shown = _header(body_of(client.get(f"{EXPORTS}suricata/", {"show_suppressed": "true"})).decode())
    assert "# Left out as known-benign (warning lists): 2 values:" in shown
    assert "#   domain login-bank-verify.info -- Top sites" in shown
    assert "#   domain phish-kit-host.net -- List of known hosting providers" in shown
    zone = body_of(client.get(f"{EXPORTS}rpz/", {"show_suppressed": "1"})).decode()
    assert ";   domain phish-kit-host.net -- List of known hosting providers" in zone
    refused = client.get(f"{EXPORTS}stix/", {"show_suppressed": "true"})
    assert refused.status_code == 400 and "show_suppressed" in refused.json()["error"]["message"]
    out = StringIO()
    call_command("export", "--format", "blocklist", "--as", "analyst", "--observable-type", "domain",
                 "--show-suppressed", stdout=out, stderr=StringIO())  # fmt: skip
    assert "#   domain phish-kit-host.net -- List of known hosting providers" in out.getvalue().splitlines()


def test_values_withheld_from_the_reader_are_not_counted_as_left_out(api_for, shared, benign):
    """The AMBER+STRICT domain is benign too, but a partner may not receive it: its header reads
    exactly as if that value had never been shared (one value left out, the one it may see)."""
    shown = _header(body_of(api_for("partner_reader").get(f"{EXPORTS}rpz/", {"show_suppressed": "true"})).decode(), ";")
    assert shown[-2:] == [
        "; Left out as known-benign (warning lists): 1 value:",
        ";   domain phish-kit-host.net -- List of known hosting providers",
    ]
    del benign["login-bank-verify.info"]  # as if nothing named it: the partner's file is the same
    again = _header(body_of(api_for("partner_reader").get(f"{EXPORTS}rpz/", {"show_suppressed": "true"})).decode(), ";")
    assert again[-2:] == shown[-2:]
