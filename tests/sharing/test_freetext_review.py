"""Free text reviewed before it is shared: extract, untick or retype, then commit what is kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.sharing.freetext import MAX_CANDIDATES
from accord.sharing.models import StixObject, Submission
from tests.factories import make_agreement
from tests.ids import pid

TEXT = (
    "The kit at hxxp://kestrel-update[.]xyz/login posted to 194.147.78.10 overnight.\n\n"
    "Victims were told to test their line against 8.8.8.8 first."
)


@pytest.fixture
def contributor(client: Any, people: Any, partner: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    client.force_login(people["partner_contributor"])
    return client


def _review(client: Any, **data: Any) -> tuple[str, dict[str, str]]:
    """The review page for ``data`` and the form it would post as it stands (ticked boxes only)."""
    response = client.post("/share/text/", {"op": "extract", **data})
    assert response.status_code == 200, response.content.decode()
    page = response.content.decode()
    form = dict(re.findall(r'<input type="hidden" name="(op|draft)" value="([^"]*)"', page))
    for number, value in re.findall(r'name="value-(\d+)" value="([^"]*)"', page):
        form[f"value-{number}"] = value
    for number, code in re.findall(r'name="type-(\d+)".*?<option value="([^"]+)" selected', page, re.S):
        form[f"type-{number}"] = code
    for number in re.findall(r'name="keep-(\d+)" id="keep-\d+" aria-label="[^"]*" checked', page):
        form[f"keep-{number}"] = "on"
    return page, form


def _number(form: dict[str, str], value: str) -> str:
    return next(key.split("-")[1] for key, shown in form.items() if key.startswith("value-") and shown == value)


def test_the_review_lists_values_with_their_sentence_and_warning_list_hits_and_stores_nothing(contributor):
    page, form = _review(contributor, text=TEXT)
    rows = re.findall(r'<tr data-testid="review-row">(.*?)</tr>', page, re.S)
    values = {form[f"value-{n}"]: form[f"type-{n}"] for n in (k.split("-")[1] for k in form if k.startswith("value-"))}
    assert values["http://kestrel-update.xyz/login"] == "url"  # refanged
    assert values["194.147.78.10"] == "ipv4" and values["8.8.8.8"] == "ipv4"
    google = next(row for row in rows if 'value="8.8.8.8"' in row)
    assert 'data-testid="benign"' in google and "Warning list" in google
    assert f"keep-{_number(form, '8.8.8.8')}" not in form  # a known-benign value starts unticked
    assert f"keep-{_number(form, '194.147.78.10')}" in form
    assert "posted to 194.147.78.10 overnight." in next(row for row in rows if 'value="194.147.78.10"' in row)
    assert Submission.objects.count() == 0 and StixObject.objects.count() == 0


def test_committing_stores_only_the_values_kept_as_retyped(contributor):
    _, form = _review(contributor, text=TEXT, tlp="green")
    for key in [k for k in form if k.startswith("keep-")]:
        form.pop(key)
    number = _number(form, "194.147.78.10")
    form[f"keep-{number}"] = "on"
    form[f"value-{number}"] = "194.147.78.12"  # corrected by the reviewer
    response = contributor.post("/share/text/", form)
    submission = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/submissions/{pid(submission)}/"
    assert submission.status == "done" and submission.filename == "pasted text (reviewed)"
    stored = list(StixObject.objects.all())
    assert [o.body["pattern"] for o in stored] == ["[ipv4-addr:value = '194.147.78.12']"]
    assert "posted to 194.147.78.10 overnight." in stored[0].body["description"]
    assert stored[0].tlp == "green"
    page = contributor.get(response["Location"]).content.decode()
    assert "194.147.78.12" in page and "Done" in page


def test_a_file_can_be_reviewed_too(contributor):
    page, form = _review(contributor, file=SimpleUploadedFile("notes.txt", TEXT.encode()))
    assert "194.147.78.10" in form.values()
    form.pop(f"keep-{_number(form, 'http://kestrel-update.xyz/login')}", None)
    contributor.post("/share/text/", form)
    assert Submission.objects.get().filename == "notes.txt (reviewed)"
    assert StixObject.objects.count() == 2  # the address and the domain; not the URL, not 8.8.8.8


def test_an_invalid_value_kept_is_named_and_nothing_is_stored(contributor):
    _, form = _review(contributor, text=TEXT)
    number = _number(form, "194.147.78.10")
    form[f"value-{number}"] = "194.147.78.999"
    response = contributor.post("/share/text/", form)
    page = response.content.decode()
    assert response.status_code == 400
    assert f"Value {number}:" in page and "IPv4" in page and "Nothing was stored" in page
    assert 'value="194.147.78.999"' in page  # what was typed is kept
    assert Submission.objects.count() == 0 and StixObject.objects.count() == 0


def test_nothing_ticked_is_refused(contributor):
    _, form = _review(contributor, text=TEXT)
    for key in [k for k in form if k.startswith("keep-")]:
        form.pop(key)
    response = contributor.post("/share/text/", form)
    assert response.status_code == 400 and "Tick at least one value" in response.content.decode()
    assert Submission.objects.count() == 0


def test_an_altered_draft_is_refused(contributor):
    _, form = _review(contributor, text=TEXT)
    form["draft"] = form["draft"][:-3] + "abc"
    response = contributor.post("/share/text/", form)
    assert response.status_code == 400 and "altered" in response.content.decode()
    assert Submission.objects.count() == 0


def test_empty_text_is_refused_naming_the_field(contributor):
    response = contributor.post("/share/text/", {"op": "extract", "text": "   "})
    assert response.status_code == 400 and "Text: Paste some text" in response.content.decode()


def test_text_naming_no_value_says_so(contributor):
    response = contributor.post("/share/text/", {"op": "extract", "text": "Nothing technical here at all."})
    assert 'data-testid="review-empty"' in response.content.decode()


def test_readers_may_not_share_free_text(client, people, partner):
    client.force_login(people["partner_reader"])
    assert client.get("/share/text/").status_code == 403
    assert client.post("/share/text/", {"op": "extract", "text": TEXT}).status_code == 403


def test_a_long_text_shows_the_first_values_and_the_whole_review_can_be_committed(contributor):
    """A review posts three fields a value: it shows no more than Django takes in one form."""
    addresses = [f"194.147.{70 + n // 200}.{1 + n % 200}" for n in range(MAX_CANDIDATES + 20)]
    page, form = _review(contributor, text="Seen: " + ", ".join(addresses) + ".")
    assert f"{MAX_CANDIDATES + 20} values found, the first {MAX_CANDIDATES} shown" in page
    assert sum(1 for key in form if key.startswith("keep-")) == MAX_CANDIDATES
    response = contributor.post("/share/text/", form)
    assert response.status_code == 302
    assert StixObject.objects.count() == MAX_CANDIDATES
