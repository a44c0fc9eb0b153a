"""A real browser: an administrator's first sign-in sets up an authenticator from the secret the
page shows, and the next sign-in asks for its code."""

from __future__ import annotations

import base64
import time

from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD
from tests.totp import current_code, wrong_code

pytestmark = browser_marks


def test_enrol_at_first_sign_in_then_sign_in_with_a_code(page, live_server, people, totp_required, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the right code follows the wrong one at once
    page.goto(f"{live_server.url}/audit/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")

    # The password alone leads to enrolment, and nowhere else.
    page.wait_for_selector("text=Set up an authenticator app")
    assert "/account/second-factor/" in page.url
    assert page.evaluate("document.querySelector('[data-testid=totp-qr]').naturalWidth") > 0  # the SVG renders
    page.goto(f"{live_server.url}/admin/")
    assert "/account/second-factor/" in page.url

    # Type in the code an app would compute from the secret shown for manual entry.
    secret = page.inner_text("[data-testid=totp-secret]").replace(" ", "")
    key = base64.b32decode(secret)
    page.fill("#id_code", f"{hotp(key, int(time.time()) // 30):06d}")
    page.click("button:has-text('Confirm')")
    codes = page.inner_text("[data-testid=recovery-codes]").split()
    assert len(codes) == 10
    page.click("text=Continue")  # to the page last asked for
    page.wait_for_selector("#site-name")  # the Django admin site
    page.goto(f"{live_server.url}/")
    page.click("text=Log out")

    # Next time: the password, then the code.
    page.goto(f"{live_server.url}/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Enter your code")
    device = TOTPDevice.objects.get(user=people["admin"])
    page.fill("#id_code", wrong_code(device))
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=That code is not right")
    page.fill("#id_code", current_code(device))
    page.click("button:has-text('Verify')")
    page.wait_for_selector("#site-name")
    assert page.url.endswith("/admin/")
