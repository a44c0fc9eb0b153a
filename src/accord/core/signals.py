"""Audit hooks for authentication events, which Django raises itself (admin included)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accord.core.audit import audit_record
from accord.core.ratelimit import client_ip, login_failed, login_succeeded
from accord.core.second_factor import second_factor_pending

__all__: list[str] = []


def _ip(request: Any) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="accord-audit-login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", obj=user, details={"ip": _ip(request)})
    # The account's failures are forgotten once sign-in is complete: with a second factor owed,
    # only when the code is right (accord.core.second_factor), so a known password does not
    # wipe the count of wrong codes.
    if not second_factor_pending(user):
        login_succeeded(user.get_username())


@receiver(user_logged_out, dispatch_uid="accord-audit-logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user, details={"ip": _ip(request)})


@receiver(user_login_failed, dispatch_uid="accord-audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=None,
        action="auth.login_failed",
        object_type="core.user",
        details={"username": username, "ip": _ip(request)},
    )
    if request is not None and login_failed(username, client_ip(request)):
        audit_record(
            actor=None,
            action="auth.locked",
            object_type="core.user",
            details={"username": username, "ip": _ip(request)},
        )
