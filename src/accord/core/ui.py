"""What every app's pages share: the type of a signed-in request, the pager, and facts as text.

In core, the bottom layer, so that an app's pages need no other app for them (the shared pages
themselves, dashboard and organisations, are :mod:`accord.web`).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accord.core.models import User

__all__ = ["PAGE_SIZE", "AuthedRequest", "facts", "paginate"]

PAGE_SIZE = 25


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: its user is a person, never anonymous."""

    user: User
    htmx: HtmxDetails


def paginate(request: HttpRequest, qs: QuerySet[Any]) -> tuple[Page[Any], str]:
    """The requested page, and the query string without ``page`` for the pager's links."""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(map(str, value)) or "—"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def facts(result: dict[str, Any]) -> list[tuple[str, str]]:
    """A mapping's facts (an enrichment result, a STIX object's properties) as label and text,
    in the order given."""
    return [(name.replace("_", " "), _shown(value)) for name, value in result.items()]
