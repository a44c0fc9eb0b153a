"""A TAXII request that brings its own credential passes by the layers of pages and sessions
(``accord.core.middleware.pages_only``) and keeps what every request has: its id, the security
headers, the access line naming its person, the metrics; one without a credential takes the
pages' path and is refused as before."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from accord.core.metrics import HTTP_REQUESTS
from accord.taxii.api import MEDIA_TYPE
from tests.logs import caught
from tests.taxii.test_protocol import shared_id


@pytest.fixture
def access_lines() -> Iterator[list[logging.LogRecord]]:
    with caught("accord.access") as found:
        yield found


def _served(route: str) -> float:
    return HTTP_REQUESTS.labels(route=route, method="GET", status="200")._value.get()  # type: ignore[attr-defined]


def test_a_taxii_request_with_its_token_keeps_what_every_request_has(
    taxii_as: Any, sharer: Any, people: Any, access_lines: list[logging.LogRecord]
) -> None:
    analyst = taxii_as("analyst")
    before = _served("taxii:collection")
    response = analyst.get(f"collections/{shared_id()}/", **{"X-Request-ID": "taxii-req-000001"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "taxii-req-000001"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert not response.cookies  # no session, no CSRF cookie
    assert "Cookie" not in response.get("Vary", "")
    assert _served("taxii:collection") == before + 1
    (line,) = access_lines
    assert (line.route, line.status, line.request_id) == ("taxii:collection", 200, "taxii-req-000001")  # type: ignore[attr-defined]
    # The person the token authenticated, and their organisation.
    assert line.user_id == people["analyst"].pk  # type: ignore[attr-defined]
    assert line.organisation_id == people["analyst"].organisation_id  # type: ignore[attr-defined]


def test_a_taxii_request_without_a_credential_is_refused_on_the_pages_path(
    sharer: Any, client: Any, access_lines: list[logging.LogRecord]
) -> None:
    response = client.get(f"/taxii2/api/collections/{shared_id()}/", headers={"Accept": MEDIA_TYPE})
    assert response.status_code == 401 and "Basic" in response["WWW-Authenticate"]
    assert response["X-Frame-Options"] == "DENY"
    (line,) = access_lines
    assert (line.status, line.user_id) == (401, None)  # type: ignore[attr-defined]
