"""The main pages and lists over the shared store ask the database as many times whatever the
store holds (issue 19 item 10: bounded by the page, never by the store), and the store-sized
lists count their rows no further than the cap, saying so."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.formats.markings import TLP2_IDS
from tests.analysis.conftest import share
from tests.stix_samples import indicator

PAGES = [
    "/",
    "/shared/",
    "/observables/",
    "/analysis/correlations/",
    "/analysis/campaigns/",
    "/analysis/trends/",
    "/api/v1/objects/",
    "/api/v1/observables/",
    "/api/v1/correlations/",
    "/api/v1/campaigns/",
    "/api/v1/trends/",
]


def batch(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` GREEN indicators, each mentioning its own address and one shared by pairs (so
    there are correlations and campaigns to list)."""
    return [
        indicator(
            n,
            f"[ipv4-addr:value = '198.18.1.{n % 250}'] OR [ipv4-addr:value = '198.18.2.{n // 2 % 250}']",
            labels=["phishing"],
            object_marking_refs=[TLP2_IDS["green"]],
        )
        for n in range(start, start + count)
    ]


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


@pytest.fixture
def readers(sharers, api_for, people) -> dict[str, Any]:
    kestrel, banker = sharers
    clients = {}
    for role in ("analyst", "partner_reader"):
        client = Client()
        client.force_login(people[role])
        clients[role] = client
    return {"clients": clients, "sharers": [api_for(kestrel), api_for(banker)]}


@pytest.mark.parametrize("role", ["analyst", "partner_reader"])
def test_pages_ask_as_often_whatever_the_store_holds(readers: dict[str, Any], role: str) -> None:
    kestrel, atlas = readers["sharers"]
    share(kestrel, *batch(1, 2))
    share(atlas, *batch(3, 2))
    client = readers["clients"][role]
    for path in PAGES:
        queries(client, path)  # a partner's first read computes its campaigns
    few = {path: queries(client, path) for path in PAGES}
    share(kestrel, *batch(5, 30))
    share(atlas, *batch(35, 30))
    for path in PAGES:
        queries(client, path)
    many = {path: queries(client, path) for path in PAGES}
    assert many == few


def test_store_lists_count_to_the_cap_and_say_so(readers: dict[str, Any], settings: Any) -> None:
    kestrel, _ = readers["sharers"]
    share(kestrel, *batch(1, 6))
    settings.ACCORD_LIST_COUNT_CAP = 3
    client = readers["clients"]["analyst"]
    page = client.get("/shared/").content.decode()
    assert "More than 3 results (counted no further" in page
    listed = client.get("/api/v1/objects/").json()
    assert (listed["count"], listed["count_capped"]) == (3, True)
    exact = client.get("/api/v1/campaigns/").json()
    assert exact["count_capped"] is False


def test_a_store_list_counts_ten_pages_past_the_page_asked_for(readers: dict[str, Any]) -> None:
    """The count stops ten pages past the page asked (page_size 1: eleven rows from page 1), says
    so, and a later page counts further; the last page is found by counting to the cap."""
    kestrel, _ = readers["sharers"]
    share(kestrel, *batch(1, 15))
    client = readers["clients"]["analyst"]

    def counted(query: str) -> tuple[int, bool, int]:
        body = client.get(f"/api/v1/objects/?page_size=1&{query}").json()
        return body["count"], body["count_capped"], len(body["results"])

    assert counted("page=1") == (11, True, 1)
    assert counted("page=4") == (14, True, 1)
    assert counted("page=5") == (15, False, 1)
    assert counted("page=last") == (15, False, 1)
    assert client.get("/api/v1/objects/?page_size=1&page=16").status_code == 404
    page = client.get("/shared/").content.decode()
    assert "15 results" in page and "More than" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parallel query")
def test_a_capped_count_is_planned_without_parallel_workers_and_the_rest_is_not(readers: dict[str, Any]) -> None:
    """Counting to the cap reads a bounded number of rows: PostgreSQL plans it with no parallel
    workers (whose start cost more than the count, accord.core.planner); the page's other
    statements, and those after it, are planned with the server's setting."""
    kestrel, atlas = readers["sharers"]
    share(kestrel, *batch(1, 4))
    share(atlas, *batch(5, 4))
    seen: dict[str, list[str]] = {"count": [], "other": []}

    def note(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.startswith("SELECT") and "set_config" not in sql and "current_setting" not in sql:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
                seen["count" if sql.startswith("SELECT COUNT(*) FROM (SELECT") else "other"].append(
                    cursor.fetchone()[0]
                )
        return result

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        server = cursor.fetchone()[0]
    assert server != "0"
    with connection.execute_wrapper(note):
        response = readers["clients"]["analyst"].get("/analysis/campaigns/")
    assert response.status_code == 200
    assert seen["count"] == ["0"]
    assert set(seen["other"]) == {server}
