"""A number too large for the database, in any integer query parameter of any list in the API or
in a page's filter, is a 400 naming the parameter (or an empty answer), never a 500: SQLite
raises ``OverflowError`` past 2**63 - 1, and the filters once passed such numbers straight to it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.taxii.conftest import Taxii, secret_for

HUGE = "99999999999999999999"
PAGES = ["/shared/", "/observables/", "/operations/", "/partners/", "/directory/", "/programme/secondments/"]


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
        response = client.get(page, {parameter: HUGE})
        assert response.status_code < 500, (page, parameter)
        if response.status_code == 400:
            assert f"{parameter}: {HUGE} is out of range" in response.content.decode()


def test_taxii_answers_a_huge_number_with_a_taxii_error(people):
    reader = people["partner_reader"]
    taxii = Taxii(reader, secret_for(reader))
    response = taxii.get("collections/", {"limit": HUGE})
    assert response.status_code < 500
