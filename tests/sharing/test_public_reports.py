"""Public threat reports, as their publishers wrote them, through the API and back out: the
OASIS example reports that ship with stix2-validator (APT1: 76 objects with a statement marking;
Poison Ivy: 155 objects, one of whose indicators names the domain "domain autuo.xicp.net")."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
import pytest
import stix2
from stix2validator import ValidationOptions, validate_string

from tests.factories import make_agreement
from tests.sharing.test_ingest import post

REPORTS = resources.files("stix2validator") / "schemas-2.1" / "examples" / "threat-reports"
# What Accord adds to an object it serves (docs/sharing.md): its TLP marking, the extensions it
# names, and its handling properties.
ADDED = ("object_marking_refs", "extensions")


@pytest.fixture
def sharer(partner: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return make_agreement(partner)


@pytest.mark.parametrize(("name", "refused"), [("apt1.json", 0), ("poisonivy.json", 1)])
def test_a_public_report_is_stored_whole_but_for_its_broken_values_and_comes_back_as_sent(
    api_for, sharer, name, refused
):
    data = (REPORTS / name).read_bytes()
    sent = {o["id"]: o for o in orjson.loads(data)["objects"]}
    client = api_for("partner_contributor")
    response = post(client, data, name)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["objects_count"], body["rejected_count"]) == (len(sent), refused)
    assert body["accepted_count"] >= 0.99 * len(sent)
    if refused:
        (error,) = body["errors"]
        assert error["field"] == "pattern" and "'domain autuo.xicp.net' is not a domain name" in error["message"]

    raw = b"".join(client.get("/api/v1/exports/stix/").streaming_content)
    results = validate_string(raw.decode(), ValidationOptions())
    assert results.is_valid, [str(e) for e in results.errors][:5]
    exported = {o["id"]: o for o in orjson.loads(raw)["objects"]}
    refused_ids = {e["where"].split("(")[1].rstrip(")") for e in body["errors"]}
    for stix_id, original in sent.items():
        if stix_id in refused_ids:
            assert stix_id not in exported
            continue
        back = exported[stix_id]
        stix2.parse(back)  # the library's defaults take every object served back
        if original["type"] == "marking-definition":
            assert back == original  # kept as published, never restamped
            continue
        assert {k: v for k, v in back.items() if k not in ADDED and not k.startswith("x_accord_")} == {
            k: v for k, v in original.items() if k not in ADDED
        }, stix_id
        assert set(original.get("object_marking_refs", [])) <= set(back["object_marking_refs"])
