"""Data categories that fit the data: a producer's ``identity``, a ``malware`` family, an
organisation-level intrusion set are not personal data nor samples; an individual, an insider,
a carried binary, an e-mail address, a user account and a phone number are; a declared
category wins only when it is at least as sensitive as what the object holds."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import INTRUSION_SET, MALWARE_FAMILY, PRODUCER, STAMP, bundle, indicator, person

OASIS = Path(__file__).parent.parent / "data" / "oasis"  # public examples of cti-stix2-json-schemas
OBJECTS = "/api/v1/objects/"
OBSERVABLES = "/api/v1/observables/"
NARROW = ["technical_indicator", "incident_report"]  # no personal data, no samples
GREEN = {"object_marking_refs": [TLP2_IDS["green"]]}


def _sdo(kind: str, n: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--00000000-0000-4000-b000-{n:012}",
        "created": STAMP,
        "modified": STAMP,
    } | properties


SCO = "00000000-0000-5000-b000-"
LOWERED = {"x_accord_data_category": "technical_indicator"}


def _sco(kind: str, n: int, **properties: Any) -> dict[str, Any]:
    return {"type": kind, "id": f"{kind}--{SCO}{n:012}"} | properties


HASHES = {"SHA-256": "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"}
# (object, the category it is recorded under)
EXPECTED = [
    (PRODUCER, "technical_indicator"),
    (_sdo("identity", 1, name="Sector ISAC", identity_class="class"), "technical_indicator"),
    (person("01"), "personal_data"),
    (_sdo("identity", 2, name="Someone"), "personal_data"),  # no class: it may be a person
    (_sdo("identity", 3, name="Ops", identity_class="group", x_accord_data_category="personal_data"), "personal_data"),
    (person("04", x_accord_data_category="technical_indicator"), "personal_data"),  # declared lower: ignored
    (MALWARE_FAMILY, "technical_indicator"),
    (_sdo("malware", 5, name="Ivy", is_family=True, x_accord_data_category="malware_sample"), "malware_sample"),
    (_sdo("malware", 6, is_family=False, sample_refs=[f"artifact--{SCO}000000000010"]), "technical_indicator"),
    (_sdo("malware-analysis", 7, product="clamav", result="malicious"), "technical_indicator"),
    (INTRUSION_SET, "technical_indicator"),
    (_sdo("intrusion-set", 8, name="Lone Wolf", resource_level="individual"), "personal_data"),
    (_sdo("threat-actor", 9, name="Evil Org", threat_actor_types=["crime-syndicate"]), "technical_indicator"),
    (_sdo("threat-actor", 11, name="J. Doe", threat_actor_types=["insider-disgruntled"]), "personal_data"),
    (_sdo("threat-actor", 12, name="Kid", threat_actor_types=["hacker"], resource_level="individual"), "personal_data"),
    (_sco("artifact", 10, hashes=HASHES), "technical_indicator"),
    (_sco("artifact", 13, payload_bin="TVqQAAMAAAAEAAAA", mime_type="application/x-dosexec"), "malware_sample"),
    (_sco("artifact", 14, url="https://samples.example.com/x.bin", hashes=HASHES), "malware_sample"),
    (_sco("artifact", 15, payload_bin="TVqQ", x_accord_data_category="technical_indicator"), "malware_sample"),
    (_sco("email-addr", 16, value="mule@example.com"), "personal_data"),
    (_sco("user-account", 17, account_login="mule1"), "personal_data"),
    (_sco("x-accord-phone-number", 18, number="+971501239999"), "personal_data"),
    (_sdo("report", 19, name="Weekly", published=STAMP, object_refs=[PRODUCER["id"]]), "incident_report"),
    (_sdo("report", 20, name="W", published=STAMP, object_refs=[PRODUCER["id"]], **LOWERED), "incident_report"),
    (indicator(21, "[user-account:user_id = 'mule2']"), "personal_data"),
]  # fmt: skip


def post(client: Any, data: bytes) -> Any:
    upload = io.BytesIO(data)
    upload.name = "feed.json"
    return client.post("/api/v1/submissions/", {"file": upload}, format="multipart")


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_each_object_is_recorded_under_the_category_its_data_says(api_for, partner, people, media):
    make_agreement(partner)
    response = post(api_for("partner_contributor"), bundle(*(obj for obj, _ in EXPECTED)))
    assert response.status_code == 201, response.json()
    listed = api_for("analyst").get(OBJECTS, {"limit": 100}).json()["results"]
    assert {o["stix_id"]: o["data_category"] for o in listed} == {obj["id"]: category for obj, category in EXPECTED}


def test_a_public_bundle_with_its_producers_identity_and_a_malware_family_is_taken_without_personal_data(
    api_for, partner, people, media
):
    """Most public bundles carry their producer's identity and describe malware families: an
    agreement that covers neither personal data nor samples takes them."""
    make_agreement(partner, data_categories=NARROW)
    client = api_for("partner_contributor")
    public = bundle(PRODUCER, MALWARE_FAMILY, INTRUSION_SET, indicator(1, "[ipv4-addr:value = '112.64.0.0/15']"))
    response = post(client, public)
    assert response.status_code == 201, response.json()
    assert response.json()["objects_count"] == 4
    refused = post(client, bundle(person("02"))).json()  # an individual's identity is personal data
    assert (refused["accepted_count"], refused["rejected_count"]) == (0, 1)
    assert "Personal data is not permitted" in refused["errors"][0]["message"]


def test_a_reader_without_personal_data_sees_the_producer_and_the_family_and_no_individual_actor(
    api_for, partner, other_partner, people, media
):
    """The reader's agreement covers neither personal data nor samples: it receives the
    producer's identity and the malware family, and an individual threat actor with its e-mail
    address is withheld exactly as if it had never been shared."""
    make_agreement(partner)
    make_agreement(other_partner, data_categories=NARROW)
    reader = api_for(UserFactory(organisation=other_partner, role="partner_reader"))
    sharer = api_for("partner_contributor")
    shared = [o | GREEN for o in (PRODUCER, MALWARE_FAMILY, indicator(1, "[domain-name:value = 'c2.example.net']"))]
    assert post(sharer, bundle(*shared)).status_code == 201

    def view() -> tuple[Any, Any]:
        return reader.get(OBJECTS).json(), reader.get(OBSERVABLES).json()

    without = view()
    assert {o["stix_id"] for o in without[0]["results"]} == {o["id"] for o in shared}
    actor = _sdo("threat-actor", 30, name="J. Doe", resource_level="individual", **GREEN)
    mail = indicator(31, "[email-addr:value = 'j.doe@example.net']", **GREEN)
    assert post(sharer, bundle(actor, mail)).status_code == 201
    assert StixObject.objects.filter(stix_id__in=[actor["id"], mail["id"]], data_category="personal_data").count() == 2
    assert view() == without


@pytest.mark.parametrize(
    "name",
    [
        "stix-indicator-for-c2-ip-address.json",
        "stix-indicator-to-campaign-relationship.json",
        "stix-malicious-email-indicator-with-attachment.json",
    ],
)
def test_the_public_oasis_examples_are_taken_under_an_agreement_without_personal_data(
    api_for, partner, people, media, name
):
    data = (OASIS / name).read_bytes()
    make_agreement(partner, data_categories=NARROW)
    response = post(api_for("partner_contributor"), data)
    assert response.status_code == 201, response.json()
    assert response.json()["objects_count"] == len(orjson.loads(data)["objects"])
