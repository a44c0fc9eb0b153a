"""Feeds pulled from a local HTTP server: MISP feed layout and CSV files; CLI, UI and worker."""

from __future__ import annotations

import base64
import copy
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.core.models import AuditEvent
from accord.feeds.models import Feed
from accord.feeds.services import feed_add, feed_pull, feeds_pull_due
from accord.formats.markings import TLP1_IDS, TLP2_IDS
from accord.sharing.models import Observable, StixObject, Submission
from tests.factories import make_agreement
from tests.ids import pid
from tests.stix_samples import indicator

EVENT = orjson.loads((Path(__file__).parents[1] / "data" / "misp_event.json").read_bytes())


class FeedServer:
    """Serves ``files`` (path → bytes) over HTTP on a free port; optional Basic auth; ETags."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.credentials: tuple[str, str] | None = None
        self.media_type: str | None = None  # a Content-Type to send (TAXII needs its own)
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                server.requests.append(self.path)
                if server.credentials:
                    expected = "Basic " + base64.b64encode(":".join(server.credentials).encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self.send_response(401)
                        self.end_headers()
                        return
                body = server.files.get(self.path, server.files.get(self.path.split("?", 1)[0]))
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                if server.media_type:
                    self.send_header("Content-Type", server.media_type)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    running = FeedServer()
    yield running
    running.close()


@pytest.fixture
def source(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return make_agreement(partner)


def misp_event(uuid: str, timestamp: int, ip: str) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["Event"] |= {"uuid": uuid, "timestamp": str(timestamp), "info": f"event {uuid[:4]}"}
    event["Event"]["Attribute"][0]["value"] = ip
    return event


def publish(server: FeedServer, *events: dict[str, Any]) -> None:
    manifest = {e["Event"]["uuid"]: {"timestamp": e["Event"]["timestamp"], "info": e["Event"]["info"]} for e in events}
    server.files["/misp/manifest.json"] = orjson.dumps(manifest)
    for event in events:
        server.files[f"/misp/{event['Event']['uuid']}.json"] = orjson.dumps(event)


FIRST = misp_event("11111111-1c2b-4b7a-9d3a-2f1e0c9b8a71", 1_780_000_000, "198.51.100.1")
SECOND = misp_event("22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71", 1_780_000_100, "198.51.100.2")
THIRD = misp_event("33333333-1c2b-4b7a-9d3a-2f1e0c9b8a71", 1_780_000_200, "198.51.100.3")


def misp_feed(server: FeedServer, partner: Any, **extra: Any) -> Feed:
    return feed_add(
        actor=None, name="kestrel-misp", kind="misp", url=f"{server.url}/misp/", organisation=partner, **extra
    )


def test_a_misp_feed_is_pulled_event_by_event_and_then_incrementally(server, source, partner):
    publish(server, SECOND, FIRST)
    feed = misp_feed(server, partner)
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result.error
    assert len(result.submissions) == 2
    assert Submission.objects.filter(organisation=partner, status="done").count() == 2
    assert {"198.51.100.1", "198.51.100.2"} <= set(Observable.objects.values_list("value", flat=True))
    # An attribute tagged tlp:red is left out (counted): RED never travels between platforms.
    assert not StixObject.objects.filter(tlp="red").exists()
    red_per_event = sum(any(t["name"] == "tlp:red" for t in a.get("Tag", [])) for a in FIRST["Event"]["Attribute"])
    assert red_per_event and result.left_out_red == 2 * red_per_event
    feed.refresh_from_db()
    assert (feed.cursor, feed.last_error, feed.last_success_at is not None) == ("1780000100", "", True)
    # nothing new: no submission, no event fetched again
    server.requests.clear()
    assert feed_pull(actor=None, feed=feed).submissions == []
    assert server.requests == ["/misp/manifest.json"]
    publish(server, FIRST, SECOND, THIRD)
    again = feed_pull(actor=None, feed=feed)
    assert len(again.submissions) == 1
    assert "/misp/33333333-1c2b-4b7a-9d3a-2f1e0c9b8a71.json" in server.requests
    assert Feed.objects.get().cursor == "1780000200"
    assert AuditEvent.objects.filter(action="feed.pull").count() == 3


BROKEN = misp_event("22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71", 1_780_000_100, "198.51.100.999")
UNREADABLE_UUID = "25252525-1c2b-4b7a-9d3a-2f1e0c9b8a71"


def publish_with_an_unreadable_event(server: FeedServer, *events: dict[str, Any]) -> None:
    """``events`` and, between the broken one and the third, an event file cut short."""
    publish(server, *events)
    manifest = orjson.loads(server.files["/misp/manifest.json"])
    manifest[UNREADABLE_UUID] = {"timestamp": "1780000150", "info": "cut short"}
    server.files["/misp/manifest.json"] = orjson.dumps(manifest)
    server.files[f"/misp/{UNREADABLE_UUID}.json"] = orjson.dumps(THIRD)[:200]


def test_a_refused_event_is_reported_and_skipped_and_the_feed_goes_on(server, source, partner):
    """An event with one bad attribute is stored but for it, an event file cut short is refused
    whole; both are reported on the feed and skipped, and the pull goes on to the last event."""
    publish_with_an_unreadable_event(server, FIRST, BROKEN, THIRD)
    feed = misp_feed(server, partner)
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result.error
    assert len(result.submissions) == 4
    broken, unreadable = result.refused
    assert broken.startswith("22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71.json: 1 object(s) refused, the rest stored")
    assert "event 0, attribute 0 (8b0e2d4c-6f1a-4c3e-9a7b-1d2c3e4f5a61), value: '198.51.100.999'" in broken
    assert unreadable.startswith(f"{UNREADABLE_UUID}.json: refused whole (submission ")
    cut = Submission.objects.get(filename__endswith=f"{UNREADABLE_UUID}.json")
    assert f"(submission {pid(cut)})" in unreadable  # the number the API and pages give it
    assert "event, json: malformed JSON" in unreadable
    feed.refresh_from_db()
    assert (feed.cursor, feed.last_error, feed.last_success_at is not None) == ("1780000200", "", True)
    assert feed.last_refused == f"{broken}\n{unreadable}"
    assert Observable.objects.filter(value="198.51.100.3").exists()  # the event after both
    from_broken = Submission.objects.get(filename__endswith="22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71.json")
    assert (from_broken.status, from_broken.rejected_count) == ("done", 1)
    # all of it but the refused attribute and the one tagged tlp:red, and the event (a report)
    assert StixObject.objects.filter(submission=from_broken).count() == 6
    event = AuditEvent.objects.get(action="feed.pull")
    assert event.details["refused"] == [broken, unreadable]
    # nothing new: the skipped events are not fetched again
    server.requests.clear()
    assert feed_pull(actor=None, feed=feed).submissions == []
    assert server.requests == ["/misp/manifest.json"]


def test_a_strict_feed_skips_an_event_with_any_refusal_whole_and_goes_on(server, source, partner):
    publish(server, FIRST, BROKEN, THIRD)
    feed = misp_feed(server, partner, strict=True)
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result.error
    (refused,) = result.refused
    assert refused.startswith("22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71.json: refused whole (submission ")
    assert "'198.51.100.999'" in refused
    from_broken = Submission.objects.get(filename__endswith="22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71.json")
    assert (from_broken.strict, from_broken.status) == (True, "failed")
    assert not StixObject.objects.filter(submission=from_broken).exists()
    assert Feed.objects.get().cursor == "1780000200"
    assert Observable.objects.filter(value="198.51.100.3").exists()


def test_an_event_the_source_cannot_serve_stops_the_pull_where_it_is(server, source, partner):
    """The source's failure, unlike a refusal, keeps the feed where it was: the next pull tries again."""
    publish(server, FIRST, SECOND, THIRD)
    del server.files["/misp/22222222-1c2b-4b7a-9d3a-2f1e0c9b8a71.json"]
    feed = misp_feed(server, partner)
    result = feed_pull(actor=None, feed=feed)
    assert not result.ok and "HTTP 404" in result.error
    feed.refresh_from_db()
    assert (feed.cursor, feed.last_error) == ("1780000000", result.error)
    assert AuditEvent.objects.filter(action="feed.pull_failed").exists()
    publish(server, FIRST, SECOND, THIRD)  # served again: the next pull resumes there
    assert feed_pull(actor=None, feed=feed).ok
    assert Feed.objects.get().cursor == "1780000200"


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({}, "HTTP 404"),
        ({"/misp/manifest.json": b"{not json"}, "malformed JSON"),
        ({"/misp/manifest.json": b'{"x": {"timestamp": "1"}}'}, "needs a UUID and a timestamp"),
    ],
)
def test_an_unreadable_source_is_reported_and_nothing_moves(server, source, partner, files, words):
    server.files.update(files)
    feed = misp_feed(server, partner)
    result = feed_pull(actor=None, feed=feed)
    assert words in result.error
    feed.refresh_from_db()
    assert (feed.cursor, feed.pulling_since, Submission.objects.count()) == ("", None, 0)


def test_a_server_that_is_down_is_an_error_not_a_crash(source, partner):
    feed = feed_add(actor=None, name="gone", kind="misp", url="http://127.0.0.1:9/misp/", organisation=partner)
    result = feed_pull(actor=None, feed=feed)
    assert "127.0.0.1:9" in result.error and not result.ok


def test_credentials_are_sent_and_kept_encrypted(server, source, partner):
    server.credentials = ("hub-reader", "s3cret-token")
    publish(server, FIRST)
    feed = misp_feed(server, partner, username="hub-reader", token="s3cret-token")
    assert "s3cret-token" not in Feed.objects.values_list("token_sealed", flat=True).get()
    assert feed_pull(actor=None, feed=feed).ok
    feed.token_sealed = Feed.objects.get().token_sealed[:-4] + "AAAA"
    assert "cannot be read" in feed_pull(actor=None, feed=feed).error


URLHAUS = b"""################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs)             #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3001","2026-05-01 10:00:00","http://bad.example.com/a.exe","online","2026-05-01 10:00:00","malware_download","exe","https://u/3001","r"
"3002","2026-05-01 11:00:00","http://worse.example.net/b","offline","","malware_download","","https://u/3002","r"
"""
MAPPING = {
    "header": ["id", "dateadded", "url", "url_status", "last_online", "threat", "tags", "urlhaus_link", "reporter"],
    "type": "=url",
    "value": "url",
    "first_seen": "dateadded",
    "crime_type": "threat",
}


def test_a_csv_feed_is_mapped_and_fetched_again_only_when_it_changed(server, source, partner):
    server.files["/urls.csv"] = URLHAUS
    feed = feed_add(
        actor=None, name="urlhaus", kind="csv", url=f"{server.url}/urls.csv", organisation=partner, mapping=MAPPING
    )
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result.error
    assert result.objects == 2
    assert set(Observable.objects.values_list("value", flat=True)) == {
        "http://bad.example.com/a.exe",
        "http://worse.example.net/b",
    }
    assert set(StixObject.objects.values_list("crime_type", flat=True)) == {"malware_download"}
    assert feed_pull(actor=None, feed=feed).submissions == []  # 304: not modified
    server.files["/urls.csv"] = URLHAUS.replace(b"bad.example.com", b"bad.example.org")
    assert len(feed_pull(actor=None, feed=feed).submissions) == 1


def test_a_csv_row_short_of_a_mapped_column_names_its_line(server, source, partner):
    server.files["/urls.csv"] = URLHAUS + b'"3003","2026-05-01"\n'
    feed = feed_add(
        actor=None, name="urlhaus", kind="csv", url=f"{server.url}/urls.csv", organisation=partner, mapping=MAPPING
    )
    assert "line 8: 2 columns" in feed_pull(actor=None, feed=feed).error
    assert StixObject.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "no spaces please"}, "name"),
        ({"url": "ftp://x/"}, "url"),
        ({"kind": "rss"}, "kind"),
        ({"kind": "taxii"}, "collection"),
        ({"kind": "csv", "mapping": {"value": "url"}}, "mapping"),
        ({"kind": "csv", "mapping": {"type": "=url", "value": "url", "colour": "x"}}, "mapping"),
        ({"tlp": "purple"}, "tlp"),
        ({"interval_minutes": 0}, "interval_minutes"),
    ],
)
def test_bad_feed_settings_are_refused_naming_the_field(source, partner, changes, field):
    from accord.core.errors import ValidationFailed

    arguments = {"name": "ok", "kind": "misp", "url": "http://127.0.0.1/x/", "organisation": partner} | changes
    with pytest.raises(ValidationFailed) as caught:
        feed_add(actor=None, **arguments)
    assert field in caught.value.details
    assert Feed.objects.count() == 0


def test_only_admins_manage_feeds(people, partner, source):
    from accord.core.errors import Forbidden

    with pytest.raises(Forbidden):
        feed_add(actor=people["analyst"], name="x", kind="misp", url="http://127.0.0.1/x/", organisation=partner)


def test_a_pull_in_progress_is_not_started_twice(server, source, partner):
    from django.utils import timezone

    from accord.core.errors import Conflict

    publish(server, FIRST)
    feed = misp_feed(server, partner)
    Feed.objects.filter(pk=feed.pk).update(pulling_since=timezone.now())
    with pytest.raises(Conflict):
        feed_pull(actor=None, feed=feed)
    assert feeds_pull_due() == []  # the worker skips it too


def test_the_worker_pulls_feeds_whose_interval_has_passed(server, source, partner):
    from datetime import timedelta

    from django.utils import timezone

    publish(server, FIRST)
    feed = misp_feed(server, partner, interval_minutes=30)
    assert [r.feed for r in feeds_pull_due()] == ["kestrel-misp"]
    assert feeds_pull_due() == []  # just pulled
    assert [r.feed for r in feeds_pull_due(now=timezone.now() + timedelta(minutes=31))] == ["kestrel-misp"]
    call_command("feeds", "disable", feed.name, stdout=StringIO())
    assert feeds_pull_due(now=timezone.now() + timedelta(days=1)) == []


def test_a_feed_another_worker_has_just_pulled_is_not_pulled_again(server, source, partner):
    """Two workers read the due feeds at once; the one that comes to the feed after the other
    has pulled it (its copy of the feed still says due) leaves it."""
    from django.utils import timezone

    from accord.core.errors import Conflict

    publish(server, FIRST)
    feed = misp_feed(server, partner, interval_minutes=30)
    read_by_the_second_worker = Feed.objects.get(pk=feed.pk)
    assert feed_pull(actor=None, feed=feed, due_at=timezone.now()).ok
    server.requests.clear()
    with pytest.raises(Conflict):
        feed_pull(actor=None, feed=read_by_the_second_worker, due_at=timezone.now())
    assert server.requests == []
    assert AuditEvent.objects.filter(action="feed.pull").count() == 1


def test_a_pull_starts_where_the_last_pull_left_the_feed(server, source, partner):
    publish(server, FIRST)
    feed = misp_feed(server, partner)
    read_before_the_pull = Feed.objects.get(pk=feed.pk)
    feed_pull(actor=None, feed=feed)
    publish(server, FIRST, SECOND)
    server.requests.clear()
    assert len(feed_pull(actor=None, feed=read_before_the_pull).submissions) == 1
    assert f"/misp/{FIRST['Event']['uuid']}.json" not in server.requests


def test_the_cli_adds_lists_pulls_and_removes(server, source, partner):
    publish(server, FIRST)
    out = StringIO()
    call_command("feeds", "add", "kestrel", f"{server.url}/misp/", "--kind", "misp", "--org", partner.name, stdout=out)
    call_command("feeds", "pull", "kestrel", stdout=out)
    assert "kestrel: 1 submission(s)" in out.getvalue()
    listing = StringIO()
    call_command("feeds", "list", stdout=listing)
    assert "kestrel" in listing.getvalue() and "never" not in listing.getvalue()  # it has been pulled
    assert Feed.objects.get().last_success_at is not None
    server.files.clear()
    with pytest.raises(CommandError, match="1 feed\\(s\\) failed"):
        call_command("feeds", "pull", stdout=out, stderr=StringIO())
    call_command("feeds", "remove", "kestrel", stdout=out)
    assert Feed.objects.count() == 0 and Submission.objects.count() == 1
    with pytest.raises(CommandError, match="--map: not JSON"):
        call_command("feeds", "add", "x", "http://h/x.csv", "--kind", "csv", "--org", partner.name, "--map", "{")


def test_the_admin_page_adds_and_pulls_a_feed(client, people, server, source, partner):
    publish(server, FIRST)
    client.force_login(people["admin"])
    refused = client.post(
        "/feeds/",
        {
            "name": "k",
            "kind": "taxii",
            "url": f"{server.url}/misp/",
            "organisation": partner.pk,
            "interval_minutes": 60,
        },
    )
    assert refused.status_code == 400
    assert "a TAXII feed names its collection" in refused.content.decode()
    added = client.post(
        "/feeds/",
        {"name": "k", "kind": "misp", "url": f"{server.url}/misp/", "organisation": partner.pk, "interval_minutes": 60},
    )
    assert added.status_code == 302
    feed = Feed.objects.get()
    client.post(f"/feeds/{feed.pk}/pull/")
    page = client.get("/feeds/").content.decode()
    assert "OK" in page and f"submission {pid(Submission.objects.get())}" in page
    client.force_login(people["analyst"])
    assert client.get("/feeds/").status_code == 403


@pytest.mark.parametrize(
    ("body", "words"),
    [(None, "404"), (b'{"id": "not-this-collection", "title": "x"}', "not a usable TAXII 2.1 answer")],
)
def test_a_taxii_feed_that_answers_wrongly_is_an_error_not_a_crash(server, source, partner, body, words):
    if body is not None:
        server.files["/taxii2/api/collections/abc/"] = body
    feed = feed_add(
        actor=None, name="t", kind="taxii", url=f"{server.url}/taxii2/api/", collection="abc", organisation=partner
    )
    result = feed_pull(actor=None, feed=feed)
    assert words in result.error, result.error
    assert Feed.objects.get().cursor == "" and Submission.objects.count() == 0


def test_a_taxii_feed_never_stores_tlp_red_that_a_server_sent_by_mistake(server, source, partner):
    """RED never travels between platforms: a TAXII server that sends it anyway (TLP 2.0 or 1.0)
    leaves nothing of it here, no object and no observable; the rest is stored as usual."""
    server.media_type = "application/taxii+json;version=2.1"
    root = "/taxii2/api/collections/abc/"
    server.files[root] = orjson.dumps({"id": "abc", "title": "Hub", "can_read": True, "can_write": False})
    green = indicator(1, "[ipv4-addr:value = '198.51.100.1']", object_marking_refs=[TLP2_IDS["green"]])
    red = indicator(2, "[ipv4-addr:value = '198.51.100.2']", object_marking_refs=[TLP2_IDS["red"]])
    tlp1_red = next(ref for ref, label in TLP1_IDS.items() if label == "red")
    red_tlp1 = indicator(3, "[ipv4-addr:value = '198.51.100.3']", object_marking_refs=[tlp1_red])
    server.files[root + "objects/"] = orjson.dumps({"more": False, "objects": [red, green, red_tlp1]})
    feed = feed_add(
        actor=None, name="hub", kind="taxii", url=f"{server.url}/taxii2/api/", collection="abc", organisation=partner
    )
    result = feed_pull(actor=None, feed=feed)
    assert result.ok, result.error
    assert (result.objects, result.left_out_red) == (1, 2)
    assert list(StixObject.objects.values_list("stix_id", "tlp")) == [(green["id"], "green")]
    assert set(Observable.objects.values_list("value", flat=True)) == {"198.51.100.1"}
    pulled = AuditEvent.objects.get(action="feed.pull")
    assert pulled.details["left_out_red"] == 2
    out = StringIO()
    server.files[root + "objects/"] = orjson.dumps({"more": False, "objects": [red]})
    call_command("feeds", "pull", "hub", stdout=out, stderr=StringIO())
    assert "1 object(s) marked TLP:RED were left out" in out.getvalue()
    assert StixObject.objects.count() == 1


TAXII_TYPE = "application/taxii+json;version=2.1"
FIRST_VERSION = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--6c8e2a3b-2c1e-4f55-8d0a-3c9b6a2f4e11",
    "created": "2026-05-01T12:00:00.000Z",
    "modified": "2026-05-01T12:00:00.000Z",
    "pattern": "[ipv4-addr:value = '198.51.100.41']",
    "pattern_type": "stix",
    "valid_from": "2026-05-01T12:00:00.000Z",
}
LAST_VERSION = FIRST_VERSION | {
    "modified": "2026-06-01T12:00:00.000Z",
    "pattern": "[ipv4-addr:value = '198.51.100.42']",
}


class TaxiiServer:
    """A TAXII 2.1 API root with one collection, ``abc``, holding two versions of an indicator:
    every version when asked ``match[version]=all``, else the last only (TAXII 2.1 §3.4.1's
    default). Remembers the query of every objects request."""

    def __init__(self) -> None:
        self.queries: list[dict[str, list[str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                path, _, query = self.path.partition("?")
                if path == "/taxii2/api/collections/abc/":
                    body: dict[str, Any] = {
                        "id": "abc",
                        "title": "versions",
                        "can_read": True,
                        "can_write": False,
                        "media_types": ["application/stix+json;version=2.1"],
                    }
                elif path == "/taxii2/api/collections/abc/objects/":
                    params = parse_qs(query)
                    server.queries.append(params)
                    versions = params.get("match[version]", ["last"])[0].split(",")
                    body = {
                        "more": False,
                        "objects": [FIRST_VERSION, LAST_VERSION] if "all" in versions else [LAST_VERSION],
                    }
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = orjson.dumps(body)
                self.send_response(200)
                self.send_header("Content-Type", TAXII_TYPE)
                self.send_header("Content-Length", str(len(data)))
                if path.endswith("/objects/"):
                    self.send_header("X-TAXII-Date-Added-First", "2026-06-01T12:00:00.000000Z")
                    self.send_header("X-TAXII-Date-Added-Last", "2026-06-01T12:00:00.000000Z")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/taxii2/api/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_taxii_feed_pulls_every_version_of_every_object(source, partner):
    taxii = TaxiiServer()
    try:
        feed = feed_add(
            actor=None, name="versions", kind="taxii", url=taxii.url, collection="abc", organisation=partner
        )
        result = feed_pull(actor=None, feed=feed)
    finally:
        taxii.close()
    assert result.ok, result.error
    assert taxii.queries[0]["match[version]"] == ["all"]
    versions = StixObject.objects.filter(stix_id=FIRST_VERSION["id"]).order_by("modified")
    assert [v.body["pattern"] for v in versions] == [FIRST_VERSION["pattern"], LAST_VERSION["pattern"]]
    assert Feed.objects.get().cursor == "2026-06-01T12:00:00.000000Z"


def test_a_misp_event_tagged_tlp_red_is_left_out_whole(server, source, partner):
    red = copy.deepcopy(SECOND)
    red["Event"]["Tag"] = [*red["Event"].get("Tag", []), {"name": "tlp:red"}]
    publish(server, FIRST, red, THIRD)
    result = feed_pull(actor=None, feed=misp_feed(server, partner))
    assert result.ok, result.error
    assert len(result.submissions) == 2  # the first and third events
    assert not Observable.objects.filter(value="198.51.100.2").exists()
    assert not StixObject.objects.filter(tlp="red").exists()
    assert result.left_out_red >= len(red["Event"]["Attribute"])
    assert "marked TLP:RED were left out" in result.left_out_note
