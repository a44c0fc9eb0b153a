"""Request ids and the logs: taken from a well-formed X-Request-ID or made, echoed, carried by
every record of the request (an ingest's too, with the submission), one access line per request,
and JSON lines with ACCORD_LOG_FORMAT=json."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.factories import make_agreement
from tests.logs import caught
from tests.stix_samples import bundle, indicator


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """What Accord's loggers emit, at INFO and above, while the test runs."""
    with caught("accord") as found:
        yield found


def test_a_request_gets_an_id_echoed_in_the_response() -> None:
    client = Client()
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert client.get("/healthz")["X-Request-ID"] != made
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c21-0001")
    assert kept["X-Request-ID"] == "edge-7f3a9c21-0001"
    for bad in ("short", "two words here", "forged\nline-000000", "x" * 65, "id;drop-00000000"):
        replaced = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert replaced != bad and len(replaced) == 32


@pytest.mark.django_db
def test_every_record_of_a_request_carries_its_id_and_the_ingest_names_its_submission(
    api_for: Any, partner: Any, people: Any, settings: Any, tmp_path: Any, records: list[logging.LogRecord]
) -> None:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    upload = io.BytesIO(bundle(indicator(1, "[domain-name:value = 'login-bank.example.com']")))
    upload.name = "feed.json"
    response = api_for("partner_contributor").post(
        "/api/v1/submissions/?tlp=green", {"file": upload}, format="multipart", HTTP_X_REQUEST_ID="req-0000000042"
    )
    assert response.status_code == 201, response.json()
    assert response["X-Request-ID"] == "req-0000000042"
    submission = response.json()["id"]

    ingest = [r for r in records if r.name == "accord.sharing.services.ingest"]
    assert [r.getMessage().split(":")[0] for r in ingest] == ["ingest started", "ingest done"]
    assert {r.request_id for r in ingest} == {"req-0000000042"}  # type: ignore[attr-defined]
    assert {r.submission_id for r in ingest} == {submission}  # type: ignore[attr-defined]

    (access,) = [r for r in records if r.name == "accord.access"]
    assert access.request_id == "req-0000000042"  # type: ignore[attr-defined]
    assert (access.method, access.route, access.status) == ("POST", "sharing-api:submission-list", 201)  # type: ignore[attr-defined]
    assert access.user_id == people["partner_contributor"].pk  # type: ignore[attr-defined]
    assert access.organisation_id == partner.pk  # type: ignore[attr-defined]
    assert "tlp=green" not in access.getMessage()
    # Out of the request, records carry no request id.
    logging.getLogger("accord.test").warning("after")
    assert records[-1].request_id is None  # type: ignore[attr-defined]


def test_json_logs_carry_the_request_id_and_never_the_query(tmp_path: Any) -> None:
    """A process of its own configured with ACCORD_LOG_FORMAT=json: every line on stderr is a
    JSON object, the access line names the route and the request id, and the query is absent."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "Client().get('/healthz?token=s3cret-value', HTTP_X_REQUEST_ID='json-req-000001')\n"
        "Client().get('/no/such/page/?q=private-term')\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "ACCORD_HOME": str(tmp_path),
        "ACCORD_ALLOWED_HOSTS": "testserver",
        "ACCORD_LOG_FORMAT": "json",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    access = [line for line in lines if line["logger"] == "accord.access"]
    assert access[0]["request_id"] == "json-req-000001"
    assert (access[0]["route"], access[0]["status"], access[0]["method"]) == ("healthz", 200, "GET")
    assert {"time", "level", "message", "duration_ms", "user_id", "organisation_id"} <= access[0].keys()
    assert (access[1]["route"], access[1]["status"]) == ("unmatched", 404)
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == access[1]["request_id"]
    assert "s3cret-value" not in done.stderr and "private-term" not in done.stderr


def test_an_unknown_log_format_is_refused_at_start(tmp_path: Any) -> None:
    env = os.environ | {"ACCORD_HOME": str(tmp_path), "ACCORD_LOG_FORMAT": "xml"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import accord.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "ACCORD_LOG_FORMAT: 'xml' is neither 'text' nor 'json'" in done.stderr
