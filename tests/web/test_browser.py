"""A real browser (Playwright driving Debian's Chromium) logs in and sees the dashboard."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import TEST_PASSWORD, OrganisationFactory

CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
        reason="Chromium not installed (CI installs it; `apt-get install chromium`)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes
    # meanwhile are still plain synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, settings: Any) -> Iterator[Any]:
    # The live server speaks plain HTTP; secure cookies would never be sent back to it.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


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
    page.wait_for_function("document.querySelector('[data-testid=count-organisations]').innerText === '4'")

    page.click("nav >> text=Organisations")
    page.wait_for_selector("text=Atlas Bank Group")
    page.click("text=Log out")
    page.wait_for_selector("#id_username")
