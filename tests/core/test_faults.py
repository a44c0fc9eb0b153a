"""Faults of the storage beneath Accord: a read-only or full database gives the asker a clear
503 or 507 on the API, TAXII and pages, nothing is half-stored, reads go on, and once the
database is back the same submission is taken whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accord.core.faults import fault_of
from accord.sharing.models import StixObject, Submission
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import TEST_PASSWORD, make_agreement
from tests.sharing.test_ingest import GOOD, post
from tests.stix_samples import bundle, indicator
from tests.taxii.conftest import Taxii, secret_for

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def read_only() -> Iterator[None]:
    """The database takes no writes, as a fail-over replica or a database under maintenance."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = OFF")
            else:
                cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")


@contextmanager
def full() -> Iterator[None]:
    """SQLite: the database file may not grow by one page, as on a full disk."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")  # no free pages left within the file either
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 4294967294")


@pytest.fixture
def sharing(partner: Any, people: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return make_agreement(partner)


def _is_fault(response: Any, code: str, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["error"]["code"] == code
    assert "nothing of it was kept" in body["error"]["message"]
    assert "sqlite" not in body["error"]["message"].lower() and "insert" not in body["error"]["message"].lower()
    assert int(response["Retry-After"]) > 0


def test_a_read_only_database_refuses_writes_clearly_and_serves_reads(api_for: Any, sharing: Any) -> None:
    client = api_for("partner_contributor")
    with read_only():
        _is_fault(post(client, GOOD), "database_read_only", 503)
        listed = client.get("/api/v1/submissions/")  # reads go on (the token's last use is not recorded)
        assert listed.status_code == 200 and listed.json()["count"] == 0
        # A page: the sign-in writes the session. (The test client would raise the exception that
        # the server answers with its 500 handler.)
        signing_in = {"username": "partner_contributor", "password": TEST_PASSWORD}
        page = Client(raise_request_exception=False).post("/login/", signing_in)
        assert page.status_code == 503
        assert "takes no changes for now" in page.content.decode()
    assert (Submission.objects.count(), StixObject.objects.count()) == (0, 0)
    sent = post(client, GOOD)
    assert sent.status_code == 201 and sent.json()["status"] == "done"
    assert StixObject.objects.count() == 3


def test_taxii_answers_a_read_only_database_in_its_own_error_shape(people: Any, sharing: Any, partner: Any) -> None:
    collections_sync()
    inbox = Collection.objects.get(kind="inbox", organisation=partner)
    client = Taxii(people["partner_contributor"], secret_for(people["partner_contributor"]))
    client.client.raise_request_exception = False  # answered by the server's 500 handler
    with read_only():
        response = client.post(f"collections/{inbox.id}/objects/", GOOD)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/taxii+json;version=2.1"
    assert response.json()["http_status"] == "503"
    assert "takes no changes for now" in response.json()["description"]
    assert StixObject.objects.count() == 0


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="a full disk is simulated by SQLite's page cap")
def test_a_full_database_keeps_nothing_and_the_same_file_is_taken_once_there_is_room(
    api_for: Any, sharing: Any
) -> None:
    client = api_for("partner_contributor")
    many = bundle(*(indicator(n, f"[ipv4-addr:value = '198.51.{n // 256}.{n % 256}']") for n in range(1, 1001)))
    with full():
        _is_fault(post(client, many), "storage_full", 507)
    assert StixObject.objects.count() == 0
    assert Submission.objects.exclude(status__in=["failed", "processing"]).count() == 0
    again = post(client, many)
    assert again.status_code in (200, 201) and again.json()["status"] == "done", again.json()
    assert StixObject.objects.count() == 1000


def test_a_bug_whose_text_names_a_full_or_locked_column_stays_a_bug() -> None:
    """Faults are known by the database's codes, never its text: a query naming a missing table
    called ``full_busy_locked_readonly`` is an error of the code, not a full disk."""
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM full_busy_locked_readonly")
    assert fault_of(raised.value) is None
