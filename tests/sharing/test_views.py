"""Sharing pages: upload, submissions with their errors, browsing what the policy allows."""

from __future__ import annotations

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject, Submission
from accord.sharing.progress import report_progress
from tests.factories import make_agreement
from tests.ids import pid
from tests.stix_samples import bundle, indicator


@pytest.fixture
def contributor_client(client, people, partner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    client.force_login(people["partner_contributor"])
    return client


def test_upload_then_see_the_submission(contributor_client):
    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    response = contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data), "format": "auto"})
    submission = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/submissions/{pid(submission)}/"
    page = contributor_client.get(response["Location"]).content.decode()
    assert 'data-testid="submission-status">Done<' in page
    assert submission.sha256 in page
    assert "feed.json" in contributor_client.get("/submissions/").content.decode()


def test_a_strict_upload_lists_its_errors_and_stores_nothing(contributor_client):
    data = b"type,value\nipv4,203.0.113.7\nipv4,203.0.113.999\n"
    response = contributor_client.post(
        "/share/", {"file": SimpleUploadedFile("feed.csv", data), "format": "csv", "strict": "on"}, follow=True
    )
    page = response.content.decode()
    assert "nothing was stored" in page
    assert "line 3" in page and "IPv4" in page
    assert StixObject.objects.count() == 0


def test_an_upload_lists_what_it_refused_and_stores_the_rest(contributor_client):
    data = b"type,value\nipv4,203.0.113.7\nipv4,203.0.113.999\n"
    response = contributor_client.post(
        "/share/", {"file": SimpleUploadedFile("feed.csv", data), "format": "csv"}, follow=True
    )
    page = response.content.decode()
    assert "Refused: everything else was stored" in page and "nothing was stored" not in page
    assert "line 3" in page and "IPv4" in page
    assert "2 read: 1 taken (1 new, 0 updated), 1 refused" in page
    assert StixObject.objects.count() == 1


def test_htmx_upload_answers_with_the_submission_then_reads_it_in_a_second_request(contributor_client, own_live_cache):
    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    response = contributor_client.post(
        "/share/", {"file": SimpleUploadedFile("feed.json", data)}, HTTP_HX_REQUEST="true"
    )
    submission = Submission.objects.get()
    assert response.status_code == 200
    page = response.content.decode()
    # the share page now shows the submission's own status, polled, and starts its reading
    assert submission.status == "queued" and not StixObject.objects.exists()
    assert 'data-testid="upload-running"' in page and 'data-testid="submission-status">Queued<' in page
    assert f'hx-post="/submissions/{pid(submission)}/begin/"' in page
    assert f'hx-get="/submissions/{pid(submission)}/"' in page
    # the poll reports the ingest's own progress while it runs
    report_progress(submission.pk, 40)
    polled = contributor_client.get(f"/submissions/{pid(submission)}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'value="40"' in polled and "40 %" in polled
    begun = contributor_client.post(f"/submissions/{pid(submission)}/begin/", HTTP_HX_REQUEST="true")
    assert begun.status_code == 204 and begun["HX-Redirect"] == f"/submissions/{pid(submission)}/"
    submission.refresh_from_db()
    assert submission.status == "done" and StixObject.objects.count() == 1
    # once it has ended, the poll takes the page to the submission's
    ended = contributor_client.get(f"/submissions/{pid(submission)}/", HTTP_HX_REQUEST="true")
    assert ended.status_code == 204 and ended["HX-Redirect"] == f"/submissions/{pid(submission)}/"
    # begun again, nothing happens twice
    contributor_client.post(f"/submissions/{pid(submission)}/begin/")
    assert StixObject.objects.count() == 1


def test_the_same_file_again_goes_to_its_submission(contributor_client):
    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data)})
    again = contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data)}, HTTP_HX_REQUEST="true")
    assert again.status_code == 204 and again["HX-Redirect"] == f"/submissions/{pid(Submission.objects.get())}/"


def test_only_the_sender_begins_a_submission(contributor_client, people):
    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data)}, HTTP_HX_REQUEST="true")
    submission = Submission.objects.get()
    reader = Client()
    reader.force_login(people["partner_reader"])
    assert reader.post(f"/submissions/{pid(submission)}/begin/").status_code == 403
    assert reader.get(f"/submissions/{pid(submission)}/begin/").status_code == 405
    submission.refresh_from_db()
    assert submission.status == "queued"


def test_a_submissions_page_lists_what_it_stored_a_page_at_a_time(contributor_client):
    rows = "".join(f"ipv4,198.51.100.{n}\n" for n in range(1, 31))
    data = f"type,value\n{rows}ipv4,198.51.100.999\n".encode()
    response = contributor_client.post(
        "/share/", {"file": SimpleUploadedFile("feed.csv", data), "format": "csv"}, follow=True
    )
    page = response.content.decode()
    stored = StixObject.objects.order_by("pk")
    assert stored.count() == 30
    assert "Stored (30)" in page and "page 1 of 2" in page
    assert f'href="/shared/{stored[0].stix_id}/"' in page and f'href="/shared/{stored[29].stix_id}/"' not in page
    assert "198.51.100.1" in page  # the object by what it holds, not only its id
    assert "Refused: everything else was stored" in page and "line 32" in page
    second = contributor_client.get(response.redirect_chain[-1][0], {"stored": 2}).content.decode()
    assert f'href="/shared/{stored[29].stix_id}/"' in second and f'href="/shared/{stored[0].stix_id}/"' not in second


def test_form_errors(contributor_client):
    response = contributor_client.post("/share/", {"format": "auto", "tlp": "purple"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "File" in page and "TLP" in page


def test_readers_cannot_share_but_can_browse(client, people, partner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    client.force_login(people["partner_reader"])
    assert client.get("/share/").status_code == 403
    assert "Shared data" in client.get("/shared/").content.decode()


def test_browse_and_object_detail(contributor_client, people):
    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']", labels=["phishing"]))
    contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data)})
    listing = contributor_client.get("/shared/", {"crime_type": "phishing"}).content.decode()
    assert "indicator--00000000-0000-4000-8000-000000000001" in listing
    detail = contributor_client.get("/shared/indicator--00000000-0000-4000-8000-000000000001/").content.decode()
    assert "203.0.113.7" in detail
    assert contributor_client.get("/shared/indicator--nope/").status_code == 404


def test_tlp_badges_carry_a_class_the_stylesheet_colours(contributor_client):
    """Every TLP level, on the list and the object page, is a badge whose class accord.css
    colours (the pages once emitted ``tlp-green`` where the sheet defined ``.tlp-tlpgreen``)."""
    from pathlib import Path

    import accord.web

    levels = {"clear": "TLP:CLEAR", "green": "TLP:GREEN", "amber": "TLP:AMBER", "amber+strict": "TLP:AMBER+STRICT"}
    indicators = [
        indicator(n, f"[ipv4-addr:value = '203.0.113.{n}']", object_marking_refs=[TLP2_IDS[level]])
        for n, level in enumerate(levels, start=1)
    ]
    contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", bundle(*indicators))})
    sheet = (Path(accord.web.__file__).parent / "static" / "web" / "accord.css").read_text()
    listing = contributor_client.get("/shared/").content.decode()
    for n, (level, words) in enumerate(levels.items(), start=1):
        css_class = f"tlp-{level.replace('+', '-')}"
        badge = f'<span class="tlp {css_class}">{words}</span>'
        assert badge in listing
        assert f".{css_class}" in sheet
        detail = contributor_client.get(f"/shared/indicator--00000000-0000-4000-8000-{n:012}/").content.decode()
        assert badge in detail


def test_json_of_no_known_kind_is_refused_not_read_as_text(contributor_client, api_for):
    """A JSON file that is neither STIX nor MISP (an export of another tool, a broken bundle
    whose start says nothing) is refused, naming the problem: it was read as free text, found
    no object and was called done."""
    for content in (b'{"indicators": [{"value": "203.0.113.7"}]}', b'\xef\xbb\xbf\n  [{"ip": "203.0.113.7"}]'):
        page = contributor_client.post("/share/", {"file": SimpleUploadedFile("export.json", content)})
        assert page.status_code == 400
        assert "the file is JSON, but neither a STIX 2.1 bundle" in page.content.decode()
        upload = SimpleUploadedFile("export.json", content)
        answer = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
        assert answer.status_code == 400
        assert answer.json()["error"]["details"] == {"format": ["JSON of no known kind."]}
    assert not Submission.objects.exists()
    # Named as text, it is read as text.
    upload = SimpleUploadedFile("export.json", b'{"indicators": [{"value": "203.0.113.7"}]}')
    named = api_for("partner_contributor").post(
        "/api/v1/submissions/", {"file": upload, "format": "text"}, format="multipart"
    )
    assert named.status_code == 201 and named.json()["format"] == "text"
    # A report that merely begins with a bracket is prose, as before.
    upload = SimpleUploadedFile("alert.txt", b"[Alert] Phishing kit at hxxps://evil-payments[.]com/login\n")
    prose = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert prose.status_code == 201 and prose.json()["format"] == "text"


def test_stix_objects_sent_as_a_list_or_a_saved_taxii_envelope_are_stored(api_for, partner):
    """STIX 2.1 content need not come in a bundle: a JSON list of objects, as many tools write
    them, and a TAXII envelope saved from a poll are taken as STIX, each object on its own."""
    make_agreement(partner)
    contributor = api_for("partner_contributor")
    objects = [indicator(n, f"[ipv4-addr:value = '203.0.113.{n}']") for n in (41, 42)]
    for name, content in (("list.json", orjson.dumps(objects)), ("poll.json", orjson.dumps({"objects": objects}))):
        upload = SimpleUploadedFile(name, b"\xef\xbb\xbf" + content)
        answer = contributor.post("/api/v1/submissions/", {"file": upload}, format="multipart")
        assert answer.status_code == 201, answer.json()
        found = answer.json()
        assert (found["format"], found["status"], found["accepted_count"]) == ("stix", "done", 2)
    assert StixObject.objects.count() == 2  # the second file is the same two objects again


def test_revoking_an_object_asks_first_saying_what_it_does(contributor_client, people):

    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data)})
    stix_id = "indicator--00000000-0000-4000-8000-000000000001"
    detail = contributor_client.get(f"/shared/{stix_id}/").content.decode()
    assert f'href="/shared/{stix_id}/revoke/"' in detail
    asked = contributor_client.get(f"/shared/{stix_id}/revoke/").content.decode()
    assert "It can be restored later" in asked and "No partner, analyst, TAXII client" in asked
    # a POST without the confirmation only asks again, the reason kept
    again = contributor_client.post(f"/shared/{stix_id}/revoke/", {"reason": "False positive"}).content.decode()
    assert "False positive</textarea>" in again
    assert not StixObject.objects.get(stix_id=stix_id).revoked
    # someone else's object: no link, no page
    client = Client()
    client.force_login(people["analyst"])
    assert f"/shared/{stix_id}/revoke/" not in client.get(f"/shared/{stix_id}/").content.decode()
    assert client.get(f"/shared/{stix_id}/revoke/").status_code == 403
    done = contributor_client.post(f"/shared/{stix_id}/revoke/", {"reason": "False positive", "confirm": "yes"})
    assert done.status_code == 302
    assert StixObject.objects.get(stix_id=stix_id).revoked
    assert AuditEvent.objects.get(action="object.revoke").justification == "False positive"


def test_a_submission_whose_page_closed_before_beginning_it_goes_to_the_worker(
    contributor_client, django_capture_on_commit_callbacks
):
    """The share page answers with the submission and begins it in a second request; if that
    never comes (the browser closed), the worker's round takes it once a heartbeat has passed."""
    from datetime import timedelta

    from django.utils import timezone

    from accord.sharing.services import submissions_recover

    data = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    contributor_client.post("/share/", {"file": SimpleUploadedFile("feed.json", data)}, HTTP_HX_REQUEST="true")
    submission = Submission.objects.get()
    assert submission.status == "queued"
    assert submissions_recover() == []  # just taken: its page may still begin it
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task, queued on commit
        assert submissions_recover() == [submission.pk]
    submission.refresh_from_db()
    assert submission.status == "done" and StixObject.objects.count() == 1
    assert submissions_recover() == []


def test_a_bare_misp_event_is_taken_as_misp(contributor_client, api_for):
    """PyMISP's ``MISPEvent.to_json()`` writes the event without its ``{"Event": …}`` wrapper: a
    real partner's export, read as MISP (it was refused as JSON of no known kind)."""
    import json
    from pathlib import Path

    real = Path(__file__).parents[1] / "data" / "realdata" / "misp-very_long_event.json"
    event = json.loads(real.read_text())["Event"]
    upload = SimpleUploadedFile("event.json", json.dumps(event).encode())
    answer = api_for("partner_contributor").post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["format"] == "misp" and answer.json()["status"] == "done"
