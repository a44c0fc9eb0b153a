"""Large submissions: written batch by batch in one transaction, read in a second process."""

from __future__ import annotations

import gc
import multiprocessing
from typing import Any

import pytest

from accord.sharing.models import ObjectObservable, Observable, StixObject, Submission
from accord.sharing.progress import report_progress
from tests.factories import make_agreement
from tests.ids import pid
from tests.sharing.test_ingest import GOOD, post
from tests.stix_samples import STAMP, bundle, indicator

LATER = "2026-06-01T12:00:00.000Z"
OBJECTS = 2500  # several batches of 1000 (below)


def _objects(bad_at: int | None = None) -> list[dict[str, Any]]:
    objects = [indicator(n, f"[ipv4-addr:value = '10.0.{n // 256}.{n % 256}']") for n in range(OBJECTS)]
    objects.append(indicator(3, "[ipv4-addr:value = '10.0.0.3']"))  # the same version again: stored once
    objects.append(indicator(4, "[ipv4-addr:value = '10.0.0.4']", modified=LATER))  # a second version
    if bad_at is not None:
        objects[bad_at] = indicator(bad_at, "[ipv4-addr:value = '10.0.0.999']")
    return objects


@pytest.fixture(params=["one process", "two processes"])
def reading(request: Any, partner: Any, people: Any, settings: Any, tmp_path: Any) -> str:
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_PARALLEL_INGEST_BYTES = 0 if request.param == "two processes" else 1 << 40
    settings.ACCORD_INGEST_BATCH = 1000
    make_agreement(partner)
    return str(request.param)


def test_a_submission_of_several_batches_is_stored_whole(api_for, reading):
    response = post(api_for("partner_contributor"), bundle(*_objects()))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["objects_count"], body["new_count"], body["updated_count"]) == (
        "done",
        OBJECTS + 2,
        OBJECTS + 1,  # every object, one of them in two versions, and the repeat not at all
        0,
    )
    assert body["observables_count"] == OBJECTS
    assert StixObject.objects.count() == OBJECTS + 1
    assert set(StixObject.objects.filter(stix_id=indicator(4, "")["id"]).values_list("body__modified", flat=True)) == {
        STAMP,
        LATER,
    }
    assert Observable.objects.count() == OBJECTS
    assert ObjectObservable.objects.count() == OBJECTS + 1
    assert not multiprocessing.active_children()  # the reading process is gone


def test_batches_growing_to_the_configured_size_store_the_submission_whole(api_for, reading, settings):
    settings.ACCORD_INGEST_BATCH = 4000  # written as 1,000 then 2,000 then the rest
    response = post(api_for("partner_contributor"), bundle(*_objects()))
    assert response.status_code == 201, response.json()
    assert (response.json()["objects_count"], response.json()["observables_count"]) == (OBJECTS + 2, OBJECTS)
    assert (StixObject.objects.count(), ObjectObservable.objects.count()) == (OBJECTS + 1, OBJECTS + 1)


@pytest.mark.parametrize("bad_at", [None, OBJECTS - 10])
def test_the_garbage_collector_is_back_on_after_an_ingest_stored_or_refused(api_for, reading, bad_at):
    assert gc.isenabled()
    response = post(api_for("partner_contributor"), bundle(*_objects(bad_at=bad_at)), strict="true")
    assert response.status_code == (201 if bad_at is None else 400)
    assert gc.isenabled()


def test_a_later_version_in_a_new_submission_is_an_update(api_for, reading):
    client = api_for("partner_contributor")
    assert post(client, bundle(*_objects())).status_code == 201
    again = post(client, bundle(indicator(7, "[ipv4-addr:value = '10.0.0.7']", modified=LATER)))
    assert (again.json()["new_count"], again.json()["updated_count"]) == (0, 1)


def test_strict_an_error_in_a_late_batch_leaves_nothing_stored(api_for, reading):
    response = post(api_for("partner_contributor"), bundle(*_objects(bad_at=OBJECTS - 10)), strict="true")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert f"object {OBJECTS - 10} (indicator--00000000-0000-4000-8000-{OBJECTS - 10:012})" in message
    assert "10.0.0.999" in message
    assert (StixObject.objects.count(), Observable.objects.count(), ObjectObservable.objects.count()) == (0, 0, 0)
    assert Submission.objects.get().status == "failed"


def test_strict_reading_stops_at_the_error_limit_and_the_reader_is_reaped(api_for, reading):
    objects = [indicator(n, "[ipv4-addr:value = '999.0.0.1']") for n in range(500)]
    response = post(api_for("partner_contributor"), bundle(*objects), strict="true")
    assert response.status_code == 400
    submission = Submission.objects.get()
    assert (submission.status, submission.rejected_count, len(submission.errors)) == ("failed", 100, 100)
    assert not multiprocessing.active_children()


def test_observables_keep_the_facts_their_normaliser_derived(api_for, reading):
    assert post(api_for("partner_contributor"), GOOD).status_code == 201
    facts = dict(Observable.objects.values_list("type", "extra"))
    assert facts["iban"] == {"country": "GB", "bank_code": "WEST"}
    assert facts["domain"] == {"registered_domain": "example.com"}
    assert facts["url"] == {"host": "login-bank.example.com"}
    listed = api_for("partner_contributor").get("/api/v1/observables/?type=iban").json()["results"]
    assert listed[0]["extra"] == {"country": "GB", "bank_code": "WEST"}


def test_progress_is_read_from_the_live_figure_while_it_runs(api_for, partner, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    client = api_for("partner_contributor")
    done = post(client, GOOD).json()
    assert done["progress"] == 100
    # a submission whose ingest transaction is still open: its row says 0, the live figure more
    running = Submission.objects.create(
        organisation=partner,
        agreement=Submission.objects.get().agreement,
        format="stix",
        sha256="0" * 64,
        size=1,
        status="processing",
    )
    report_progress(running.pk, 42)
    assert client.get(f"/api/v1/submissions/{pid(running)}/").json()["progress"] == 42
    assert client.get(f"/api/v1/submissions/{done['id']}/").json()["progress"] == 100
