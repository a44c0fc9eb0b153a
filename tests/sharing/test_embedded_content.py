"""Content one object carries about another does not escape the rules of that other: a
``language-content`` translating an individual's name is held under the individual's data
category, an ``observed-data`` holding observables inline (STIX 2.1's deprecated ``objects``
form, which older producers still send) under theirs, so a rule that withholds the one
withholds the other."""

from __future__ import annotations

from typing import Any

import orjson

from accord.sharing.models import StixObject
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.sharing.test_free_text import reads
from tests.sharing.test_ingest import post

STAMP = "2026-11-02T10:00:00.000Z"
PERSON = "identity--6b0b2a1c-0d5b-4a3e-9c63-3f6a5d1f7a10"
BUNDLE = {
    "type": "bundle",
    "id": "bundle--0b1d7f7e-4a8e-4a7c-8a43-0d4b2f0c8e11",
    "objects": [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": PERSON,
            "created": STAMP,
            "modified": STAMP,
            "name": "Jane Mulesecret",
            "identity_class": "individual",
        },
        {
            "type": "language-content",
            "spec_version": "2.1",
            "id": "language-content--0c7a0a8e-5f0e-4b3a-9d3c-1b4f7f2e6a21",
            "created": STAMP,
            "modified": STAMP,
            "object_ref": PERSON,
            "object_modified": STAMP,
            "contents": {"fr": {"name": "Jeanne Mulesecret"}},
        },
        {
            "type": "observed-data",
            "spec_version": "2.1",
            "id": "observed-data--1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a31",
            "created": STAMP,
            "modified": STAMP,
            "first_observed": STAMP,
            "last_observed": STAMP,
            "number_observed": 1,
            "objects": {"0": {"type": "email-addr", "value": "embeddedsecret@evil-payments.com"}},
        },
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a41",
            "created": STAMP,
            "modified": STAMP,
            "valid_from": STAMP,
            "pattern_type": "stix",
            "pattern": "[domain-name:value = 'evil-payments.com']",
        },
    ],
}
SECRETS = (b"Mulesecret", b"embeddedsecret")


def test_a_translation_and_inline_observables_carry_no_withheld_value(api_for, client, scene):
    response = post(api_for(scene["a"]), orjson.dumps(BUNDLE), "bundle.json", tlp="green")
    assert response.status_code == 201, response.json()
    assert response.json()["rejected_count"] == 0, response.json()["errors"]
    assert categories() == {
        "identity": "personal_data",
        "language-content": "personal_data",
        "observed-data": "personal_data",
        "indicator": "technical_indicator",
    }
    for interface, bodies in reads(api_for, client, scene["b"]).items():
        for body in bodies:
            for secret in SECRETS:
                assert secret not in body, (interface, secret)

    for who in ("a", "host"):  # the originator and the host read them
        text = b"".join(b"".join(bodies) for bodies in reads(api_for, client, scene[who]).values())
        assert all(secret in text for secret in SECRETS), who


def categories() -> dict[str, str]:
    return dict(StixObject.objects.values_list("type", "data_category"))


def translation(of: str, text: str, n: int = 1) -> dict[str, Any]:
    return {
        "type": "language-content",
        "spec_version": "2.1",
        "id": f"language-content--0c7a0a8e-5f0e-4b3a-9d3c-1b4f7f2e6a{n:02d}",
        "created": STAMP,
        "modified": STAMP,
        "object_ref": of,
        "contents": {"fr": {"name": text}},
    }


def bundle(*objects: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": "bundle", "id": BUNDLE["id"], "objects": list(objects)})


def test_a_translation_sent_after_what_it_translates_takes_its_category_from_the_store(api_for, scene):
    post(api_for(scene["a"]), bundle(BUNDLE["objects"][0], BUNDLE["objects"][3]), "first.json")
    malware = "indicator--2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a41"
    response = post(
        api_for(scene["a"]), bundle(translation(PERSON, "Jeanne", 1), translation(malware, "Domaine", 2)), "fr.json"
    )
    assert (response.json()["accepted_count"], response.json()["rejected_count"]) == (2, 0)
    held = dict(StixObject.objects.filter(type="language-content").values_list("body__object_ref", "data_category"))
    assert held == {PERSON: "personal_data", malware: "technical_indicator"}


def test_a_translation_of_an_object_not_held_is_held_as_the_most_sensitive_data_the_sender_sends(
    api_for, scene, partner
):
    """Bank A's agreement covers personal data: its translation of an unknown object is held as
    such. A third partner whose agreement covers technical indicators alone translates A's
    individual: the translation is taken as a technical indicator, since A's object is not the
    third partner's to classify by (refusing it would tell them what A's object holds)."""
    post(api_for(scene["a"]), bundle(translation("identity--9d1c5b0e-2f7a-4c3b-8e6d-5a4b3c2d1e0f", "X")), "x.json")
    assert categories() == {"language-content": "personal_data"}
    post(api_for(scene["a"]), bundle(BUNDLE["objects"][0]), "person.json")
    third = OrganisationFactory(short_name="Third", country="FR")
    make_agreement(third, data_categories=["technical_indicator"])
    sender = UserFactory(organisation=third, role="partner_contributor")
    response = post(api_for(sender), bundle(translation(PERSON, "Jeanne", 3)), "third.json")
    assert (response.json()["accepted_count"], response.json()["rejected_count"]) == (1, 0), response.json()
    assert StixObject.objects.get(organisation=third).data_category == "technical_indicator"


def test_inline_observables_are_read_like_those_sent_alone(api_for, scene):
    observed = {**BUNDLE["objects"][2], "objects": {"0": {"type": "ipv4-addr", "value": "300.1.2.3"}}}
    response = post(api_for(scene["a"]), bundle(observed, BUNDLE["objects"][3]), "observed.json")
    body = response.json()
    assert (body["accepted_count"], body["rejected_count"]) == (1, 1)
    (error,) = body["errors"]
    assert error["where"].endswith(", objects.0") and error["field"] == "value", error
    assert "'300.1.2.3' is not an IPv4 address" in error["message"]
