"""Markings as markings (STIX 2.1 §7.2): marking definitions kept in their own store, never as
shared data, the standard TLP ones never stored or altered, the others travelling with the
objects that refer to them; granular markings enforced by the policy, field by field, on the
platform, over TAXII and in exports, which real tools still load.

The markings below follow the examples of STIX 2.1 (§7.2): a statement marking (§7.2.1.3), the
published TLP definitions (§7.2.1.4 and TLP 2.0), granular markings on a property, on a list
item's property and on a list item (§7.2.3); the OASIS object-marking example is real data."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
import stix2
from stix2validator import ValidationOptions, validate_string

from accord.core.choices import OrganisationKind
from accord.formats.markings import TLP1_IDS, TLP2_IDS, tlp_marking
from accord.sharing.models import MarkingDefinition, StixObject
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import STAMP, bundle, indicator
from tests.taxii.conftest import Taxii, secret_for

pytestmark = pytest.mark.django_db

EXPORTS = "/api/v1/exports/"
REALDATA = Path(__file__).parent.parent / "data" / "realdata"
PAGE_BUNDLE = "bundle--11111111-1111-4111-8111-111111111111"  # a TAXII page, validated as a bundle
GREEN, AMBER, RED = TLP2_IDS["green"], TLP2_IDS["amber"], TLP2_IDS["red"]
TLP1_WHITE = next(ref for ref, label in TLP1_IDS.items() if label == "clear")
STATEMENT_ID = "marking-definition--0f2e6c2a-3b1d-4c55-9a7e-6b1f0d3e9a11"
STRICT_STATEMENT_ID = "marking-definition--7a4c2b9e-1d3f-4e8a-b6c5-2f9d8e7a6b22"
STATEMENT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": STATEMENT_ID,
    "created": "2016-08-01T00:00:00.000Z",
    "definition_type": "statement",
    "definition": {"statement": "Copyright 2026, Kestrel Threat Labs"},
}
STRICT_STATEMENT = STATEMENT | {"id": STRICT_STATEMENT_ID, "definition": {"statement": "For the hub only"}}
TLP1_WHITE_AS_PUBLISHED = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": TLP1_WHITE,
    "created": "2017-01-20T00:00:00.000Z",
    "definition_type": "tlp",
    "name": "TLP:WHITE",
    "definition": {"tlp": "white"},
}
CAMPAIGN = {
    "type": "campaign",
    "spec_version": "2.1",
    "id": "campaign--3c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
    "created": STAMP,
    "modified": STAMP,
    "name": "Spear Phishing",
    "description": "Run by a named insider at the bank.",
    "external_references": [
        {"source_name": "internal", "url": "https://intranet.example/case/123", "external_id": "CASE-123"},
        {"source_name": "capec", "external_id": "CAPEC-163"},
    ],
    "labels": ["phishing", "bec"],
    "object_marking_refs": [GREEN, STATEMENT_ID],
    "granular_markings": [
        {"marking_ref": RED, "selectors": ["description", "external_references.[0].url"]},
        {"marking_ref": STATEMENT_ID, "selectors": ["labels"]},
        {"marking_ref": TLP1_WHITE, "selectors": ["name", "external_references.[1]"]},
    ],
}
AMBER_NOTE = indicator(
    1,
    "[domain-name:value = 'login-bank-verify.example']",
    object_marking_refs=[GREEN],
    description="Seen in the bank's own mail gateway.",
    granular_markings=[{"marking_ref": AMBER, "selectors": ["description"]}],
)
STRICT = indicator(
    2, "[ipv4-addr:value = '198.51.100.7']", object_marking_refs=[TLP2_IDS["amber+strict"], STRICT_STATEMENT_ID]
)
SENT = [TLP1_WHITE_AS_PUBLISHED, tlp_marking("green"), STATEMENT, STRICT_STATEMENT, CAMPAIGN, AMBER_NOTE, STRICT]


@pytest.fixture
def kestrel(partner: Any, people: Any, settings: Any, tmp_path: Any, api_for: Any) -> dict[str, Any]:
    """Kestrel (the partner) shares the objects above; a bank reads as a private partner."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    collections_sync()
    bank = OrganisationFactory(name="Atlas Bank Group", kind=OrganisationKind.PRIVATE, country="GB")
    make_agreement(bank)
    reader = UserFactory(username="bank-reader", organisation=bank, role="partner_reader")
    response = post(api_for("partner_contributor"), bundle(*SENT))
    assert response.status_code == 201, response.json()
    assert response.json()["rejected_count"] == 0, response.json()["errors"]
    return {"reader": reader, "submission": response.json()}


def post(client: Any, raw: bytes) -> Any:
    upload = io.BytesIO(raw)
    upload.name = "markings.json"
    return client.post("/api/v1/submissions/", {"file": upload}, format="multipart")


def exported(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get(f"{EXPORTS}stix/", params)
    assert response.status_code == 200, response.content[:500]
    raw = b"".join(response.streaming_content)
    assert_tools_take(raw)
    return orjson.loads(raw)


def assert_tools_take(raw: bytes) -> None:
    """stix2-validator (default options) takes the bundle, ``stix2.parse`` (defaults) each object."""
    result = validate_string(raw.decode(), ValidationOptions())
    assert result.is_valid, [str(e) for e in result.errors]
    for obj in orjson.loads(raw)["objects"]:
        stix2.parse(obj)


def by_id(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        found.setdefault(obj["id"], []).append(obj)
    return found


def taxii_page(user: Any, path: str = "") -> Any:
    shared = Collection.objects.get(alias="shared").pk
    return Taxii(user, secret_for(user)).get(f"collections/{shared}/objects/{path}")


# -- the store ---------------------------------------------------------------------------------------


def test_marking_definitions_are_kept_apart_and_the_standard_tlp_ones_never_stored(kestrel, api_for):
    assert not StixObject.objects.filter(type="marking-definition").exists()
    stored = {d.stix_id: d.body for d in MarkingDefinition.objects.all()}
    assert stored == {STATEMENT_ID: STATEMENT, STRICT_STATEMENT_ID: STRICT_STATEMENT}  # as sent, nothing added
    assert kestrel["submission"]["new_count"] == 3  # the shared objects only
    listed = api_for("analyst").get("/api/v1/objects/", {"page_size": 100}).json()
    assert {o["stix_id"] for o in listed["results"]} == {CAMPAIGN["id"], AMBER_NOTE["id"], STRICT["id"]}


def test_a_definition_sent_again_is_a_no_op_and_one_that_alters_a_known_id_is_refused_alone(kestrel, api_for):
    altered_tlp = tlp_marking("green") | {"name": "TLP:GREEN (ours)"}
    altered = STATEMENT | {"definition": {"statement": "Public domain"}}
    same_tlp1 = TLP1_WHITE_AS_PUBLISHED | {"created": "2017-01-20T00:00:00Z"}  # the same instant
    extra = indicator(9, "[ipv4-addr:value = '203.0.113.9']", object_marking_refs=[GREEN, STATEMENT_ID])
    response = post(api_for("partner_contributor"), bundle(STATEMENT, same_tlp1, altered_tlp, altered, extra))
    body = response.json()
    assert (body["status"], body["rejected_count"], body["new_count"]) == ("done", 2, 1), body
    errors = {(e["where"].split(" (")[0], e["field"]) for e in body["errors"]}
    assert errors == {("object 2", "id"), ("object 3", "id")}
    assert "standard TLP" in body["errors"][0]["message"] and "immutable" in body["errors"][1]["message"]
    assert MarkingDefinition.objects.get(stix_id=STATEMENT_ID).body == STATEMENT  # never altered
    assert MarkingDefinition.objects.count() == 2


@pytest.mark.parametrize(
    ("selector", "why"),
    [("description..x", "is not a selector"), ("external_references.[7].url", "selects nothing"), ("[0]", "is not")],
)
def test_a_granular_selector_that_cannot_be_read_is_refused_for_that_object_alone(kestrel, api_for, selector, why):
    bad = copy.deepcopy(CAMPAIGN) | {"id": "campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0062"}
    bad["granular_markings"] = [{"marking_ref": RED, "selectors": ["name", selector]}]
    good = indicator(8, "[ipv4-addr:value = '203.0.113.8']", object_marking_refs=[GREEN])
    body = post(api_for("partner_contributor"), bundle(good, bad)).json()
    assert (body["status"], body["rejected_count"], body["new_count"]) == ("done", 1, 1), body
    (error,) = body["errors"]
    assert error["where"].startswith("object 1 (campaign--") and error["field"] == "granular_markings"
    assert repr(selector) in error["message"] and why in error["message"]


# -- granular markings, decided by the policy ---------------------------------------------------------


def test_a_granular_red_field_stays_on_the_platform_even_for_its_originator(kestrel, api_for):
    on_platform = api_for("partner_reader").get("/api/v1/objects/", {"type": "campaign"}).json()["results"][0]
    assert on_platform["body"]["description"] == CAMPAIGN["description"]  # its originator, on the platform
    for who in ("partner_reader", "analyst"):  # exports: nobody takes RED out
        campaign = by_id(exported(api_for(who))["objects"])[CAMPAIGN["id"]][0]
        assert "description" not in campaign and "url" not in campaign["external_references"][0]
        assert campaign["external_references"][1] == CAMPAIGN["external_references"][1]
        assert campaign["granular_markings"] == [
            {"marking_ref": STATEMENT_ID, "selectors": ["labels"]},
            {"marking_ref": TLP1_WHITE, "selectors": ["name", "external_references.[1]"]},
        ]


def test_a_granular_amber_field_is_withheld_from_a_reader_who_may_not_receive_amber(kestrel, api_for, people):
    reader = kestrel["reader"]
    seen = api_for(reader).get("/api/v1/objects/", {"type": "indicator"}).json()["results"]
    (note,) = [o["body"] for o in seen if o["stix_id"] == AMBER_NOTE["id"]]
    assert "description" not in note and "granular_markings" not in note
    assert note["pattern"] == AMBER_NOTE["pattern"]  # the object itself is GREEN: it is served
    host = api_for("analyst").get("/api/v1/objects/", {"type": "indicator"}).json()["results"]
    assert [o["body"]["description"] for o in host if o["stix_id"] == AMBER_NOTE["id"]] == [AMBER_NOTE["description"]]
    explained = api_for(reader).get("/api/v1/policy/explain/", {"object": AMBER_NOTE["id"]}).json()
    assert "TLP:AMBER" in str(explained) and "description" in str(explained)

    page = taxii_page(reader).json()
    (served,) = [o for o in page["objects"] if o["id"] == AMBER_NOTE["id"]]
    assert "description" not in served
    (whole,) = [o for o in taxii_page(people["analyst"]).json()["objects"] if o["id"] == AMBER_NOTE["id"]]
    assert whole["description"] == AMBER_NOTE["description"]  # the host receives AMBER


def test_a_value_in_a_field_marked_amber_is_not_learnt_through_observables_or_filters(kestrel, api_for, people):
    """The link between an object and a value does not say which field holds it: an object with
    a field the reader may not receive gives it none of its values, in the observables list or
    through a filter, exactly as a value it never sent."""
    value = "amber-gateway.example"
    marked = indicator(
        21,
        f"[domain-name:value = '{value}']",
        object_marking_refs=[GREEN],
        granular_markings=[{"marking_ref": AMBER, "selectors": ["pattern"]}],
    )
    assert post(api_for("partner_contributor"), bundle(marked)).json()["rejected_count"] == 0
    reader = api_for(kestrel["reader"])
    listed = reader.get("/api/v1/observables/", {"value": value}).json()
    assert listed["count"] == 0
    for params in ({"observable": value}, {"value_prefix": "amber-gate"}):
        assert reader.get("/api/v1/objects/", params).json()["count"] == 0, params
    host = api_for("analyst")
    assert host.get("/api/v1/observables/", {"value": value}).json()["count"] == 1
    assert host.get("/api/v1/objects/", {"observable": value}).json()["count"] == 1


def test_a_report_reference_marked_amber_names_nothing_through_the_contents_filter(kestrel, api_for):
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": "report--5b2f1d3e-4a6c-4e8b-9d0f-1a2b3c4d5e6f",
        "created": STAMP,
        "modified": STAMP,
        "name": "Gateway findings",
        "published": STAMP,
        "object_refs": [AMBER_NOTE["id"], CAMPAIGN["id"]],
        "object_marking_refs": [GREEN],
        "granular_markings": [{"marking_ref": AMBER, "selectors": ["object_refs.[0]"]}],
    }
    assert post(api_for("partner_contributor"), bundle(report)).json()["rejected_count"] == 0
    listed = api_for(kestrel["reader"]).get("/api/v1/objects/", {"contents_of": report["id"]}).json()
    assert {o["stix_id"] for o in listed["results"]} == {report["id"], CAMPAIGN["id"]}
    host = api_for("analyst").get("/api/v1/objects/", {"contents_of": report["id"]}).json()
    assert {o["stix_id"] for o in host["results"]} == {report["id"], CAMPAIGN["id"], AMBER_NOTE["id"]}


def test_a_definition_named_only_by_a_granular_marking_travels_and_hyphenated_selectors_are_read(kestrel, api_for):
    sha = "ab" * 32
    only_granular = STATEMENT | {"id": "marking-definition--1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6"}
    sample = {
        "type": "file",
        "spec_version": "2.1",
        "id": "file--9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        "hashes": {"SHA-256": sha},
        "name": "invoice.pdf.exe",
        "extensions": {"windows-pebinary-ext": {"pe_type": "exe", "sections": [{"name": ".text"}]}},
        "granular_markings": [
            {"marking_ref": only_granular["id"], "selectors": ["name"]},
            {"marking_ref": GREEN, "selectors": ["extensions.windows-pebinary-ext.pe_type"]},
        ],
    }
    body = post(api_for("partner_contributor"), bundle(only_granular, sample)).json()
    assert body["rejected_count"] == 0, body["errors"]
    response = api_for("analyst").get(f"{EXPORTS}stix/")
    raw = b"".join(response.streaming_content)
    assert validate_string(raw.decode(), ValidationOptions()).is_valid  # the schema takes the selector
    found = by_id(orjson.loads(raw)["objects"])
    assert found[only_granular["id"]] == [only_granular]  # named by a granular marking only
    assert found[sample["id"]][0]["granular_markings"] == sample["granular_markings"]


# -- definitions travel with the objects ------------------------------------------------------------------


def test_exports_and_taxii_pages_carry_each_definition_once_as_sent_and_tools_take_them(kestrel, api_for, people):
    bundle_objects = exported(api_for("analyst"))["objects"]
    found = by_id(bundle_objects)
    assert found[STATEMENT_ID] == [STATEMENT] and found[STRICT_STATEMENT_ID] == [STRICT_STATEMENT]
    assert found[TLP1_WHITE] == [TLP1_WHITE_AS_PUBLISHED]  # granular TLP 1.0: its published definition
    assert all(len(copies) == 1 for copies in found.values())

    page = taxii_page(people["analyst"])
    assert page.status_code == 200
    objects = page.json()["objects"]
    assert_tools_take(orjson.dumps({"type": "bundle", "id": PAGE_BUNDLE, "objects": objects}))
    found = by_id(objects)
    assert found[STATEMENT_ID] == [STATEMENT] and all(len(copies) == 1 for copies in found.values())

    # The bank may receive the campaign (GREEN), not the AMBER+STRICT indicator.
    reader = kestrel["reader"]
    found = by_id(taxii_page(reader).json()["objects"])
    assert STATEMENT_ID in found and STRICT_STATEMENT_ID not in found and STRICT["id"] not in found
    single = taxii_page(reader, f"{STATEMENT_ID}/")
    assert single.status_code == 200 and single.json()["objects"] == [STATEMENT]
    assert taxii_page(reader, f"{STRICT_STATEMENT_ID}/").status_code == 404
    assert taxii_page(people["analyst"], f"{STRICT_STATEMENT_ID}/").json()["objects"] == [STRICT_STATEMENT]


# The statement marks only the description, which is TLP:RED.
HIDDEN = STATEMENT | {
    "id": "marking-definition--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
    "definition": {"statement": "Source: the bank's own fraud desk"},
}
MARKED = indicator(
    3,
    "[domain-name:value = 'pay-desk-verify.example']",
    object_marking_refs=[GREEN],
    description="Reported by a named customer.",
    granular_markings=[
        {"marking_ref": RED, "selectors": ["description"]},
        {"marking_ref": HIDDEN["id"], "selectors": ["description"]},
    ],
)


def test_a_definition_named_only_for_content_withheld_from_a_reader_is_not_theirs_to_read(kestrel, api_for, people):
    """The bank, which receives the indicator without its description, does not learn the
    statement, on the page or by its id."""
    hidden, marked = HIDDEN, MARKED
    body = post(api_for("partner_contributor"), bundle(hidden, marked)).json()
    assert body["rejected_count"] == 0, body["errors"]
    served = by_id(taxii_page(kestrel["reader"]).json()["objects"])
    assert marked["id"] in served and hidden["id"] not in served
    assert "description" not in served[marked["id"]][0]
    assert taxii_page(kestrel["reader"], f"{hidden['id']}/").status_code == 404
    assert taxii_page(kestrel["reader"], f"{STATEMENT_ID}/").status_code == 200  # a definition it does receive
    assert taxii_page(people["analyst"], f"{hidden['id']}/").status_code == 404  # RED stays on the platform


def test_a_report_bundle_carries_the_definitions_its_reader_receives_and_tools_take_it(kestrel, api_for):
    body = post(api_for("partner_contributor"), bundle(HIDDEN, MARKED)).json()
    assert body["rejected_count"] == 0, body["errors"]
    analyst = api_for("analyst")
    report = analyst.post(
        "/api/v1/reports/",
        {
            "title": "Spear phishing against the bank",
            "summary": "Kestrel's campaign and the domain it used.",
            "tlp": "green",
            "audience": "organisations",
            "audience_organisations": [kestrel["reader"].organisation_id],
            "objects": [CAMPAIGN["id"], MARKED["id"]],
        },
        format="json",
    )
    assert report.status_code == 201, report.json()
    report = report.json()
    sent = analyst.post(f"/api/v1/reports/{report['id']}/disseminate/").json()
    assert sent["status"] == "disseminated" and not sent["dissemination"]["blocked"], sent
    raw = api_for(kestrel["reader"]).get(f"/api/v1/reports/{report['id']}/bundle/").content
    assert_tools_take(raw)
    found = by_id(orjson.loads(raw)["objects"])
    assert found[STATEMENT_ID] == [STATEMENT]  # the campaign's statement, as sent, once
    assert found[TLP1_WHITE] == [TLP1_WHITE_AS_PUBLISHED]  # its granular TLP 1.0 marking, as published
    assert HIDDEN["id"] not in found  # named only for the RED description, withheld
    assert "description" not in found[MARKED["id"]][0] and "description" not in found[CAMPAIGN["id"]][0]


def test_what_a_partner_sends_with_markings_comes_back_as_sent(kestrel, api_for):
    results = api_for("partner_reader").get("/api/v1/objects/", {"page_size": 100}).json()["results"]
    back = {o["stix_id"]: o["body"] for o in results}
    for sent in (CAMPAIGN, AMBER_NOTE, STRICT):
        added = {k: v for k, v in back[sent["id"]].items() if k not in sent}
        assert set(added) <= {"x_accord_data_category"}  # the one documented addition
        assert {k: v for k, v in back[sent["id"]].items() if k in sent} == sent


def test_the_oasis_object_marking_example_is_taken_and_exports_stay_valid(kestrel, api_for):
    campaign = orjson.loads((REALDATA / "stix-interop-objectmarking-test.json").read_bytes())
    red_v1 = TLP1_WHITE_AS_PUBLISHED | {
        "id": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        "name": "TLP:RED",
        "definition": {"tlp": "red"},
    }
    body = post(api_for("partner_contributor"), bundle(red_v1, campaign)).json()
    assert (body["rejected_count"], body["new_count"]) == (0, 1), body
    assert StixObject.objects.get(stix_id=campaign["id"]).tlp == "red"
    assert campaign["id"] not in by_id(exported(api_for("partner_reader"))["objects"])  # RED never leaves
