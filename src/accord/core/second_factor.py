"""The second sign-in factor: an authenticator app's time-based codes (TOTP, RFC 6238, through
django-otp's ``otp_totp``) and one-use recovery codes (django-otp's ``otp_static``).

A person has a second factor once an authenticator is *confirmed* (they typed a code it made);
from then on a session counts as signed in only after a code (``user.is_verified()``, django-otp's
``OTPMiddleware``). People in ``ACCORD_TOTP_REQUIRED_ROLES`` must have one. Every failed code
counts against the account's sign-in lock (:mod:`accord.core.ratelimit`) besides django-otp's own
per-device back-off, and is audited.

Recovery codes are kept as hashes: ``otp_static`` compares its ``token`` column with what it is
given, so Accord stores a digest of each code there and hands the plugin the digest of what the
person typed. A code carries 80 random bits, so a plain SHA-256 cannot be reversed by guessing.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accord.core.audit import audit_record
from accord.core.errors import Conflict, ValidationFailed
from accord.core.guards import require, required_text
from accord.core.models import User
from accord.core.ratelimit import login_failed, login_locked, login_succeeded
from accord.core.roles import Perm

__all__ = [
    "RECOVERY_CODES",
    "CodeCheck",
    "Enrolment",
    "has_second_factor",
    "people_with_second_factor",
    "recovery_codes_left",
    "second_factor_begin",
    "second_factor_check",
    "second_factor_confirm",
    "second_factor_disable",
    "second_factor_pending",
    "second_factor_required",
    "second_factor_reset",
    "totp_device",
]

RECOVERY_CODES = 10
_DIGITS = re.compile(r"\d{6,8}")


def second_factor_required(user: User) -> bool:
    """Whether the person's role must sign in with a second factor (``ACCORD_TOTP_REQUIRED_ROLES``)."""
    return user.role in settings.ACCORD_TOTP_REQUIRED_ROLES


def totp_device(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: User) -> bool:
    """Whether the person has a confirmed authenticator (an unconfirmed one does not count)."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def people_with_second_factor(user_ids: list[int]) -> set[int]:
    """Which of these people have a confirmed authenticator (one query for a page of people)."""
    return set(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True))


def second_factor_pending(user: User) -> str:
    """What a signed-in but unverified session still owes: ``"verify"`` (a code from the
    person's authenticator), ``"enrol"`` (their role needs one and they have none) or ``""``."""
    if has_second_factor(user):
        return "verify"
    return "enrol" if second_factor_required(user) else ""


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def _recovery_digest(code: str) -> str:
    """What is stored of a recovery code: 80 bits of its SHA-256 in base32 (16 characters, the
    width of ``otp_static``'s column). Spaces, dashes and case do not matter."""
    normal = re.sub(r"[\s-]", "", code).lower()
    return base64.b32encode(hashlib.sha256(normal.encode()).digest()[:10]).decode().lower()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@transaction.atomic
def enrolment_mark(device: TOTPDevice) -> str:
    """What a session keeps of the secret it was shown: a digest, never the secret."""
    return hashlib.sha256(device.key.encode()).hexdigest()


def second_factor_begin(*, user: User, shown: str = "") -> TOTPDevice:
    """The authenticator being enrolled: the person's unconfirmed device, made on first call.

    It keeps its secret while the same sign-in reloads the page (``shown``: the
    :func:`enrolment_mark` of the secret this sign-in was shown), and gets a new one otherwise,
    so that a secret once seen in another session (by someone who had the password) is not the
    one finally enrolled. It counts for nothing until confirmed."""
    if has_second_factor(user):
        raise Conflict("You already have an authenticator: turn it off first to enrol another.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    if not shown or not constant_time_compare(shown, enrolment_mark(device)):
        device.key = default_key()
        device.save(update_fields=["key"])
    return device


@dataclass(frozen=True)
class Enrolment:
    """A confirmed authenticator and the recovery codes made with it (shown once, stored hashed)."""

    device: TOTPDevice
    recovery_codes: list[str]


def second_factor_confirm(*, user: User, code: str) -> Enrolment:
    """Confirm the authenticator being enrolled with a code it made; issue recovery codes.

    A wrong code is refused (and counts in django-otp's back-off for that device); nothing is
    confirmed until a right one.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise ValidationFailed(
                "code: there is no authenticator being enrolled; open the enrolment page again.",
                details={"code": ["Start again."]},
            )
        code = code.strip().replace(" ", "")
        allowed, _ = device.verify_is_allowed()
        ok = bool(_DIGITS.fullmatch(code)) and device.verify_token(code)
    if not ok:
        audit_record(
            actor=user,
            action="auth.code_failed",
            obj=user,
            details={"step": "enrol", "reason": "wrong" if allowed else "throttled"},
        )
        raise ValidationFailed(
            "code: that is not the code your authenticator shows now (6 digits; check the phone's clock)."
            if allowed
            else "code: too many wrong codes; wait a little and try the current code again.",
            details={"code": ["Wrong or expired code."]},
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=_recovery_digest(c)) for c in codes)
        audit_record(actor=user, action="second_factor.enrol", obj=user, details={"recovery_codes": RECOVERY_CODES})
    return Enrolment(device=device, recovery_codes=codes)


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of :func:`second_factor_check`: the device that took the code, or why none
    did (``wrong``, ``throttled``: django-otp's back-off, ``locked``: the account's or the
    address's sign-in lock, set before or by this attempt)."""

    device: Any = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.device is not None


def _devices_for(user: User, code: str) -> list[Any]:
    """An authenticator code (digits) goes to the authenticator, anything else to the recovery
    codes; each locked for the check, so one code cannot be spent twice at once."""
    if _DIGITS.fullmatch(code):
        return list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"))
    return list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"))


def second_factor_check(*, user: User, code: str, address: str, step: str = "sign_in") -> CodeCheck:
    """Check a code from the person's authenticator or one of their recovery codes (spent by it).

    Refused outright while the account or the address is locked for failing too often; a wrong
    or throttled code counts as a failed sign-in (and may set the lock, audited ``auth.locked``).
    A right one forgets the account's failures. Committed whatever the outcome, so the failure
    counts stick.
    """
    username = user.get_username()
    code = code.strip()
    if _DIGITS.fullmatch(code.replace(" ", "")):
        code = code.replace(" ", "")  # an authenticator shows "123 456"
    if login_locked(username, address):
        audit_record(
            actor=user, action="auth.code_failed", obj=user, details={"step": step, "reason": "locked", "ip": address}
        )
        return CodeCheck(reason="locked")
    device, reason = None, "wrong"
    with transaction.atomic():
        for candidate in _devices_for(user, code):
            allowed, _ = candidate.verify_is_allowed()
            if not allowed:
                reason = "throttled"
                continue
            token = code if isinstance(candidate, TOTPDevice) else _recovery_digest(code)
            if candidate.verify_token(token):
                device = candidate
                break
    if device is not None:
        if isinstance(device, StaticDevice):
            audit_record(
                actor=user,
                action="auth.recovery_code_used",
                obj=user,
                details={"step": step, "left": device.token_set.count(), "ip": address},
            )
        else:  # ``auth.login`` was the password; this is the sign-in made whole
            audit_record(actor=user, action="auth.code_verified", obj=user, details={"step": step, "ip": address})
        login_succeeded(username)
        return CodeCheck(device=device)
    audit_record(
        actor=user, action="auth.code_failed", obj=user, details={"step": step, "reason": reason, "ip": address}
    )
    if login_failed(username, address):  # this failure set the lock: the session ends now
        audit_record(
            actor=None, action="auth.locked", object_type="core.user", details={"username": username, "ip": address}
        )
        return CodeCheck(reason="locked")
    return CodeCheck(reason=reason)


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def second_factor_disable(*, user: User, code: str, address: str) -> CodeCheck:
    """Turn one's own second factor off, proved by a current code or a recovery code (a wrong
    one counts like a failed sign-in). Someone whose role requires one is asked to enrol again
    at once."""
    if not has_second_factor(user):
        raise Conflict("You have no second factor to turn off.")
    check = second_factor_check(user=user, code=code, address=address, step="disable")
    if check.ok:
        with transaction.atomic():
            _remove_devices(user)
            audit_record(actor=user, action="second_factor.disable", obj=user)
    return check


@transaction.atomic
def second_factor_reset(*, actor: User | None, person: User, reason: str) -> None:
    """A platform administrator removes another person's authenticator and recovery codes (a
    lost phone), with the reason on the record. The person signs in with the password alone
    next time, and is asked to enrol again if their role requires it."""
    require(actor, Perm.PLATFORM_ADMIN)
    reason = required_text("reason", reason)
    if actor is not None and actor.pk == person.pk:
        raise ValidationFailed(
            "person: reset another person's second factor; turn your own off with a code.",
            details={"person": ["That is you."]},
        )
    if not TOTPDevice.objects.filter(user=person).exists() and not StaticDevice.objects.filter(user=person).exists():
        raise Conflict(f"{person.username} has no second factor to reset.")
    had = has_second_factor(person)
    _remove_devices(person)
    audit_record(
        actor=actor,
        action="second_factor.reset",
        obj=person,
        organisation=person.organisation,
        details={"username": person.username, "was_confirmed": had},
        justification=reason,
    )
