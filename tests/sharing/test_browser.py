"""In a real browser: a partner uploads a file (htmx, with upload progress), sees it processed
with the button disabled, and opens what it created."""

from __future__ import annotations

from pathlib import Path

from accord.sharing.models import StixObject, Submission
from accord.sharing.progress import report_progress
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD, make_agreement
from tests.ids import pid
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
    page.click("[data-testid=shared-row] >> text=login-bank.example.com")  # listed by its value
    page.wait_for_selector("[data-testid=object-label]:has-text('login-bank.example.com')")


def test_a_misp_upload_shows_processing_with_the_button_disabled_then_what_it_created(
    page, live_server, people, partner, settings, tmp_path, own_live_cache
):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    misp = Path(__file__).parent.parent / "data" / "misp_event.json"
    # The request that reads the file is held until the page has been looked at mid-way.
    held: list = []
    page.route("**/begin/", lambda route: held.append(route))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "partner_contributor")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Share data")
    page.set_input_files("#id_file", str(misp))
    with page.expect_request("**/begin/"):
        page.click("[data-testid=share-button]")
    page.wait_for_selector("[data-testid=upload-running]")
    assert "processing" in page.inner_text("#upload-state")
    assert page.is_disabled("[data-testid=share-button]")
    submission = Submission.objects.get()
    assert submission.status == "queued"
    # the page follows the ingest's own progress, as the ingest reports it
    report_progress(submission.pk, 40)
    page.wait_for_selector("[data-testid=ingest-percent]:has-text('40 %')")
    assert page.eval_on_selector("[data-testid=ingest-progress]", "bar => bar.value") == 40
    assert page.is_disabled("[data-testid=share-button]")
    held[0].continue_()
    page.wait_for_selector("[data-testid=submission-status]:has-text('Done')")
    assert f"/submissions/{pid(submission)}/" in page.url
    stored = page.inner_text("[data-testid=submission-stored]")
    assert "203.0.113.7" in stored
    page.click("[data-testid=submission-stored] >> text=203.0.113.7")
    page.wait_for_selector("[data-testid=object-label]")
    assert "/shared/" in page.url


def test_a_partner_reviews_a_free_text_extraction_and_commits_part_of_it(
    page, live_server, people, partner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "partner_contributor")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Share data")
    page.click("[data-testid=freetext-link]")
    page.fill(
        "#id_text",
        "The kit at hxxp://kestrel-update[.]xyz/login posted to 194.147.78.10 overnight. "
        "Mules were paid from 194.147.78.11 too.",
    )
    page.click("[data-testid=extract-button]")
    page.wait_for_selector("h1:has-text('Review the values found')")
    assert Submission.objects.count() == 0  # nothing stored before the commit
    row = page.locator("[data-testid=review-row]", has=page.locator("input[value='194.147.78.11']"))
    row.locator("input[type=checkbox]").uncheck()
    url_row = page.locator(
        "[data-testid=review-row]", has=page.locator("input[value='http://kestrel-update.xyz/login']")
    )
    url_row.locator("input[type=checkbox]").uncheck()
    page.click("[data-testid=commit-button]")
    page.wait_for_selector("[data-testid=submission-status]:has-text('Done')")
    patterns = sorted(o.body["pattern"] for o in StixObject.objects.filter(organisation=partner))
    assert patterns == ["[domain-name:value = 'kestrel-update.xyz']", "[ipv4-addr:value = '194.147.78.10']"]
    page.click("[data-testid=submission-stored] >> text=194.147.78.10")
    page.wait_for_selector("[data-testid=object-label]:has-text('194.147.78.10')")
