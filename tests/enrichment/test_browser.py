"""In a real browser: an analyst opens an observable and runs an analysis tool on it (htmx)."""

from __future__ import annotations

from accord.enrichment.models import Enrichment
from tests.browser import browser_marks
from tests.enrichment.conftest import IBAN
from tests.factories import TEST_PASSWORD

pytestmark = browser_marks


def test_run_an_enricher_in_the_browser(page, live_server, shared):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Observables")
    page.click(f"text={IBAN}")
    page.click("[data-testid=run-iban-offline]")
    page.wait_for_selector("[data-testid=result-iban-offline]:has-text('Commerzbank')")
    assert "/enrichments/" in page.url
    assert Enrichment.objects.get().requested_by.username == "analyst"
