"""In a real browser: filter the shared data, press an export button, get that file."""

from __future__ import annotations

import orjson

from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD

pytestmark = browser_marks


def test_export_buttons_download_what_the_filters_select(page, live_server, shared):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.goto(f"{live_server.url}/shared/?crime_type=phishing")
    with page.expect_download() as info:
        page.click("[data-export=stix]")
    download = info.value
    assert download.suggested_filename.startswith("accord-stix-")
    bundle = orjson.loads(open(download.path(), "rb").read())  # noqa: SIM115
    indicators = sorted(o["id"] for o in bundle["objects"] if o["type"] == "indicator")
    assert indicators == [
        "indicator--00000000-0000-4000-8000-000000000001",
        "indicator--00000000-0000-4000-8000-000000000004",
    ]
    with page.expect_download() as info:
        page.click("[data-export=blocklist-domain]")
    lines = open(info.value.path()).read().splitlines()  # noqa: SIM115
    assert [line for line in lines if not line.startswith("#")] == ["phish-kit-host.net"]
