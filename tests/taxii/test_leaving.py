"""What leaves over TAXII: never TLP:RED, for anyone (its originator and the people it names
included), and objects that standard tools take with their default settings (``stix2.parse``,
``stix2-validator``)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import stix2
from stix2validator import ValidationOptions, validate_string

from accord.formats.extensions import NEW_SCO_EXTENSIONS, PROPERTIES_EXTENSION
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.stix_samples import indicator, person
from tests.taxii.test_protocol import assert_taxii_error, share, shared_id

pytestmark = pytest.mark.django_db

GREEN = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=[TLP2_IDS["green"]])
RED = indicator(2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=[TLP2_IDS["red"]])
NEVER = "indicator--00000000-0000-4000-8000-000000000999"  # an id nobody shared


def _reads(client: Any, collection: str, stix_id: str) -> dict[str, Any]:
    """Everything a reader can learn of ``stix_id`` and of the collection, with ``stix_id``
    written as ``<id>`` wherever an answer echoes it."""
    base = f"collections/{collection}/"

    def text(response: Any) -> tuple[int, str]:
        return response.status_code, response.content.decode().replace(stix_id, "<id>")

    objects = client.get(f"{base}objects/").json()
    manifest = client.get(f"{base}manifest/").json()
    return {
        "objects": [o["id"] for o in objects.get("objects", [])],
        "manifest": [m["id"] for m in manifest.get("objects", [])],
        "by_id": text(client.get(f"{base}objects/{stix_id}/")),
        "versions": text(client.get(f"{base}objects/{stix_id}/versions/")),
        "matched": client.get(f"{base}objects/", {"match[id]": stix_id}).json(),
    }


def test_tlp_red_is_never_served_not_even_to_its_originator_or_the_people_it_names(
    taxii_as, api_for, sharer, inbox, people
):
    contributor = taxii_as("partner_contributor")
    share(contributor, inbox, GREEN, RED)
    red = StixObject.objects.get(stix_id=RED["id"])
    assert red.tlp == "red"
    red.recipients.set([people["partner_reader"], people["partner_contributor"], people["analyst"]])
    for who in ("partner_contributor", "partner_reader", "analyst"):
        client = taxii_as(who)
        collections = [shared_id()] + ([str(inbox.pk)] if who != "analyst" else [])
        for collection in collections:
            seen = _reads(client, collection, RED["id"])
            assert seen == _reads(client, collection, NEVER)  # as if it had never been shared
            assert seen["objects"] == seen["manifest"] == [GREEN["id"]]
            assert_taxii_error(client.get(f"collections/{collection}/objects/{RED['id']}/"), 404)
    # On the platform, its originator and the people it names still see it.
    for who in ("partner_contributor", "partner_reader", "analyst"):
        assert RED["id"] in api_for(who).get("/api/v1/objects/", {"type": "indicator"}).content.decode()


def test_taxii_pages_parse_with_the_stix2_librarys_defaults(taxii_as, sharer, inbox):
    account = {
        "type": "x-accord-bank-account",
        "spec_version": "2.1",
        "id": "x-accord-bank-account--00000000-0000-4000-8000-0000000000bb",
        "iban": "GB82WEST12345698765432",
        "object_marking_refs": [TLP2_IDS["green"]],
    }
    victim = person(x_accord_data_subject="victim", object_marking_refs=[TLP2_IDS["green"]])
    share(taxii_as("partner_contributor"), inbox, GREEN, account, victim)
    for who, collection in (("analyst", shared_id()), ("partner_contributor", str(inbox.pk))):
        page = taxii_as(who).get(f"collections/{collection}/objects/").json()
        assert {o["id"] for o in page["objects"]} == {GREEN["id"], account["id"], victim["id"]}
        for obj in page["objects"]:
            stix2.parse(obj)  # allow_custom=False: no undeclared property or object type
            assert obj["extensions"][PROPERTIES_EXTENSION] == {"extension_type": "toplevel-property-extension"}
        served = {o["id"]: o for o in page["objects"]}
        assert served[account["id"]]["extensions"][NEW_SCO_EXTENSIONS["x-accord-bank-account"]] == {
            "extension_type": "new-sco"
        }
        assert served[victim["id"]]["x_accord_data_subject"] == "victim"
        wrapped = orjson.dumps({"type": "bundle", "id": "bundle--6f0e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b", **page})
        assert validate_string(wrapped.decode(), ValidationOptions()).is_valid
