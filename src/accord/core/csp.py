"""Content-Security-Policy on every HTML page: scripts and styles only from Accord's own static
files, nothing inline (an injected ``<script>`` or ``onerror=`` does not run), no plugins, no
framing, forms posted only to Accord. Django 5.2 has no CSP of its own; this is its one place.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

__all__ = ["API_DOCS_POLICY", "ContentSecurityPolicyMiddleware", "with_policy"]

HEADER = "Content-Security-Policy"

# Swagger UI and Redoc (/api/docs/, /api/redoc/) set styles from their scripts and Redoc runs a
# web worker from a blob: their pages allow inline styles and blob workers; scripts stay 'self'.
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """Adds ``ACCORD_CSP`` to every HTML response that does not carry a policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.ACCORD_CSP

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response and response.get("Content-Type", "").startswith("text/html"):
            response[HEADER] = self.policy
        return response


def with_policy(policy: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view whose pages carry ``policy`` instead of ``ACCORD_CSP``."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handle(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            response[HEADER] = policy
            return response

        return handle

    return wrap
