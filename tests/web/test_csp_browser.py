"""In a real browser, under the Content-Security-Policy: every page of the menu loads with
nothing refused, the share page's script still shows the upload's progress, the API's
documentation still renders, and an injected inline script is refused (and reported)."""

from __future__ import annotations

from typing import Any

from tests.browser import browser_marks, csp_violations
from tests.factories import TEST_PASSWORD, make_agreement

pytestmark = browser_marks


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")


def test_every_menu_page_loads_without_a_csp_violation(page: Any, live_server: Any, people: Any) -> None:
    log_in(page, live_server.url, "admin")
    links = page.eval_on_selector_all("header nav a", "links => links.map(a => a.getAttribute('href'))")
    assert len(links) >= 5
    for link in links:
        response = page.goto(f"{live_server.url}{link}")
        assert response.status == 200, link
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    # the fixture fails the test on any violation; checked here too, to say where
    assert csp_violations(page.console_messages) == []


def test_the_share_pages_script_still_shows_upload_progress(
    page: Any, live_server: Any, people: Any, partner: Any
) -> None:
    make_agreement(partner)
    log_in(page, live_server.url, "partner_contributor")
    page.click("nav >> text=Share data")
    page.wait_for_selector("#upload-form")
    # The page's script is deferred: it listens from DOMContentLoaded on, not from the form's parsing.
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#upload-progress").is_hidden()
    # htmx announces an upload's progress with this event; the page's script moves the bar.
    page.evaluate(
        """document.getElementById("upload-form").dispatchEvent(
             new CustomEvent("htmx:xhr:progress", {detail: {loaded: 30, total: 120}}))"""
    )
    assert page.locator("#upload-progress").is_visible()
    assert page.eval_on_selector("#upload-progress", "bar => bar.value") == 25


def test_the_api_documentation_renders_under_its_policy(page: Any, live_server: Any, people: Any) -> None:
    page.csp_violations_expected = True  # Redoc's logo, below
    log_in(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")
    assert "Accord API" in page.inner_text(".swagger-ui .info")
    assert csp_violations(page.console_messages) == []
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("h1:has-text('Accord API')", timeout=30_000)
    # All that is refused is Redoc's "powered by" logo from its CDN: the page fetches nothing
    # from elsewhere, on purpose.
    refused = [m for m in csp_violations(page.console_messages) if m.startswith("CSP violation")]
    assert refused in ([], ["CSP violation: img-src https://cdn.redoc.ly/redoc/logo-mini.svg"])


def test_an_injected_inline_script_is_refused_and_reported(page: Any, live_server: Any, people: Any) -> None:
    page.csp_violations_expected = True
    page.goto(f"{live_server.url}/login/")
    with page.expect_console_message(lambda message: "CSP violation: script-src" in message.text):
        page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.injected = true;"; document.body.appendChild(s); }"""
        )
    assert page.evaluate("window.injected") is None
