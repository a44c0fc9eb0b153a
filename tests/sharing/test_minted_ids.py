"""Ids Accord mints for imported objects reveal nothing and cannot be taken first; an id another
organisation's object has is refused alone, with one message whoever holds it; a
cyber-observable another organisation holds answers exactly as a fresh one."""

from __future__ import annotations

import io
import uuid
from typing import Any

import orjson
import pytest
from django.core.management import call_command

from accord.formats.markings import TLP2_IDS
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import STAMP, bundle, indicator
from tests.taxii.conftest import Taxii, secret_for

SUBMIT = "/api/v1/submissions/"
OBJECTS = "/api/v1/objects/"
VALUES = ("203.0.113.7", "203.0.113.8")
CSV = b"type,value\nipv4,203.0.113.7\nipv4,203.0.113.8\n"
STRICT = [TLP2_IDS["amber+strict"]]
GREEN = [TLP2_IDS["green"]]
# STIX 2.1 §2.9: the namespace of cyber-observable ids (UUIDv5 over the id-contributing properties).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


@pytest.fixture
def sharers(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """Kestrel (``partner``) and Atlas (``other_partner``) share under agreements in force."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    atlas = UserFactory(username="atlas", organisation=other_partner, role="partner_contributor")
    return {"kestrel": people["partner_contributor"], "atlas": atlas}


def envelope(*objects: dict[str, Any]) -> bytes:
    return orjson.dumps({"objects": list(objects)})


def post(client: Any, data: bytes, name: str) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(SUBMIT, {"file": upload}, format="multipart")


def ids_of(client: Any, value: str) -> set[str]:
    """The STIX ids of the objects mentioning ``value`` that the client may see."""
    listed = client.get(OBJECTS, {"observable": value}).json()["results"]
    return {row["stix_id"] for row in listed}


def computable(organisation_id: int, value: str) -> set[str]:
    """Ids anyone can compute for an indicator of ``value`` shared by an organisation: the formula
    Accord used to mint with, and the same without the organisation."""
    old = uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, f"accord:{organisation_id}"), f"ipv4:{value}")
    return {f"indicator--{old}", f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, f'ipv4:{value}')}"}


def test_minted_ids_are_stable_within_an_installation_and_differ_between_two(api_for, sharers, settings):
    """The same rows re-imported get the same ids (a new version, not a duplicate); an installation
    with another key mints others; none is an id anyone could compute from the value."""
    kestrel = api_for(sharers["kestrel"])
    first = post(kestrel, CSV, "feed.csv")
    assert first.status_code == 201, first.json()
    minted = {value: ids_of(kestrel, value) for value in VALUES}
    assert all(len(ids) == 1 for ids in minted.values())
    organisation = sharers["kestrel"].organisation_id
    for value in VALUES:
        assert not minted[value] & computable(organisation, value)

    again = post(kestrel, b"type,value,description\nipv4,203.0.113.7,again\nipv4,203.0.113.8,again\n", "b.csv")
    assert (again.json()["new_count"], again.json()["updated_count"]) == (0, 2)
    assert {value: ids_of(kestrel, value) for value in VALUES} == minted

    settings.ACCORD_ID_KEY = "another installation's key"
    elsewhere = post(kestrel, b"type,value,crime_type\nipv4,203.0.113.7,bec\nipv4,203.0.113.8,bec\n", "c.csv")
    assert (elsewhere.json()["new_count"], elsewhere.json()["updated_count"]) == (2, 0)
    for value in VALUES:
        (other,) = ids_of(kestrel, value) - minted[value]
        assert other not in computable(organisation, value)


def test_an_id_taken_first_does_not_stop_the_owners_next_import(api_for, sharers):
    """Atlas posts objects under every id it could compute for Kestrel's next CSV rows; Kestrel's
    import still stores every row as its own."""
    kestrel, atlas = sharers["kestrel"], sharers["atlas"]
    squats = sorted(i for value in VALUES for i in computable(kestrel.organisation_id, value))
    taken = [indicator(0, "[ipv4-addr:value = '198.51.100.1']", id=stix_id) for stix_id in squats]
    assert post(api_for(atlas), bundle(*taken), "squat.json").json()["new_count"] == 4

    response = post(api_for(kestrel), CSV, "feed.csv")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["new_count"], body["rejected_count"], body["errors"]) == ("done", 2, 0, [])
    for value in VALUES:
        (own,) = ids_of(api_for(kestrel), value)
        assert own not in squats


def _without(error: dict[str, str], stix_id: str) -> tuple[str, str]:
    """An error's field and message, the id it concerns replaced by a placeholder."""
    return error["field"], error["message"].replace(stix_id, "<id>")


def test_a_colliding_id_is_refused_alone_with_one_message_that_names_no_one(api_for, sharers, people, client):
    """Atlas posts versions of Kestrel's object it may see (TLP:GREEN) and of Nordic's it may not
    (TLP:AMBER+STRICT), with an object of its own: its own is stored, each colliding one refused
    with the same message, naming no one."""
    kestrel, atlas = sharers["kestrel"], sharers["atlas"]
    nordic = OrganisationFactory(name="Nordic CERT", country="NO")
    make_agreement(nordic)
    seen = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=GREEN)
    unseen = indicator(2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=STRICT)
    assert post(api_for(kestrel), bundle(seen), "k.json").status_code == 201
    nordic_contributor = UserFactory(organisation=nordic, role="partner_contributor")
    assert post(api_for(nordic_contributor), bundle(unseen), "n.json").status_code == 201
    reader = api_for(atlas)
    assert reader.get(f"{OBJECTS}{seen['id']}/").status_code == 200
    assert reader.get(f"{OBJECTS}{unseen['id']}/").status_code == 404

    later = {"modified": "2026-09-01T12:00:00.000Z"}
    mine = indicator(3, "[ipv4-addr:value = '198.51.100.3']")
    response = post(reader, bundle(seen | later, unseen | later, mine), "atlas.json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["objects_count"], body["new_count"], body["rejected_count"]) == ("done", 3, 1, 2)
    one, two = body["errors"]
    assert one["where"].startswith("object 0 ") and two["where"].startswith("object 1 ")
    assert _without(one, seen["id"]) == _without(two, unseen["id"])
    assert one["message"].startswith(f"{seen['id']} is already in use; choose another id")
    for name in ("Kestrel", "Nordic", "organisation"):
        assert name not in one["message"]
    assert ids_of(reader, "198.51.100.3") == {mine["id"]}
    assert reader.get(f"{OBJECTS}{seen['id']}/").json()[0]["version"].startswith("2026-05-01")  # Kestrel's still
    client.force_login(atlas)
    page = client.get(f"/submissions/{body['id']}/").content.decode()
    assert "Refused: everything else was stored" in page and "nothing was stored" not in page
    assert page.count("is already in use; choose another id") == 2


def test_the_cli_import_stores_the_rest_and_lists_what_it_refused(api_for, sharers, tmp_path, capsys):
    """``accord import``: the colliding object is listed as not stored, the rest is stored."""
    theirs = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=GREEN)
    assert post(api_for(sharers["kestrel"]), bundle(theirs), "k.json").status_code == 201
    path = tmp_path / "atlas.json"
    later = theirs | {"modified": "2026-09-01T12:00:00.000Z"}
    path.write_bytes(bundle(later, indicator(3, "[ipv4-addr:value = '198.51.100.3']")))
    call_command("import", str(path), "--org", "Atlas Bank Group")
    out = capsys.readouterr().out
    assert "2 objects (1 new, 0 updated, 1 refused)" in out
    assert f"not stored: object 0 ({theirs['id']}), id: {theirs['id']} is already in use" in out
    assert "Kestrel" not in out


def _sco(value: str, **extra: Any) -> dict[str, Any]:
    """An ipv4-addr with its STIX 2.1 §2.9 id, which anyone can compute from the value."""
    digest = uuid.uuid5(SCO_NAMESPACE, orjson.dumps({"value": value}).decode())
    return {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{digest}", "value": value} | extra


_SAME_FOR_ANY_OBJECT = ("status", "objects_count", "observables_count", "new_count", "updated_count",
                        "rejected_count", "errors")  # fmt: skip


@pytest.mark.parametrize("stamps", [{}, {"created": STAMP, "modified": STAMP}], ids=["plain", "stamped"])
def test_a_cyber_observable_another_organisation_holds_answers_as_a_fresh_one(api_for, sharers, stamps):
    """Posting an observable whose id (a function of its value) Kestrel already holds, unseen by
    Atlas, answers exactly as posting one nobody holds: the id and any stamps the poster sets
    tell it nothing."""
    held = _sco("198.51.100.7", object_marking_refs=STRICT, **stamps)
    assert post(api_for(sharers["kestrel"]), bundle(held), "k.json").status_code == 201
    atlas = api_for(sharers["atlas"])
    answers = []
    for number, value in enumerate(("198.51.100.7", "198.51.100.9")):  # held by Kestrel, held by no one
        response = post(atlas, bundle(_sco(value, **stamps), id=f"bundle--{uuid.UUID(int=number)}"), f"{number}.json")
        body = response.json()
        answers.append((response.status_code, {key: body.get(key) for key in _SAME_FOR_ANY_OBJECT}))
    assert answers[0] == answers[1]
    assert answers[0][1]["new_count"] == 1


def test_taxii_reports_every_refused_object_as_a_failure_beyond_the_error_list(sharers):
    """More objects refused than a submission's error list keeps (100): TAXII's status still
    lists each as a failure, and the others as successes."""
    kestrel, atlas = sharers["kestrel"], sharers["atlas"]
    collections_sync()
    theirs = [indicator(n, f"[ipv4-addr:value = '198.51.100.{n}']", object_marking_refs=GREEN) for n in range(1, 106)]
    inbox = Collection.objects.get(kind="inbox", organisation=kestrel.organisation)
    posted = Taxii(kestrel, secret_for(kestrel)).post(f"collections/{inbox.pk}/objects/", envelope(*theirs))
    assert posted.json()["success_count"] == 105
    later = [o | {"modified": "2026-09-01T12:00:00.000Z"} for o in theirs]
    own = indicator(200, "[ipv4-addr:value = '198.51.100.200']")
    mine = Collection.objects.get(kind="inbox", organisation=atlas.organisation)
    status = Taxii(atlas, secret_for(atlas)).post(f"collections/{mine.pk}/objects/", envelope(*later, own)).json()
    assert (status["status"], status["success_count"], status["failure_count"]) == ("complete", 1, 105)
    assert [s["id"] for s in status["successes"]] == [own["id"]]
    assert [f["id"] for f in status["failures"]] == [o["id"] for o in later]
    for failure in status["failures"]:
        assert failure["message"].startswith(f"id: {failure['id']} is already in use; choose another id")
