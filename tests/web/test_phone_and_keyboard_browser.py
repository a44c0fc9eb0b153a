"""Phone and keyboard, in a real browser: at 390 px no main page of any role scrolls sideways,
the menu folds behind a button, focus is visible, and axe-core finds no serious or critical
accessibility violation on the main pages (labels on every control, contrast, names of links)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD, UserFactory, make_agreement
from tests.stix_samples import bundle, indicator

pytestmark = browser_marks

AXE = (Path(__file__).parent.parent / "data" / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PHONE = {"width": 390, "height": 844}

PAGES = {
    None: ["/login/", "/certificates/verify/", "/partners/", "/partner/apply/"],
    "partner_contributor": [
        "/",
        "/shared/",
        "/share/",
        "/submissions/",
        "/agreements/",
        "/programme/",
        "/programme/sessions/",
        "/governance/operations/",
        "/taxii/",
        "/tokens/",
    ],
    "analyst": [
        "/",
        "/shared/",
        "/observables/",
        "/analysis/correlations/",
        "/analysis/campaigns/",
        "/analysis/reports/",
        "/analysis/trends/",
    ],
    "programme_manager": [
        "/",
        "/organisations/",
        "/people/",
        "/applications/",
        "/agreements/",
        "/programme/",
        "/programme/experts/",
        "/programme/secondments/",
        "/programme/sessions/",
        "/programme/sponsorships/",
        "/programme/reports/",
        "/governance/",
        "/governance/meetings/",
        "/governance/recommendations/",
        "/governance/operations/",
    ],
    "auditor": ["/", "/audit/", "/people/"],
}


@pytest.fixture
def world(people, partner, other_partner, settings, tmp_path, api_for) -> Any:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, valid_until=timezone.now() + timedelta(days=40))
    make_agreement(other_partner)
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    data = bundle(
        indicator(1, "[url:value = 'https://secure-login-atlasbank.example.com/auth/verify.php?session=a1b2c3']"),
        indicator(2, "[domain-name:value = 'login-bank.example.com']", labels=["phishing"]),
    )
    upload = io.BytesIO(data)
    upload.name = "bank.json"
    assert api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    return people


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)  # through the DevTools protocol, which the page's CSP does not govern
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
    )
    return list(found)


def sideways(page: Any) -> int:
    """How far the page scrolls sideways (0: it fits the screen)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_fit_a_phone_and_pass_axe(page, live_server, world, role):
    page.set_viewport_size(PHONE)
    if role is not None:
        sign_in(page, live_server.url, role)
    problems = {}
    for path in PAGES[role]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        wide = sideways(page)
        violations = serious_violations(page)
        if wide or violations:
            problems[path] = {"scrolls sideways by (px)": wide, "axe": violations}
    assert problems == {}


def test_the_menu_folds_behind_a_button_on_a_phone_and_focus_shows(page, live_server, world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "programme_manager")
    nav = page.locator("#main-nav")
    toggle = page.locator("button.menu-toggle")
    assert toggle.is_visible() and not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not nav.is_visible()

    # The keyboard: the first Tab lands on the skip link, which shows, with a visible ring.
    page.reload()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.className, s.outlineStyle, s.outlineWidth]; })()"
    )
    assert focused[0] == "skip" and focused[1] != "none" and focused[2] != "0px"

    page.set_viewport_size({"width": 1280, "height": 800})
    assert nav.is_visible() and not toggle.is_visible()  # a laptop shows the whole menu
