"""In a real browser: the programme manager sees an agreement ending soon on their home page and
renews it from there."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD, make_agreement

pytestmark = browser_marks


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")


def test_a_manager_renews_an_agreement_ending_soon_from_the_home_page(page, live_server, people, partner):
    agreement = make_agreement(partner, valid_until=timezone.now() + timedelta(days=20))
    sign_in(page, live_server, "programme_manager")
    assert page.inner_text("[data-testid=count-expiring-30]") == "1"
    page.click(f"[data-testid=expiring-agreements] >> text={agreement.reference}")
    page.wait_for_selector(f"h1:has-text('{agreement.reference}')")

    page.click("summary:has-text('Amend')")
    renewed = (timezone.now() + timedelta(days=730)).strftime("%Y-%m-%d")
    page.fill("#id_change_note", "Renewed for two more years.")
    page.fill("#id_valid_until", f"{renewed}T00:00")
    page.click("button:has-text('Record amendment')")
    page.wait_for_selector("text=Amendment recorded as a new version.")

    page.click("a.brand")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert page.inner_text("[data-testid=count-expiring-30]") == "0"
    assert page.inner_text("[data-testid=count-expiring-90]") == "0"
