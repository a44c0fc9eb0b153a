"""Middleware: every request's id, access log line and metrics (:class:`RequestMiddleware`);
a number in the request past what the database holds is the asker's mistake (a 400 naming
the parameter), not the server's, on every page and endpoint; DRF's views get the same answer
from :func:`accord.core.errors.api_exception_handler`. And the layers of pages and sessions
(the session, the signed-in user, the second factor's device, messages, htmx) are passed
by where a TAXII request brings its own credential (:func:`pages_only`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as _AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as _MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as _SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import empty
from django_htmx.middleware import HtmxMiddleware as _HtmxMiddleware
from django_otp.middleware import OTPMiddleware as _OTPMiddleware

from accord.core.errors import json_error, out_of_range, speaks_json
from accord.core.metrics import HTTP_LATENCY, HTTP_REQUESTS, flush_tallies
from accord.core.telemetry import request_id_from, request_id_var

__all__ = [
    "AuthenticationMiddleware",
    "HtmxMiddleware",
    "MessageMiddleware",
    "OTPMiddleware",
    "OutOfRangeMiddleware",
    "RequestMiddleware",
    "SessionMiddleware",
    "brings_own_credential",
    "pages_only",
]

access_log = logging.getLogger("accord.access")

# A method label from this set, "other" for anything a client makes up: labels stay few.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(request: HttpRequest) -> str:
    """The name of the URL pattern that answered (``taxii:objects``), never the path: a path holds
    ids and values, and as many label values as there are paths. ``static`` and ``unmatched``
    for what no pattern answered."""
    match = request.resolver_match
    if match is not None:
        return match.view_name
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def _who(request: HttpRequest) -> tuple[int | None, int | None]:
    """The signed-in user's id and organisation id, when the request already looked them up
    (an anonymous page or a static file costs no session query for the log line)."""
    user: Any = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None, None
    if not getattr(user, "is_authenticated", False):
        return None, None
    return user.pk, getattr(user, "organisation_id", None)


class RequestMiddleware:
    """First of all: gives the request its id (``X-Request-ID`` when well-formed, else a new
    one), which every log record of the request carries and the response echoes; after the
    answer, counts it (route name, method, status, time) and writes one access line: method,
    route, status, duration, user and organisation ids. Never the path's values or the query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        # Left set after this returns: Django logs the response ("Not Found: …") after the
        # middleware, and a streamed body is sent later still. The end of the request
        # (``request_finished``) clears it: see accord.core.telemetry.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        response["X-Request-ID"] = request_id
        route = _route(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(route=route, method=method).observe(elapsed)
        flush_tallies()
        if settings.ACCORD_ACCESS_LOG:
            user_id, organisation_id = _who(request)
            access_log.info(
                "%s %s %s %.1fms",
                method,
                route,
                response.status_code,
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                    "user_id": user_id,
                    "organisation_id": organisation_id,
                },
            )
        return response


class OutOfRangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OverflowError):
            return None
        error = out_of_range(request.GET)
        if speaks_json(request):
            return json_error(request, 400, error.code, error.message, title="Bad request", details=error.details)
        return render(request, "core/bad_request.html", {"message": error.message}, status=400)


_TAXII = "/taxii2/"


def brings_own_credential(request: HttpRequest) -> bool:
    """A TAXII request with an ``Authorization`` header: TAXII authenticates every request by
    its API token (Basic or Bearer) and never by a session, so nothing of a session, a CSRF
    cookie or a signed-in user plays a part in its answer. Without the header it takes the
    pages' path, and is refused there as before (401, or 403 for a session owing a second factor)."""
    return request.path_info.startswith(_TAXII) and "HTTP_AUTHORIZATION" in request.META


def pages_only(
    layer: type[Any], passing_by: Callable[[HttpRequest], None] | None = None, name: str | None = None
) -> type[Any]:
    """``layer``, a middleware of pages and sessions, that passes by the requests which bring
    their own credential (:func:`brings_own_credential`), after ``passing_by`` (what a later
    layer may read of the request). Synchronous only, as Accord is served; the layers wrapped
    have no hooks beside the call (``process_view``…) that a request passing by would reach."""

    def __call__(self: Any, request: HttpRequest) -> HttpResponse:
        if brings_own_credential(request):
            if passing_by is not None:
                passing_by(request)
            response: HttpResponse = self.get_response(request)
            return response
        return layer.__call__(self, request)  # type: ignore[no-any-return]

    return type(
        name or layer.__name__, (layer,), {"__call__": __call__, "async_capable": False, "__module__": __name__}
    )


def _anonymous(request: HttpRequest) -> None:
    # Until the TAXII view authenticates its token (and puts its person here): as without a session.
    request.user = AnonymousUser()


SessionMiddleware = pages_only(_SessionMiddleware)
AuthenticationMiddleware = pages_only(_AuthenticationMiddleware, _anonymous)
OTPMiddleware = pages_only(_OTPMiddleware)
MessageMiddleware = pages_only(_MessageMiddleware)
HtmxMiddleware = pages_only(_HtmxMiddleware)
