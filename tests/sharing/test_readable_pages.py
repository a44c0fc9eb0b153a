"""Shared data you can read: the list's rows and the object page in words, through the policy."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import bundle, indicator, person, vocabulary

GREEN = [TLP2_IDS["green"]]
PHONE = "+44 20 7946 0958"
REPORT = {
    "type": "report",
    "spec_version": "2.1",
    "id": "report--00000000-0000-4000-8000-0000000000b1",
    "created": "2026-03-01T00:00:00.000Z",
    "modified": "2026-03-01T00:00:00.000Z",
    "name": "Kestrel lure wave",
    "published": "2026-03-01T00:00:00.000Z",
    "object_refs": [
        "indicator--00000000-0000-4000-8000-000000000011",
        "indicator--00000000-0000-4000-8000-000000000002",
    ],
    "external_references": [{"source_name": "kestrel-blog", "url": "https://example.org/lure"}],
    "object_marking_refs": GREEN,
}


def _post(api_for: Any, who: Any, name: str, *objects: dict[str, Any]) -> None:
    upload = io.BytesIO(bundle(*objects))
    upload.name = name
    response = api_for(who).post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()


@pytest.fixture
def readable(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any, api_for: Any) -> Any:
    """The bank (other_partner) shares without attribution and redacts personal data; Kestrel
    (partner) shares an indicator of the bank's address too, and a report naming one of the
    bank's AMBER+STRICT indicators (which Kestrel's readers may not see)."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data"], provider_attribution="must-not")
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    _post(
        api_for,
        banker,
        "bank.json",
        indicator(1, "[ipv4-addr:value = '203.0.113.7']", object_marking_refs=GREEN, labels=["phishing"]),
        indicator(2, "[domain-name:value = 'login-bank.example.com']", object_marking_refs=[TLP2_IDS["amber+strict"]]),
        person(contact_information=PHONE, x_accord_data_subject="suspect", object_marking_refs=GREEN),
    )
    _post(
        api_for,
        "partner_contributor",
        "kestrel.json",
        indicator(11, "[ipv4-addr:value = '203.0.113.7']", object_marking_refs=GREEN, name="Mule relay"),
        REPORT,
    )
    return banker


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="shared-row">(.*?)</tr>', page, re.S)


def test_rows_show_value_type_source_as_allowed_tags_seen_and_correlations(client, people, readable):
    client.force_login(people["partner_reader"])
    page = client.get("/shared/").content.decode()
    rows = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in _rows(page)}
    bank_row = next(r for r in rows if r.startswith("203.0.113.7"))
    assert "Indicator" in bank_row and "TLP:GREEN" in bank_row and "phishing" in bank_row
    assert "not disclosed" in bank_row and "Atlas" not in page  # the bank's agreement forbids attribution
    assert bank_row.endswith(" 1")  # its address is mentioned by Kestrel's indicator too
    own_row = next(r for r in rows if r.startswith("Mule relay"))
    assert "Kestrel Threat Labs" in own_row and own_row.endswith(" 1")
    assert any(r.startswith("Kestrel lure wave") and r.endswith(" 0") for r in rows)
    # the person's name and phone are withheld from Kestrel: the row names the type instead
    assert any(r.startswith("Identity") for r in rows) and PHONE not in page
    assert "{&#x27;" not in page and "{'" not in page


def test_the_host_reads_every_source_and_the_amber_strict_value(client, people, readable):
    client.force_login(people["analyst"])
    page = client.get("/shared/").content.decode()
    assert "Atlas Bank Group" in page and "login-bank.example.com" in page


def test_the_organisation_filter_offers_only_sources_the_reader_may_be_told(client, people, readable, other_partner):
    client.force_login(people["partner_reader"])
    page = client.get("/shared/").content.decode()
    options = re.search(r'<select name="organisation"[^>]*>(.*?)</select>', page, re.S)
    assert options is not None and "Kestrel Threat Labs" in options.group(1)
    assert "Atlas Bank Group" not in options.group(1)
    # asked for anyway, the bank's objects answer as if unnamed: nothing
    filtered = client.get("/shared/", {"organisation": other_partner.pk}).content.decode()
    assert _rows(filtered) == []
    client.force_login(people["analyst"])
    host_page = client.get("/shared/", {"organisation": other_partner.pk}).content.decode()
    assert len(_rows(host_page)) == 3


def test_filters_are_in_words_with_checkboxes_and_dates(client, people, readable):
    client.force_login(people["partner_reader"])
    page = client.get("/shared/", {"tlp": "green", "type": "indicator"}).content.decode()
    assert 'type="checkbox" name="tlp" value="green"' in page and "checked" in page
    assert '<option value="observed-data">Observed data</option>' in page
    assert 'type="date" name="added_after"' in page
    assert "Kind of data" in page and "Shared by" in page
    assert len(_rows(page)) == 2


def test_the_list_answers_in_a_bounded_number_of_queries(client, people, readable, api_for):
    client.force_login(people["partner_reader"])
    client.get("/shared/")  # the first request's one-time work (session, caches) aside
    with CaptureQueriesContext(connection) as few:
        assert client.get("/shared/").status_code == 200
    _post(
        api_for,
        "partner_contributor",
        "more.json",
        *(indicator(100 + n, f"[ipv4-addr:value = '198.51.100.{n}']", object_marking_refs=GREEN) for n in range(20)),
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get("/shared/").content.decode()
    assert len(_rows(page)) == 24
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_the_object_page_renders_the_object_in_words(client, people, readable):
    client.force_login(people["partner_reader"])
    page = client.get("/shared/report--00000000-0000-4000-8000-0000000000b1/").content.decode()
    assert 'data-testid="object-label"><bdi translate="no">Kestrel lure wave</bdi><' in page
    assert "<dt>Published</dt><dd><bdi>2026-03-01 00:00 UTC</bdi></dd>" in page
    assert 'href="https://example.org/lure"' in page
    # what it names: a link to the object the reader may see, the other named but not shown
    assert (
        'href="/shared/indicator--00000000-0000-4000-8000-000000000011/"><bdi translate="no">Mule relay</bdi></a>'
        in page
    )
    assert "indicator--00000000-0000-4000-8000-000000000002</code>" in page and "not shared with you" in page
    assert "login-bank.example.com" not in page
    assert "Kestrel Threat Labs" in page and "Why you see it" in page
    assert "<pre" not in page and "{&#x27;" not in page


def test_the_object_page_withholds_what_the_agreement_withholds(client, people, readable):
    client.force_login(people["partner_reader"])
    page = client.get("/shared/identity--00000000-0000-4000-8000-0000000000aa/").content.decode()
    assert PHONE not in page and "Atlas" not in page and "Suspect" not in page
    assert "Withheld from you by the source's agreement" in page and "Contact information" in page
    assert "not disclosed to you" in page
    client.force_login(people["analyst"])
    full = client.get("/shared/identity--00000000-0000-4000-8000-0000000000aa/").content.decode()
    assert PHONE in full and "Atlas Bank Group" in full and "Suspect" in full


def test_the_object_page_lists_observables_and_versions(client, people, readable):
    client.force_login(people["partner_reader"])
    page = client.get("/shared/indicator--00000000-0000-4000-8000-000000000011/").content.decode()
    assert "<code>203.0.113.7</code>" in page
    assert "1 of its values is mentioned by another object you may see" in page
    assert "<dt>Pattern</dt>" in page and "<dt>Valid from</dt>" in page
    assert 'data-testid="object-versions"' in page


def test_the_object_page_answers_in_few_queries(client, people, readable, django_assert_max_num_queries):
    client.force_login(people["partner_reader"])
    client.get("/shared/report--00000000-0000-4000-8000-0000000000b1/")
    with django_assert_max_num_queries(30):
        assert client.get("/shared/report--00000000-0000-4000-8000-0000000000b1/").status_code == 200


def test_every_stix_type_reads_in_words(client, people, partner, settings, tmp_path, api_for):
    """One object of every STIX 2.1 type (and custom ones): each is a row and each page renders
    it in words, none as a Python dict."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    sent = [o | {"object_marking_refs": GREEN} for o in vocabulary() if o["type"] != "marking-definition"]
    _post(api_for, "partner_contributor", "vocabulary.json", *sent)
    client.force_login(people["analyst"])
    stored = list(StixObject.objects.values_list("stix_id", flat=True).distinct())
    assert len(stored) >= 20
    listing = client.get("/shared/", {"page_size": 100}).content.decode()
    assert "{&#x27;" not in listing and "{'" not in listing
    for stix_id in stored:
        response = client.get(f"/shared/{stix_id}/")
        page = response.content.decode()
        assert response.status_code == 200, stix_id
        assert "{&#x27;" not in page and "<pre" not in page, stix_id
