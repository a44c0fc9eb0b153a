"""Real MISP events (PyMISP's own test events) shared through the API come back unchanged in
the MISP export; MISP attributes about people are personal data, withheld like absent."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from pymisp import MISPAttribute, MISPEvent

from accord.core.models import AuditEvent
from accord.sharing.models import StixObject, Submission
from tests.factories import UserFactory, make_agreement

# PyMISP's own test events (BSD licence: LICENSE beside them).
EVENTS = sorted((Path(__file__).parents[1] / "data" / "pymisp").glob("misp-*.json"))
EXPORT = "/api/v1/exports/misp/"


def post(client: Any, data: bytes, name: str = "event.json") -> dict[str, Any]:
    upload = io.BytesIO(data)
    upload.name = name
    response = client.post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def exported(client: Any) -> MISPEvent:
    response = client.get(EXPORT)
    assert response.status_code == 200, response.content[:500]
    event = MISPEvent()
    event.load(b"".join(response.streaming_content).decode())  # PyMISP loads it
    return event


def _tags(tags: Any, *, tlp: bool = True) -> tuple[str, ...]:
    """Tags as MISP compares them; TLP 1.0 ``white`` is TLP 2.0 ``clear``; Accord's handling
    conditions (``accord:*``) are added on export, and so is each attribute's TLP (compared on
    its own: an attribute without a TLP tag of its own has its event's)."""
    names = (t.name.replace("tlp:white", "tlp:clear") for t in tags)
    return tuple(sorted(n for n in names if not n.startswith("accord:") and (tlp or not n.startswith("tlp:"))))


def _attribute(a: MISPAttribute) -> tuple[Any, ...]:
    data = a.data.getvalue() if getattr(a, "data", None) is not None else None
    comment = getattr(a, "comment", "") or ""
    return (a.uuid, a.type, str(a.value), a.category, bool(a.to_ids), comment, _tags(a.tags, tlp=False), data)


def attributes(event: MISPEvent) -> Counter[tuple[Any, ...]]:
    found = Counter(_attribute(a) for a in event.attributes)
    for misp_object in event.objects:
        found.update((misp_object.uuid, misp_object.name, *_attribute(a)) for a in misp_object.attributes)
    return found


@pytest.fixture
def contributor(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    return people["partner_contributor"]


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_a_real_misp_event_comes_back_unchanged_in_the_misp_export(api_for, contributor, path):
    raw = path.read_bytes()
    original = MISPEvent()
    original.load(raw.decode())
    submission = post(api_for(contributor), raw, path.name)
    assert submission["status"] == "done", submission["errors"][:5]
    assert submission["errors"] == []

    event = exported(api_for("analyst"))
    want = attributes(original)
    got = attributes(event)
    assert sum((want & got).values()) >= 0.99 * sum(want.values())
    assert got == want  # type, value, category, to_ids, comment, tags, attached data: all of them
    every = [*event.attributes, *(a for o in event.objects for a in o.attributes)]
    assert {tuple(n for n in _tags(a.tags) if n.startswith("tlp:")) for a in every} == {("tlp:clear",)}  # tlp:white
    assert (event.info, event.date, int(event.threat_level_id), int(event.analysis)) == (
        original.info,
        original.date,
        int(original.threat_level_id),
        int(original.analysis),
    )
    complete = AuditEvent.objects.filter(action="export.complete").latest("seq")
    assert complete.details["objects"] == StixObject.objects.count()  # each object counted once
    galaxy_tags = {c.tag_name for g in original.galaxies for c in g.clusters}
    assert set(_tags(event.tags)) == set(_tags(original.tags)) | galaxy_tags
    assert [g.name for g in event.galaxies] == [g.name for g in original.galaxies]


def test_comments_sightings_and_unmapped_types_survive(api_for, contributor):
    attributes_in = [
        {
            "uuid": "0b5c2a8e-1f3d-4c5b-9a7e-2d4f6b8a0c11",
            "type": "vulnerability",
            "category": "External analysis",
            "value": "CVE-2024-3400",
            "to_ids": False,
            "comment": "exploited for initial access",
            "Sighting": [{"uuid": "0b5c2a8e-1f3d-4c5b-9a7e-2d4f6b8a0c99", "type": "0", "date_sighting": "1714560000"}],
        },
        {
            "uuid": "0b5c2a8e-1f3d-4c5b-9a7e-2d4f6b8a0c12",
            "type": "link",
            "category": "External analysis",
            "value": "see the vendor advisory",  # not a URL: kept as it is, not refused
            "to_ids": False,
        },
        {
            "uuid": "0b5c2a8e-1f3d-4c5b-9a7e-2d4f6b8a0c13",
            "type": "ip-dst",
            "category": "Network activity",
            "value": "203.0.113.9",
            "to_ids": True,
            "Tag": [{"name": "kill-chain:Command and Control"}],
        },
    ]
    event = {"Event": {"uuid": "0b5c2a8e-1f3d-4c5b-9a7e-2d4f6b8a0c10", "info": "Edge device exploitation",
                       "date": "2026-04-30", "threat_level_id": "1", "analysis": "2",
                       "Tag": [{"name": "tlp:green"}], "Attribute": attributes_in}}  # fmt: skip
    assert post(api_for(contributor), orjson.dumps(event))["status"] == "done"
    back = exported(api_for("analyst"))
    by_uuid = {a.uuid: a for a in back.attributes}
    assert by_uuid[attributes_in[0]["uuid"]].comment == "exploited for initial access"
    sightings = by_uuid[attributes_in[0]["uuid"]].sightings
    sighting = "0b5c2a8e-1f3d-4c5b-9a7e-2d4f6b8a0c99"
    assert [(s.uuid, str(s.date_sighting)) for s in sightings] == [(sighting, "1714560000")]
    assert by_uuid[attributes_in[1]["uuid"]].value == "see the vendor advisory"
    assert "kill-chain:Command and Control" in _tags(by_uuid[attributes_in[2]["uuid"]].tags)
    assert set(_tags(back.tags)) == {"tlp:green"}


PERSONAL = [
    {"uuid": "7d0e6a52-3c1b-4e8f-9a2d-5b7c9e1f3a01", "type": "first-name", "category": "Person", "value": "Jelena",
     "comment": "sister of the account holder"},
    {"uuid": "7d0e6a52-3c1b-4e8f-9a2d-5b7c9e1f3a02", "type": "passport-number", "category": "Person",
     "value": "X4417723"},
]  # fmt: skip
TECHNICAL = [
    {"uuid": "7d0e6a52-3c1b-4e8f-9a2d-5b7c9e1f3a03", "type": "domain", "category": "Network activity",
     "value": "mule-recruit.example.net", "to_ids": True},
    {"uuid": "7d0e6a52-3c1b-4e8f-9a2d-5b7c9e1f3a04", "type": "text", "category": "Other", "value": "job offer lure"},
]  # fmt: skip


def mule_event(*attributes: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "Event": {
                "uuid": "7d0e6a52-3c1b-4e8f-9a2d-5b7c9e1f3a00",
                "info": "Money-mule recruitment",
                "date": "2026-05-02",
                "threat_level_id": "2",
                "analysis": "1",
                "Tag": [{"name": "tlp:green"}],
                "Attribute": list(attributes),
            }
        }  # fmt: skip
    )


def seen_by(client: Any) -> tuple[Any, ...]:
    event = exported(client)
    return (event.info, _tags(event.tags), sorted(map(_attribute, event.attributes)), event.objects)


def test_misp_attributes_about_people_are_personal_data_withheld_like_absent(
    api_for, partner, other_partner, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data"])
    banker = api_for(UserFactory(username="banker", organisation=other_partner, role="partner_contributor"))
    reader = api_for("partner_reader")

    assert post(banker, mule_event(*TECHNICAL), "without.json")["status"] == "done"
    without = seen_by(reader)
    stored = post(banker, mule_event(*PERSONAL, *TECHNICAL), "with.json")
    assert stored["status"] == "done", stored["errors"]

    categories = dict(StixObject.objects.values_list("body__x_misp_attribute__type", "data_category"))
    assert categories["first-name"] == categories["passport-number"] == "personal_data"
    assert categories["domain"] == categories["text"] == "technical_indicator"
    host_view = {a.value for a in exported(api_for("analyst")).attributes}
    assert {"Jelena", "X4417723", "mule-recruit.example.net"} <= host_view  # the host sees them

    assert seen_by(reader) == without  # the partner's export: as if they were not there
    assert Submission.objects.filter(status="done").count() == 2


def test_two_organisations_import_the_same_public_event_and_nobody_takes_its_ids_first(
    api_for, contributor, other_partner
):
    """A public event's uuids are known to anyone. Each organisation that imports it gets objects
    of its own, under ids minted with its key (the same ones when it imports the event again), so
    a second importer is not refused for "ids in use", and an organisation that posts objects
    under the event's uuids first takes nothing from the one that imports it."""
    make_agreement(other_partner)
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    raw = EVENTS[0].read_bytes()
    event = MISPEvent()
    event.load(raw.decode())
    squatted = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{a.uuid}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.99']",
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00.000Z",
        }
        for a in event.attributes[:3]
    ] + [
        {
            "type": "report",
            "spec_version": "2.1",
            "id": f"report--{event.uuid}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "Taken first",
            "published": "2026-01-01T00:00:00.000Z",
            "object_refs": [f"indicator--{event.attributes[0].uuid}"],
        }
    ]
    bundle = {"type": "bundle", "id": "bundle--6b6c9a8e-1d1f-4d0e-9a52-1f3b2f1c0a01", "objects": squatted}
    assert post(api_for(banker), orjson.dumps(bundle), "first.json")["status"] == "done"
    first = post(api_for(contributor), raw, "event.json")
    assert first["status"] == "done" and first["errors"] == [], first["errors"][:3]
    again = post(api_for(banker), raw, "event.json")
    assert again["status"] == "done" and again["errors"] == [], again["errors"][:3]
    mine = set(StixObject.objects.filter(organisation=contributor.organisation).values_list("stix_id", flat=True))
    theirs = set(StixObject.objects.filter(organisation=other_partner).values_list("stix_id", flat=True))
    assert mine and not mine & theirs
