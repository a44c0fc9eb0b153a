"""In a real browser: a partner uploads a file (htmx, with upload progress) and sees it ingested."""

from __future__ import annotations

from accord.sharing.models import StixObject
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD, make_agreement
from tests.stix_samples import bundle, indicator

pytestmark = browser_marks


def test_upload_in_the_browser(page, live_server, people, partner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    feed = tmp_path / "feed.json"
    feed.write_bytes(bundle(indicator(1, "[domain-name:value = 'login-bank.example.com']")))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "partner_contributor")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Share data")
    page.set_input_files("#id_file", str(feed))
    page.click("button:has-text('Share')")
    page.wait_for_selector("[data-testid=submission-status]:has-text('Done')")
    assert "/submissions/" in page.url
    assert StixObject.objects.filter(organisation=partner).count() == 1
    page.click("nav >> text=Shared data")
    page.wait_for_selector("text=indicator--00000000-0000-4000-8000-000000000001")
