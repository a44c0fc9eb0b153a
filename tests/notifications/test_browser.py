"""In a real browser: a partner chooses where it is told of correlations, shares data that
correlates with another partner's, and finds the notification behind the bell."""

from __future__ import annotations

import io

import pytest

from accord.formats.markings import TLP2_IDS
from accord.notifications.models import Notification, Preference
from accord.sharing.services import submission_create, submission_process
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD
from tests.stix_samples import bundle, indicator

# The live server's ingest commits, and what it tells is written after that commit: the
# test's data must be committed too.
pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]

VALUE = "[domain-name:value = 'pay-verify-atlas-secure.com']"


def test_set_a_preference_share_what_correlates_and_read_it_in_the_inbox(page, live_server, partners, tmp_path):
    bank = partners["bank"]
    earlier, _ = submission_create(
        actor=bank,
        organisation=bank.organisation,
        stream=io.BytesIO(bundle(indicator(1, VALUE, object_marking_refs=[TLP2_IDS["green"]]))),
        format="stix",
    )
    assert submission_process(submission_id=earlier.pk).status == "done"
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "partner_contributor")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert page.inner_text("[data-testid=unread-count]") == "0"

    page.click("[data-testid=bell]")
    page.click("text=notification settings")
    page.select_option("#id_object\\.correlated", "in_app")
    page.click("[data-testid=save-preferences]")
    page.wait_for_selector("text=Your notification settings are saved.")
    assert Preference.objects.get(person=partners["kestrel"], event_type="object.correlated").channel == "in_app"

    feed = tmp_path / "ours.json"
    feed.write_bytes(bundle(indicator(2, VALUE, object_marking_refs=[TLP2_IDS["green"]])))
    page.click("nav >> text=Share data")
    page.set_input_files("#id_file", str(feed))
    page.click("button:has-text('Share')")
    page.wait_for_selector("[data-testid=submission-status]:has-text('Done')")
    told = Notification.objects.filter(recipient=partners["kestrel"])
    assert set(told.values_list("event_type", flat=True)) == {"object.correlated", "submission.finished"}
    page.reload()
    page.wait_for_selector("[data-testid=unread-count]:has-text('2')")  # the correlation, and the submission's counts

    page.click("[data-testid=bell]")
    item = page.wait_for_selector("[data-testid=notification-object\\.correlated]")
    assert "pay-verify-atlas-secure.com" in item.inner_text()
    assert "Atlas" not in item.inner_text()  # the other organisation is never named
    page.click("[data-testid=notification-object\\.correlated] >> a")
    page.wait_for_selector("text=indicator--00000000-0000-4000-8000-000000000001")
    told = Notification.objects.get(recipient=partners["kestrel"], event_type="object.correlated")
    assert told.read_at is not None
    page.set_viewport_size({"width": 375, "height": 800})  # at phone width the inbox still reads
    page.goto(f"{live_server.url}/notifications/")
    assert page.inner_text("[data-testid=unread-count]") == "1"
    page.click("[data-testid=read-all]")
    page.wait_for_selector("[data-testid=unread-count]:has-text('0')")
