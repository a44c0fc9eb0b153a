"""Error pages keep Accord's layout and navigation and say what to do next; JSON paths keep
their JSON errors; browsers find an icon."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_a_missing_page_keeps_the_menu_and_leads_home(client: Client, people: Any) -> None:
    client.force_login(people["analyst"])
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    html = page.content.decode()
    assert '<nav aria-label="Main" id="main-nav">' in html and 'data-testid="whoami"' in html
    assert "Nothing here" in html and 'href="/"' in html


def test_a_missing_page_asks_a_visitor_to_sign_in(client: Client) -> None:
    html = client.get("/no-such-page/").content.decode()
    assert "Nothing here" in html
    assert 'href="/login/?next=/no-such-page/"' in html


def test_a_page_not_for_the_role_says_so_in_the_layout(client: Client, people: Any) -> None:
    client.force_login(people["partner_reader"])
    page = client.get("/audit/")
    assert page.status_code == 403
    html = page.content.decode()
    assert '<nav aria-label="Main" id="main-nav">' in html
    assert "This page is not open to partner readers" in html
    assert "403 Forbidden" not in html


def test_json_paths_keep_their_json_errors(client: Client) -> None:
    assert client.get("/api/v1/no-such-thing/").json()["error"]["code"] == "not_found"


def test_browsers_find_the_icon(client: Client) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("web/favicon.svg")
    assert 'rel="icon"' in client.get("/login/").content.decode()
