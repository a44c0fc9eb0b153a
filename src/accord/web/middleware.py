"""The second sign-in step, enforced for every page, the admin site and session API calls.

After the password a session is signed in but not *verified* (django-otp's ``OTPMiddleware``
sets ``user.is_verified()``). Someone who owes a code (they have an authenticator) or an
enrolment (their role requires one, ``ACCORD_TOTP_REQUIRED_ROLES``) reaches only the page that
settles it and the way out; pages redirect there, the API and TAXII answer 403. A request that
carries a bearer token is left to the token's own authentication: tokens are a separate
machine credential, issued by someone who had signed in in full.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accord.core.errors import error_body
from accord.core.second_factor import second_factor_pending

__all__ = ["SecondFactorMiddleware"]

_MACHINE_PREFIXES = ("/api/", "/taxii2/")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        machine = request.path.startswith(_MACHINE_PREFIXES)
        if machine and request.headers.get("Authorization", "").lower().startswith("bearer "):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return self.get_response(request)
        pending = second_factor_pending(user)
        request.second_factor_pending = pending  # type: ignore[attr-defined]  # the menu leaves out the rest
        if not pending:
            return self.get_response(request)
        target = reverse("web:second-factor-verify" if pending == "verify" else "web:second-factor")
        if request.path in (target, reverse("web:logout")):
            return self.get_response(request)
        message = (
            "Finish signing in: enter the code from your authenticator app."
            if pending == "verify"
            else "Your role must sign in with a second factor: enrol an authenticator app first."
        )
        if request.path.startswith("/taxii2/"):  # TAXII 2.1 §3.6.1 error message
            body = {"title": "Second factor required", "description": message, "http_status": "403"}
            return JsonResponse(body, status=403, content_type="application/taxii+json;version=2.1")
        if machine:
            return JsonResponse(error_body("second_factor_required", f"{message} ({target})"), status=403)
        if request.method == "GET" and request.path != "/":
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return redirect(target)
