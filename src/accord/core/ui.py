"""What every app's pages share: the type of a signed-in request, the pager, facts as text, and
calling a service or selector so that a business error becomes a message or a 404.

In core, the bottom layer, so that an app's pages need no other app for them (the shared pages
themselves, dashboard and organisations, are :mod:`accord.web`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import cached_property
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from accord.core.errors import ApplicationError, NotFound
from accord.core.models import User
from accord.core.planner import without_parallel_workers

__all__ = [
    "PAGE_SIZE",
    "AuthedRequest",
    "CappedPaginator",
    "attempt",
    "facts",
    "found",
    "listing",
    "paginate",
    "submit",
]

PAGE_SIZE = 25

T = TypeVar("T")


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: its user is a person, never anonymous."""

    user: User
    htmx: HtmxDetails


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A pager that counts only as far as the reader can go from here: a list over the shared
    store (ten million objects, their observables) would otherwise count every row it may show
    on every page, each checked through the policy, the slowest part of the page. The count
    stops ``LOOKAHEAD`` pages past the page asked for, and never past ``cap``
    (``ACCORD_LIST_COUNT_CAP``); past where it stopped it says so (``capped``: "more than 275"),
    and the pages it offers end there, so each step forward counts a little further. What a
    page costs then grows with how deep it is, as an offset's does, not with the store."""

    LOOKAHEAD = 10

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap if cap is not None else settings.ACCORD_LIST_COUNT_CAP
        self.capped = False
        self.asked: int | None = None  # the page asked for; None (the last page, say): to the cap

    def validate_number(self, number: Any) -> int:
        if self.asked is None and "count" not in self.__dict__:
            try:
                self.asked = max(1, int(number))
            except (TypeError, ValueError, OverflowError):
                self.asked = 1  # Django's own check below names it; get_page then shows page 1
        return int(super().validate_number(number))

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        reach = self.cap if self.asked is None else min(self.cap, (self.asked + self.LOOKAHEAD) * self.per_page)
        # counted on the key alone: the rows' per-row figures (subqueries) are not computed for
        # thousands of rows that no page shows; filters on them still apply
        keys = rows.order_by().values("pk") if hasattr(rows, "values") else rows
        # a bounded read: no parallel workers to start (accord.core.planner)
        with without_parallel_workers(rows.db) if isinstance(rows, QuerySet) else nullcontext():
            found = int(keys[: reach + 1].count())
        self.capped = found > reach
        return min(found, reach)


def paginate(request: HttpRequest, qs: QuerySet[Any], *, capped: bool = False) -> tuple[Page[Any], str]:
    """The requested page, and the query string without ``page`` for the pager's links (counted
    no further than ``ACCORD_LIST_COUNT_CAP`` rows with ``capped``: lists over the shared store)."""
    pager = CappedPaginator(qs, PAGE_SIZE) if capped else Paginator(qs, PAGE_SIZE)
    page = pager.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def listing(
    request: HttpRequest, template: str, filterset: Any, *, status: int = 200, capped: bool = False, **context: Any
) -> HttpResponse:
    """A list page: the filter, the requested page of what it keeps and the pager's query, with
    the page's own ``context`` (``capped``: see :func:`paginate`)."""
    page, query = paginate(request, filterset.qs, capped=capped)
    return render(request, template, {"filter": filterset, "page": page, "query": query, **context}, status=status)


def attempt(request: HttpRequest, call: Callable[[], Any], success: str, form: Any = None) -> bool:
    """Call a service; a business error becomes a message naming the rule, not a 500. With a
    ``form``, the error is shown next to the field the service named (or above the form)."""
    try:
        call()
    except ApplicationError as exc:
        if form is None:
            messages.error(request, exc.message)
            return False
        field = next(iter(exc.details), None) if isinstance(exc.details, dict) else None
        if field in form.fields:
            form.add_error(field, exc.message.removeprefix(f"{field}: "))
        else:
            form.add_error(None, exc.message)
        return False
    messages.success(request, success)
    return True


def submit(
    request: AuthedRequest, form: Any, service: Callable[..., Any], success: str, *, inline: bool = False, **target: Any
) -> bool:
    """A posted ``form``, when valid, handed to ``service`` as the signed-in person, with the
    page's ``target`` (``meeting=meeting``); :func:`attempt` turns a business error into a message
    (next to the form's field with ``inline``)."""
    return bool(form.is_valid()) and attempt(
        request,
        lambda: service(actor=request.user, **target, **form.cleaned_data),
        success,
        form if inline else None,
    )


def found(call: Callable[[], T]) -> T:
    """Call a selector; what it does not find (or may not show) is the page's 404."""
    try:
        return call()
    except NotFound as exc:
        raise Http404(exc.message) from exc


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
