"""A submission's outcome is per object: every valid object is stored exactly as if the refused
ones had not been in the file, and each refused one is reported (where, which field, why)
through the API, the submission's page, TAXII's status and ``accord import``. ``strict``
refuses the whole on any refusal; a file that cannot be read at all is refused whole."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import ObjectObservable, Observable, Refusal, StixObject, Submission
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import UserFactory, make_agreement
from tests.ids import pid
from tests.sharing.test_ingest import URL, post
from tests.stix_samples import bundle, indicator
from tests.taxii.conftest import Taxii, secret_for

REALDATA = Path(__file__).parents[1] / "data" / "realdata"
GREEN = [TLP2_IDS["green"]]


def _real(name: str) -> list[dict[str, Any]]:
    return list(orjson.loads((REALDATA / name).read_bytes())["objects"])


# Ten objects of the OASIS examples: a C2 indicator; a campaign, an indicator and the
# relationship between them; an identity, an attack pattern, two indicators with MATCHES
# patterns and their relationships.
REAL = [
    *_real("stix-indicator-for-c2-ip-address.json"),
    *_real("stix-indicator-to-campaign-relationship.json"),
    *_real("stix-malicious-email-indicator-with-attachment.json"),
]
BAD_ID = "indicator--c43a0a05-e8d2-4f64-ae37-3f3fb153f8d9"  # the campaign example's indicator
BAD_INDEX = 72  # after the 70 generated objects that come first
RELATIONSHIP = "relationship--eca24e47-2259-4850-9705-fd1065c77236"  # indicates: BAD_ID -> the campaign
BAD_ERROR = {
    "where": f"object {BAD_INDEX} ({BAD_ID})",
    "field": "pattern",
    "message": "'10.0.0.256' is not an IPv4 address or network (dotted quad, no leading zeros, optional /prefix)",
}


def _made(n: int) -> dict[str, Any]:
    patterns = (
        f"[ipv4-addr:value = '198.51.100.{n % 250}'] OR [domain-name:value = 'host{n}.example.org']",
        f"[url:value = 'http://login{n}.example.net/verify']",
        f"[email-addr:value = 'mule{n}@example.com']",
        f"[file:hashes.'SHA-256' = '{n:064x}']",
    )
    return indicator(1000 + n, patterns[n % 4], object_marking_refs=GREEN)


def objects(*, bad: bool | None = True) -> list[dict[str, Any]]:
    """155 objects, the OASIS examples among generated indicators: with the campaign example's
    indicator carrying one malformed value (``bad``), as published (``False``), or left out
    altogether (``None``: the file as if the bad object had never been in it)."""
    real = copy.deepcopy(REAL)
    assert real[2]["id"] == BAD_ID
    if bad:
        real[2]["pattern"] = "[ ipv4-addr:value = '10.0.0.256' ]"
    elif bad is None:
        del real[2]
    made = [_made(n) for n in range(145)]
    return [*made[:70], *real, *made[70:]]


def stored() -> tuple[Any, ...]:
    """Everything the store holds, as a reader of the tables would see it."""
    return (
        sorted(StixObject.objects.values_list("stix_id", "modified", "type", "tlp", "data_category", "body")),
        sorted(Observable.objects.values_list("type", "value")),
        sorted(ObjectObservable.objects.values_list("stix_object__stix_id", "observable__value")),
    )


def stored_without_the_bad_object(client: Any) -> tuple[Any, ...]:
    """What the store holds after the file without the bad object (sent, seen, rolled back)."""
    with transaction.atomic():
        response = post(client, bundle(*objects(bad=None)), "without.json")
        assert response.status_code == 201, response.json()
        assert response.json()["rejected_count"] == 0
        seen = stored()
        transaction.set_rollback(True)
    assert StixObject.objects.count() == 0
    return seen


@pytest.fixture
def sharer(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return make_agreement(partner)


def test_one_bad_indicator_among_155_is_refused_alone_and_the_rest_stored_as_if_it_were_absent(api_for, sharer):
    client = api_for("partner_contributor")
    without = stored_without_the_bad_object(client)
    response = post(client, bundle(*objects()))
    assert response.status_code == 201, response.json()
    body = response.json()
    counts = ("status", "strict", "objects_count", "accepted_count", "new_count", "rejected_count")
    assert tuple(body[name] for name in counts) == ("done", False, 155, 154, 154, 1)
    assert body["errors"] == [BAD_ERROR]
    assert stored() == without
    # STIX allows references to objects the receiver does not hold: the relationship that
    # names the refused indicator is kept, as it is when the indicator was never sent.
    assert StixObject.objects.get(stix_id=RELATIONSHIP).body["source_ref"] == BAD_ID

    refused = client.get(f"{URL}{body['id']}/refused/").json()
    assert (refused["count"], refused["results"]) == (1, [{"number": 1, **BAD_ERROR}])
    listed = client.get("/api/v1/objects/", {"submission": body["id"], "page_size": 500}).json()
    assert listed["count"] == 154
    assert {o["stix_id"] for o in listed["results"]} == {o["id"] for o in objects(bad=None)}


def test_the_submission_page_lists_what_was_refused_and_links_what_was_stored(client, people, sharer):
    client.force_login(people["partner_contributor"])
    response = client.post("/share/", {"file": SimpleUploadedFile("examples.json", bundle(*objects()))}, follow=True)
    page = response.content.decode()
    assert "155 read: 154 taken (154 new, 0 updated), 1 refused" in page
    assert "Refused: everything else was stored" in page and "nothing was stored" not in page
    assert f"<td>{BAD_ERROR['where']}</td><td><code>pattern</code></td>" in page
    assert "is not an IPv4 address or network (dotted quad, no leading zeros, optional /prefix)" in page
    submission = Submission.objects.get()
    assert f"/shared/?submission={pid(submission)}" in page
    shared = client.get("/shared/", {"submission": pid(submission)}).content.decode()
    assert "154 results" in shared


def test_taxii_status_lists_the_one_failure_and_154_successes(api_for, people, sharer):
    without = stored_without_the_bad_object(api_for("partner_contributor"))
    collections_sync()
    user = people["partner_contributor"]
    inbox = Collection.objects.get(kind="inbox", organisation=user.organisation)
    taxii = Taxii(user, secret_for(user))
    response = taxii.post(f"collections/{inbox.pk}/objects/", orjson.dumps({"objects": objects()}))
    assert response.status_code == 202, response.content
    status = response.json()
    assert (status["status"], status["total_count"], status["success_count"], status["failure_count"]) == (
        "complete",
        155,
        154,
        1,
    )
    assert status["failures"] == [
        {"id": BAD_ID, "version": "2014-09-09T19:58:39.609Z", "message": f"pattern: {BAD_ERROR['message']}"}
    ]
    assert [s["id"] for s in status["successes"]] == [o["id"] for o in objects(bad=None)]
    assert taxii.get(f"status/{status['id']}/").json() == status
    assert stored() == without


def test_accord_import_lists_the_refused_object_and_strict_stores_nothing(sharer, tmp_path, capsys):
    path = tmp_path / "examples.json"
    path.write_bytes(bundle(*objects()))
    with pytest.raises(CommandError, match=f"Nothing was stored: .*\n  object {BAD_INDEX} \\({BAD_ID}\\), pattern: "):
        call_command("import", str(path), "--org", sharer.organisation.name, "--strict")
    assert StixObject.objects.count() == 0
    assert Submission.objects.get().status == "failed"
    call_command("import", str(path), "--org", sharer.organisation.name)  # taken again, not strict
    out = capsys.readouterr().out
    assert "155 objects (154 new, 0 updated, 1 refused)" in out
    assert f"not stored: object {BAD_INDEX} ({BAD_ID}), pattern: {BAD_ERROR['message']}" in out
    assert StixObject.objects.count() == 154


def test_strict_refuses_the_whole_and_says_where(api_for, sharer):
    client = api_for("partner_contributor")
    response = post(client, bundle(*objects()), strict="true")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == f"Nothing was stored: {BAD_ERROR['where']}, pattern: {BAD_ERROR['message']}"
    details = error["details"]
    assert (details["status"], details["strict"], details["accepted_count"], details["rejected_count"]) == (
        "failed",
        True,
        0,
        1,
    )
    assert details["errors"] == [BAD_ERROR]
    assert stored() == ([], [], [])
    assert list(Refusal.objects.values_list("number", "where")) == [(1, BAD_ERROR["where"])]
    assert post(client, bundle(*objects(bad=False)), "fixed.json", strict="true").status_code == 201
    assert post(client, bundle(*objects()), strict="maybe").status_code == 400  # not a yes or no


@pytest.fixture(params=["whole", "streamed", "streamed in a second process"])
def reading(request: Any, monkeypatch: Any, settings: Any) -> str:
    """How the bundle is read: parsed whole, streamed object by object, or streamed by a reading
    process while this one writes (inheriting the lowered threshold when forked)."""
    if request.param != "whole":
        monkeypatch.setattr("accord.formats.stix.STREAM_THRESHOLD", 0)
    settings.ACCORD_PARALLEL_INGEST_BYTES = 0 if request.param.endswith("process") else 1 << 40
    settings.ACCORD_INGEST_BATCH = 50  # the objects before the cut are written before it is met
    return str(request.param)


@pytest.mark.parametrize("strict", ["false", "true"])
def test_a_truncated_file_is_refused_whole_whatever_came_before_the_cut(api_for, sharer, reading, strict):
    whole = bundle(*objects(bad=False))
    cut = whole[: whole.index(BAD_ID.encode()) + 20]  # in the middle of object 72
    response = post(api_for("partner_contributor"), cut, strict=strict)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("Nothing was stored: bundle, json: malformed JSON")
    assert error["details"]["status"] == "failed"
    assert stored() == ([], [], [])


def test_a_file_that_is_not_stix_is_refused_whole(api_for, sharer):
    response = post(api_for("partner_contributor"), b'{"type": "report", "name": "no id, no version"}', format="stix")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Nothing was stored: bundle, type: not STIX 2.1: expected a bundle "
        '(a JSON object with "type": "bundle"), a TAXII envelope or list of STIX 2.1 objects, or one STIX 2.1 object'
    )
    assert stored() == ([], [], [])


def test_one_stix_object_on_its_own_is_taken_as_a_bundle_of_one(api_for, sharer):
    data = (REALDATA / "stix-interop-objectmarking-test.json").read_bytes()  # a campaign on its own
    response = post(api_for("partner_contributor"), data)  # the format is detected too
    assert response.status_code == 201, response.json()
    assert (response.json()["objects_count"], response.json()["accepted_count"]) == (1, 1)
    assert [row[0] for row in stored()[0]] == ["campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]


def test_every_refusal_is_kept_and_pages_while_the_error_list_is_capped(api_for, client, people, sharer):
    rows = [f"ipv4,203.0.113.{n}" if n % 7 == 0 else f"ipv4,999.0.0.{n}" for n in range(150)]
    good = sum(1 for n in range(150) if n % 7 == 0)
    api = api_for("partner_contributor")
    response = post(api, ("type,value\n" + "\n".join(rows) + "\n").encode(), "many.csv")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["objects_count"], body["accepted_count"], body["rejected_count"]) == (150, good, 150 - good)
    assert len(body["errors"]) == 100
    assert StixObject.objects.count() == good
    refused: list[dict[str, Any]] = []
    url: str | None = f"{URL}{body['id']}/refused/?page_size=50"
    while url:
        page = api.get(url).json()
        refused += page["results"]
        url = page["next"]
    bad_lines = [f"line {n + 2}" for n in range(150) if n % 7]
    assert [r["where"] for r in refused] == bad_lines
    assert [r["number"] for r in refused] == list(range(1, 150 - good + 1))
    assert refused[:100] == [{"number": n, **e} for n, e in enumerate(body["errors"], 1)]
    client.force_login(people["partner_contributor"])
    assert len(bad_lines) == 128
    last = client.get(f"/submissions/{body['id']}/", {"page": 6}).content.decode()  # 25 a page: 126 to 128
    assert "128 results · page 6 of 6" in last
    assert [f"<td>{line}</td>" in last for line in bad_lines[124:]] == [False, True, True, True]


def test_the_submission_filter_matches_nothing_for_a_reader_who_may_not_see_the_submission(
    api_for, sharer, other_partner
):
    """Atlas may read the green indicators Kestrel shared, but not Kestrel's submissions: filtering
    by Kestrel's submission answers as filtering by one that does not exist."""
    make_agreement(other_partner)
    body = post(api_for("partner_contributor"), bundle(*objects())).json()
    atlas = api_for(UserFactory(organisation=other_partner, role="partner_reader"))
    assert atlas.get("/api/v1/objects/").json()["count"] >= 145  # it sees the green indicators
    theirs = atlas.get("/api/v1/objects/", {"submission": body["id"]}).json()
    nobodys = atlas.get("/api/v1/objects/", {"submission": body["id"] + 1000}).json()
    assert theirs == nobodys and theirs["count"] == 0
    assert api_for("partner_reader").get("/api/v1/objects/", {"submission": body["id"]}).json()["count"] == 154
    assert atlas.get(f"{URL}{body['id']}/refused/").status_code == 404
    assert atlas.get(f"{URL}{body['id'] + 1000}/refused/").status_code == 404


def _misp_event(value: str | None) -> bytes:
    """PyMISP's long test event, its first ``link`` attribute made an ``ip-dst`` of ``value`` (or
    left out)."""
    event = orjson.loads((REALDATA / "misp-very_long_event.json").read_bytes())
    attributes = event["Event"]["Attribute"]
    assert attributes[2]["type"] == "link"
    if value is None:
        del attributes[2]
    else:
        attributes[2] |= {"type": "ip-dst", "category": "Network activity", "value": value}
    return orjson.dumps(event)


def test_a_misp_attribute_whose_value_does_not_fit_its_type_is_refused_alone(api_for, sharer):
    """The event's other attributes are stored exactly as if the bad one were absent. (A ``link``
    holding words rather than a URL is no such case: MISP holds links to no syntax, and it is
    kept as it was sent: tests/sharing/test_misp_events.py.)"""
    client = api_for("partner_contributor")
    with transaction.atomic():
        absent = post(client, _misp_event(None), "without.json").json()
        without = stored()
        transaction.set_rollback(True)
    response = post(client, _misp_event("see the Trustwave blog post"), "event.json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "done" and absent["status"] == "done"
    assert stored() == without
    assert (body["accepted_count"], body["rejected_count"]) == (absent["accepted_count"], absent["rejected_count"] + 1)
    refused = [e for e in body["errors"] if "5abf642d-5fa8-4bac-bf78-73e102de0b81" in e["where"]]
    assert len(refused) == 1, body["errors"]
    assert refused[0]["where"] == "event 0, attribute 2 (5abf642d-5fa8-4bac-bf78-73e102de0b81)"
    assert refused[0]["field"] == "value"
    assert "'see the Trustwave blog post' is not an IPv4 address" in refused[0]["message"]
    assert Observable.objects.filter(value="https://pastebin.com/raw/PvKLJAWP").exists()  # the other link


def test_an_object_past_the_size_cap_is_refused_alone_and_named(api_for, sharer, settings):
    """A 2 MB description would make every page, export and bundle holding it as large: the
    object is refused, naming its size and the cap; the others are stored."""
    settings.ACCORD_MAX_OBJECT_BYTES = 1024 * 1024
    huge = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=GREEN, description="x" * 2_000_000)
    small = indicator(2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=GREEN)
    body = post(api_for("partner_contributor"), bundle(huge, small)).json()
    assert (body["accepted_count"], body["rejected_count"]) == (1, 1)
    (error,) = body["errors"]
    assert error["where"] == f"object 0 ({huge['id']})" and error["field"] == "object"
    assert "at most 1,048,576 are taken per object" in error["message"]
    assert list(StixObject.objects.values_list("stix_id", flat=True)) == [small["id"]]


def test_a_text_past_its_fields_cap_is_refused_alone_naming_the_field(api_for, sharer, settings):
    """A 300 KB description nested in an external reference passes the field cap (256 KB) while
    the object stays under its own (1 MB): refused, naming the field's path and the cap; a field
    with a cap of its own (here `name`, 1 KB) is held to it; the rest is stored."""
    settings.ACCORD_MAX_FIELD_BYTES = 256 * 1024
    settings.ACCORD_FIELD_CAPS = {"payload_bin": 1024 * 1024, "name": 1024}
    reference = {"source_name": "blog", "description": "é" * 150_000}  # 300,000 bytes of UTF-8
    long = indicator(
        1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=GREEN, external_references=[reference]
    )
    named = indicator(2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=GREEN, name="n" * 2000)
    fine = indicator(
        3, "[ipv4-addr:value = '198.51.100.3']", object_marking_refs=GREEN, description="d" * 200_000, name="short"
    )
    body = post(api_for("partner_contributor"), bundle(long, named, fine)).json()
    assert (body["accepted_count"], body["rejected_count"]) == (1, 2)
    first, second = body["errors"]
    assert (first["where"], first["field"]) == (f"object 0 ({long['id']})", "external_references[0].description")
    assert first["message"] == "is 300,000 bytes; at most 262,144 are taken in this field"
    assert (second["field"], second["message"]) == ("name", "is 2,000 bytes; at most 1,024 are taken in this field")
    assert list(StixObject.objects.values_list("stix_id", flat=True)) == [fine["id"]]


def test_a_misp_sample_larger_than_the_field_cap_is_taken_whole(api_for, sharer):
    """A malware sample's base64 (a MISP attachment's ``data``) is bounded by the object's cap
    only: PyMISP's long event, its sample grown to 600 KB, is stored with the sample as sent."""
    event = orjson.loads((REALDATA / "misp-very_long_event.json").read_bytes())
    sample = event["Event"]["Attribute"][9]
    assert sample["type"] in ("malware-sample", "attachment") and len(sample["data"]) > 200_000
    sample["data"] = (sample["data"] * 3)[:600_000]
    body = post(api_for("partner_contributor"), orjson.dumps(event), "event.json").json()
    assert body["status"] == "done" and not [e for e in body["errors"] if "data" in e["field"]], body["errors"]
    kept = [o.body["x_misp_attribute"] for o in StixObject.objects.all() if "x_misp_attribute" in o.body]
    assert any(a.get("data") == sample["data"] for a in kept)
