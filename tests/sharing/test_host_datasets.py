"""The hosting organisation's analysts load open and internal data sets under the host's own
handling rules (its internal-data terms), with provenance naming the data set."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.feeds.services import feed_add, feed_pull
from accord.partners.models import Agreement
from accord.sharing.models import StixObject, Submission
from tests.factories import make_agreement
from tests.feeds.test_feeds import FeedServer, publish

SHARING = "/api/v1/"
URLHAUS = b"type,value\nurl,http://malware-drop.example.org/bin.exe\nipv4,198.51.100.77\n"


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_HOST_DATA_TERMS = {"default_tlp": "green", "retention_days": 30}
    return tmp_path


def test_accord_import_for_the_host_stores_a_data_set_under_its_own_handling_rules(host, people, media, capsys):
    path = media / "urlhaus.csv"
    path.write_bytes(URLHAUS)
    call_command("import", str(path), "--org", host.name, "--dataset", "URLhaus 2026-05-01")
    assert "Submission" in capsys.readouterr().out
    submission = Submission.objects.get()
    assert (submission.status, submission.organisation, submission.filename) == ("done", host, "URLhaus 2026-05-01")
    terms = Agreement.objects.get(organisation=host)  # the host's internal-data terms
    assert submission.agreement == terms and terms.status == "active"
    stored = StixObject.objects.filter(submission=submission)
    assert stored.count() == 2
    assert {o.tlp for o in stored} == {"green"}  # the host's default TLP (ACCORD_HOST_DATA_TERMS)
    for obj in stored:
        assert obj.expires_at - obj.added_at == timedelta(days=30)  # and its retention
    assert set(stored.values_list("purpose", flat=True)) == {terms.current_version.purposes[0]}


def test_host_data_sets_by_the_api_reach_partners_only_as_the_host_s_rules_allow(api_for, partner, people, media):
    make_agreement(partner)  # a private partner: the host's rules share onward to law enforcement only
    reader = api_for("partner_reader")

    def seen() -> tuple[Any, ...]:
        observables, objects = reader.get(f"{SHARING}observables/"), reader.get(f"{SHARING}objects/")
        assert observables.status_code == objects.status_code == 200
        return observables.json(), objects.json()

    before = seen()
    upload = io.BytesIO(URLHAUS)
    upload.name = "urlhaus.csv"
    response = api_for("analyst").post(
        "/api/v1/submissions/?dataset=URLhaus%202026-05-01", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["filename"]) == ("done", "URLhaus 2026-05-01")
    analyst_view = api_for("analyst").get(f"{SHARING}objects/").json()
    assert analyst_view["count"] == 2  # the host's analysts work on it
    assert seen() == before  # a private partner: as if it were not there
    assert StixObject.objects.filter(expires_at__lte=timezone.now() + timedelta(days=31)).count() == 2


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    running = FeedServer()
    yield running
    running.close()


def test_a_host_feed_of_an_open_data_set_is_pulled_under_the_host_s_terms(host, people, media, feed_server):
    server = feed_server
    event = orjson.loads((Path(__file__).parents[1] / "data" / "pymisp" / "misp-mainly_objects_2.json").read_bytes())
    publish(server, event)
    feed = feed_add(actor=None, name="circl-osint", kind="misp", url=f"{server.url}/misp/", organisation=host)
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result.error
    (submission_id,) = result.submissions
    submission = Submission.objects.get(pk=submission_id)
    assert (submission.status, submission.organisation, submission.agreement.organisation) == ("done", host, host)
    assert submission.filename.startswith("circl-osint/")  # the data set it came from
    assert StixObject.objects.filter(submission=submission, type="report").get().body["name"] == event["Event"]["info"]
