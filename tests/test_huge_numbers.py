"""A number too large for the database, in any integer query parameter of any list in the API or
in a page's filter, is a 400 naming the parameter (or an empty answer), never a 500: SQLite
raises ``OverflowError`` past 2**63 - 1, and the filters once passed such numbers straight to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from django.http import HttpResponse

from accord.core.middleware import OutOfRangeMiddleware

HUGE = "99999999999999999999"
PAGES = [
    "/shared/",
    "/observables/",
    "/governance/operations/",
    "/partners/",
    "/programme/requests/",
    "/organisations/",
    "/audit/",
]


def _query_parameters(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Every query parameter of every list (ids are often documented as text: try them all)."""
    found = []
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            if parameter.get("in") == "query" and parameter["name"] not in ("page", "page_size", "cursor", "next"):
                found.append((path, parameter["name"]))
    return found


def test_no_filter_of_the_api_fails_on_a_huge_number(api_for, client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    parameters = _query_parameters(schema)
    assert len(parameters) > 100  # the walk found the filters
    admin = api_for("admin")
    admin.raise_request_exception = False  # a 500 is counted, not raised
    failing = []
    for path, name in parameters:
        response = admin.get(path, {name: HUGE})
        if response.status_code >= 500:
            failing.append((path, name, response.status_code))
        elif response.status_code == 400 and "out of range" in response.content.decode():
            assert response.json()["error"]["message"] == f"{name}: {HUGE} is out of range (at most {2**63 - 1}).", path
    assert failing == [], len(failing)


@pytest.mark.parametrize("parameter", ["organisation", "submission", "observable", "lead", "region", "group"])
def test_no_page_filter_fails_on_a_huge_number(client, people, parameter):
    client.force_login(people["admin"])
    client.raise_request_exception = False
    for page in PAGES:
        assert client.get(page).status_code == 200, page  # the page is there to be asked
        response = client.get(page, {parameter: HUGE})
        assert response.status_code < 500, (page, parameter)
        if response.status_code == 400:
            assert f"{parameter}: {HUGE} is out of range" in response.content.decode()


def test_taxii_pages_and_the_api_each_get_the_error_in_their_own_shape(rf):
    """The middleware answers what DRF's handler does not see (TAXII endpoints, pages) in the
    error shape of each: TAXII 2.1's error message, the API's, a page."""
    middleware = OutOfRangeMiddleware(lambda request: HttpResponse())
    taxii = middleware.process_exception(rf.get("/taxii2/api/collections/", {"limit": HUGE}), OverflowError())
    assert taxii is not None and taxii.status_code == 400
    assert taxii["Content-Type"] == "application/taxii+json;version=2.1"
    assert json.loads(taxii.content)["description"] == f"limit: {HUGE} is out of range (at most {2**63 - 1})."
    api = middleware.process_exception(rf.get("/api/v1/x/", {"id": HUGE}), OverflowError())
    assert api is not None and json.loads(api.content)["error"]["details"] == {
        "id": [f"{HUGE} is out of range (at most {2**63 - 1})."]
    }
    assert middleware.process_exception(rf.get("/shared/"), ValueError()) is None  # only overflows
