"""The export buttons of the shared-data page, and the download behind them."""

from __future__ import annotations

import csv
import io

from tests.factories import TEST_PASSWORD


def login(client, username: str) -> None:
    assert client.login(username=username, password=TEST_PASSWORD)


def test_buttons_carry_the_current_filters(client, shared):
    login(client, "partner_reader")
    page = client.get("/shared/", {"tlp": "green", "crime_type": "phishing", "page": "1"}).content.decode()
    assert 'href="/shared/export/stix/?tlp=green&amp;crime_type=phishing"' in page
    assert 'href="/shared/export/blocklist/?tlp=green&amp;crime_type=phishing&amp;observable_type=ipv4"' in page
    assert 'href="/shared/export/blocklist/?observable_type=domain"' in client.get("/shared/").content.decode()


def test_the_download_is_the_export_of_what_the_page_shows(client, shared):
    login(client, "partner_reader")
    response = client.get("/shared/export/csv/", {"crime_type": "phishing", "page": "2"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["value"] for r in rows] == ["91.215.85.203", "phish-kit-host.net"]


def test_a_bad_filter_is_explained_on_a_page(client, shared):
    login(client, "partner_reader")
    response = client.get("/shared/export/csv/", {"tlp": "purple"})
    assert response.status_code == 400
    assert "tlp: Select a valid choice." in response.content.decode()
    assert client.get("/shared/export/pdf/").status_code == 404


def test_anonymous_people_are_sent_to_log_in(client, shared):
    response = client.get("/shared/export/stix/")
    assert response.status_code == 302 and "/login/" in response["Location"]
