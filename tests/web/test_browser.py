"""A real browser (Playwright driving Debian's Chromium) logs in and sees the dashboard."""

from __future__ import annotations

from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD, OrganisationFactory

pytestmark = browser_marks


def test_log_in_see_the_dashboard_and_log_out(page, live_server, people, other_partner):
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "programme_manager")
    page.fill("#id_password", "not the password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("Your username and password did not match")

    page.fill("#id_username", "programme_manager")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert page.inner_text("[data-testid=count-organisations]") == "3"
    assert "Programme manager" in page.inner_text("[data-testid=whoami]")

    # htmx is served locally and swaps fresh counts into the page in place.
    assert page.evaluate("typeof window.htmx") == "object"
    OrganisationFactory(name="Orion Telecom", sector="telecom", country="DE")
    page.evaluate("htmx.ajax('GET', '/dashboard/counts/', '#counts')")
    page.wait_for_selector("[data-testid=count-organisations]:text-is('4')")  # no page-side eval: the CSP forbids it

    page.click("nav >> text=Organisations")
    page.wait_for_selector("text=Atlas Bank Group")
    page.click("text=Log out")
    page.wait_for_selector("#id_username")
