"""In a real browser: an analyst opens a campaign, sees its graph drawn, names it, opens trends."""

from __future__ import annotations

from accord.analysis.models import Campaign
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD

pytestmark = browser_marks


def test_an_analyst_works_a_campaign_in_the_browser(page, live_server, workbench):
    campaign = workbench["phishing"]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Analysis")
    page.wait_for_selector("h1:has-text('Correlations')")
    page.click("text=Campaigns")
    page.click(f"[data-testid=campaign-{campaign.pk}] a")
    page.wait_for_selector("#campaign-graph g.node-object")
    assert page.locator("#campaign-graph g.node-object").count() == 3
    assert page.locator("#campaign-graph g.node-observable").count() == 2
    assert page.locator("#campaign-graph line").count() == 4
    assert "3 objects, 2 linking observables" in page.inner_text("#campaign-graph-status")
    assert page.locator("#campaign-graph g.node-object circle[fill='#33ff00']").count() == 2  # TLP:GREEN

    page.fill("#id_name", "Operation Kestrel Lure")
    page.click("button:has-text('Save')")
    page.wait_for_selector("[data-testid=campaign-name]:has-text('Operation Kestrel Lure')")
    assert Campaign.objects.get(pk=campaign.pk).named

    page.click("text=Trends")
    page.wait_for_selector("h1:has-text('Trends')")
    assert page.locator("[data-testid=bars-month] .bar").count() == 1
