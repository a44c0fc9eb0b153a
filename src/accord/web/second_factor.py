"""Pages of the second sign-in factor: the code step after the password, one's own enrolment
and turning it off, and an administrator's reset of someone else's (see
:mod:`accord.core.second_factor` for the rules and :mod:`accord.web.middleware` for who must)."""

from __future__ import annotations

import base64
import io
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accord.core import selectors
from accord.core.errors import ApplicationError
from accord.core.ratelimit import client_ip
from accord.core.roles import Perm, has_perm
from accord.core.second_factor import (
    enrolment_mark,
    has_second_factor,
    recovery_codes_left,
    second_factor_begin,
    second_factor_check,
    second_factor_confirm,
    second_factor_disable,
    second_factor_pending,
    second_factor_required,
    second_factor_reset,
    totp_device,
)
from accord.core.ui import AuthedRequest, found
from accord.web.forms import SecondFactorCodeForm, SecondFactorResetForm

__all__ = ["person_second_factor", "second_factor", "second_factor_verify"]

# The session's mark of the secret it was shown while enrolling (accord.core.second_factor).
ENROLLING = "accord-enrolling"
LOCKED = (
    "Too many wrong codes for this account or from this address: sign-in is locked for up to an "
    "hour. Ask an administrator if you need in sooner."
)


def _next(request: AuthedRequest) -> str:
    """Where to go once signed in: the page first asked for, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _qr_data_uri(url: str) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI (no imaging library, no inline script
    or style: an <img> of it passes a strict Content-Security-Policy)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@login_required
def second_factor_verify(request: AuthedRequest) -> HttpResponse:
    """The sign-in's second step: a code from the authenticator, or a recovery code."""
    if request.user.is_verified() or second_factor_pending(request.user) != "verify":  # type: ignore[attr-defined]
        return redirect(_next(request))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor_check(user=request.user, code=form.cleaned_data["code"], address=client_ip(request))
        if check.ok:
            otp_login(request, check.device)
            if check.device.persistent_id.startswith("otp_static."):
                left = recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"Signed in with a recovery code: it is spent; {left} left. "
                    "Turn the second factor off and on again for new ones.",
                )
            return redirect(_next(request))
        if check.reason == "locked":
            logout(request)
            messages.error(request, LOCKED)
            return redirect("web:login")
        form.add_error(
            "code",
            "Too many wrong codes: wait a moment, then try the current code."
            if check.reason == "throttled"
            else "That code is not right, or has been used already.",
        )
    return render(
        request,
        "web/second_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def second_factor(request: AuthedRequest) -> HttpResponse:
    """One's second factor: enrol an authenticator (QR code, secret, a code to confirm, recovery
    codes shown once), or see it and turn it off with a code."""
    user = request.user
    form = SecondFactorCodeForm(request.POST or None)
    context: dict[str, object] = {"form": form, "required": second_factor_required(user), "next": _next(request)}
    if has_second_factor(user):
        if request.method == "POST" and form.is_valid():
            try:
                check = second_factor_disable(user=user, code=form.cleaned_data["code"], address=client_ip(request))
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                if check.reason == "locked":
                    logout(request)
                    messages.error(request, LOCKED)
                    return redirect("web:login")
                if check.ok:
                    messages.success(request, "Your second factor is off; your recovery codes no longer work.")
                    return redirect("web:second-factor")
                form.add_error("code", "That code is not right, or has been used already.")
        context |= {"device": totp_device(user), "recovery_left": recovery_codes_left(user)}
        return render(request, "web/second_factor.html", context, status=400 if form.errors else 200)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = second_factor_confirm(user=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            form.add_error("code", exc.message.removeprefix("code: "))
        else:
            otp_login(request, enrolment.device)
            context |= {"recovery_codes": enrolment.recovery_codes, "device": enrolment.device}
            return render(request, "web/second_factor.html", context)
    device = second_factor_begin(user=user, shown=request.session.get(ENROLLING, ""))
    request.session[ENROLLING] = enrolment_mark(device)
    context |= {
        "enrolling": device,
        "qr": _qr_data_uri(device.config_url),
        "secret": " ".join(_groups(b32encode(device.bin_key).decode())),
    }
    return render(request, "web/second_factor.html", context, status=400 if form.errors else 200)


def _groups(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@login_required
def person_second_factor(request: AuthedRequest, pk: int) -> HttpResponse:
    """A platform administrator resets someone's second factor (a lost phone), giving a reason."""
    if not has_perm(request.user, Perm.PLATFORM_ADMIN):
        raise PermissionDenied("Platform administrators only.")
    person = found(lambda: selectors.person_get(principal=request.user, pk=pk))
    form = SecondFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor_reset(actor=request.user, person=person, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{person.username}'s second factor is reset.")
            return redirect("web:person-second-factor", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "device": totp_device(person),
        "required": second_factor_required(person),
    }
    return render(request, "web/person_second_factor.html", context, status=400 if form.errors else 200)
