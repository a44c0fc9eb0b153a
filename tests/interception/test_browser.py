"""In a real browser: a unit raises a request; the bank's contributor acknowledges it and reports
a partial freeze and the rest gone onward; the unit sees the chain, on a phone's width too."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accord.interception.models import InterceptionRequest
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD
from tests.interception.conftest import ABN_IBAN

pytestmark = browser_marks


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")


def _logout(page):
    page.click("button:has-text('Log out')")


def test_raise_answer_and_follow_the_money(page, live_server, world):
    sent = (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    _login(page, live_server, "officer")
    page.click("nav >> text=Interception")
    page.click("summary:has-text('Raise a request')")
    page.select_option("#raise_account_kind", "iban")
    page.fill("#raise_iban", "DE89 3704 0044 0532 0130 00")
    page.fill("#raise_amount", "48500.00")
    page.fill("#raise_currency", "EUR")
    page.fill("#raise_transferred_at", sent)
    page.fill("#raise_case_reference", "BF-2026-0142")
    page.fill("#raise_legal_basis", "Judicial requisition of 4 May.")
    page.click("button:has-text('Raise request')")
    page.wait_for_selector("[data-testid=request-status]")
    request = InterceptionRequest.objects.get()
    assert page.inner_text("[data-testid=request-status]") == "Sent, awaiting acknowledgement"
    assert "Commerzbank" in page.inner_text("[data-testid=beneficiary]")
    _logout(page)

    _login(page, live_server, "commerz")
    assert request.reference in page.inner_text("[data-testid=interceptions-waiting]")
    page.click(f"[data-testid=interceptions-waiting] >> text={request.reference}")
    page.click("[data-testid=acknowledge]")
    page.wait_for_selector("[data-testid=request-status]:has-text('Acknowledged')")
    page.select_option("#id_kind", "frozen")
    page.fill("#id_amount", "20000")
    page.click("[data-testid=outcome-form] button:has-text('Report')")
    page.wait_for_selector("[data-testid=totals]:has-text('Amount frozen: 20000.00 EUR')")
    page.select_option("#id_kind", "gone")
    page.fill("#id_amount", "28500")
    page.select_option("#id_onward-account_kind", "iban")
    page.fill("#id_onward-iban", ABN_IBAN)
    page.fill("#id_onward-transferred_at", (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("[data-testid=outcome-form] button:has-text('Report')")
    page.wait_for_selector("[data-testid=request-status]:has-text('Outcome reported')")
    onward = InterceptionRequest.objects.get(parent=request)
    _logout(page)

    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, "officer")
    page.goto(f"{live_server.url}/interceptions/{request.reference}/")
    chain = page.inner_text("[data-testid=chain]")
    assert request.reference in chain and onward.reference in chain
    assert "Dutch High Tech Crime Unit" in chain and "28,500.00 EUR" in chain
    assert page.locator("[data-testid=chain] svg.chain g").count() == 2
    # The page itself does not scroll sideways at a phone's width: the graph scrolls in its box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for path in ("/interceptions/", "/interceptions/report/?by=bank"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
