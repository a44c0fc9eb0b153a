"""Codes of an authenticator app, computed the way the app does (RFC 6238) from the device's key."""

from __future__ import annotations

import re
import time
from typing import Any

from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice


def current_code(device: TOTPDevice) -> str:
    """The code the person's app shows now, or, if that one was used already, the next one (the
    device accepts one step ahead, as for a phone whose clock runs a little fast)."""
    device.refresh_from_db()
    step = max(int(time.time() - device.t0) // device.step + device.drift, device.last_t + 1)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A six-digit code the device does not take now (none of the steps it would accept)."""
    device.refresh_from_db()
    now = int(time.time() - device.t0) // device.step + device.drift
    taken = {f"{hotp(device.bin_key, now + d, digits=device.digits):06d}" for d in (-2, -1, 0, 1, 2)}
    return next(code for code in (f"{n:06d}" for n in range(1000000)) if code not in taken)


def confirmed_device(user: Any) -> TOTPDevice:
    """An authenticator the person has already set up."""
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def recovery_codes(html: str) -> list[str]:
    """The recovery codes an enrolment page shows (once)."""
    block = re.search(r'data-testid="recovery-codes">(.*?)</pre>', html, re.S)
    assert block is not None, "no recovery codes on the page"
    return block.group(1).split()
