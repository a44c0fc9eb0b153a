"""Errors without HTTP, and the one mapping of every error to the API's JSON shape.

Services raise :class:`ApplicationError` subclasses. :func:`api_exception_handler` turns them,
DRF's own exceptions and Django's ``ValidationError``/``Http404`` into::

    {"error": {"code": "...", "message": "...", "details": ...}}
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import get_template
from rest_framework import status

from accord.core.faults import Fault, fault_of

__all__ = [
    "ApplicationError",
    "Conflict",
    "Forbidden",
    "TooLarge",
    "NotFound",
    "ValidationFailed",
    "api_exception_handler",
    "error_body",
    "fault_response",
    "json_error",
    "speaks_json",
]

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A business error a person can act on; ``details`` names fields or items."""

    code = "error"
    http_status: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class ValidationFailed(ApplicationError):
    code = "invalid"
    http_status = status.HTTP_400_BAD_REQUEST


class NotFound(ApplicationError):
    """Missing or not visible: the two are never told apart."""

    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND


class Forbidden(ApplicationError):
    code = "permission_denied"
    http_status = status.HTTP_403_FORBIDDEN


class TooLarge(ApplicationError):
    code = "too_large"
    http_status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class Conflict(ApplicationError):
    code = "conflict"
    http_status = status.HTTP_409_CONFLICT


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _first_message(details: Any) -> str:
    """A one-line summary of DRF/Django validation details, naming the first field."""
    if isinstance(details, dict):
        for field, value in details.items():
            inner = _first_message(value)
            return inner if field in {"non_field_errors", "__all__"} else f"{field}: {inner}"
    if isinstance(details, list) and details:
        return _first_message(details[0])
    return str(details)


# The largest integer SQLite stores (and PostgreSQL's bigint): a query with a larger one fails there.
LARGEST_INTEGER = 2**63 - 1


def out_of_range(query: Mapping[str, Any]) -> ValidationFailed:
    """The error for a request whose numbers the database cannot hold (SQLite raises
    ``OverflowError`` past 64 bits), naming each query parameter that holds one."""
    named: dict[str, list[str]] = {}
    for name in query:
        values = query.getlist(name) if hasattr(query, "getlist") else [query[name]]
        for value in values:
            for part in str(value).split(","):
                digits = part.strip().lstrip("+-")
                if digits.isdigit() and int(digits) > LARGEST_INTEGER:
                    named.setdefault(name, []).append(f"{part.strip()} is out of range (at most {LARGEST_INTEGER}).")
    if not named:
        return ValidationFailed("A number in the request is out of range.")
    name, problems = next(iter(named.items()))
    return ValidationFailed(f"{name}: {problems[0]}", details=named)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF ``EXCEPTION_HANDLER``: every error in one JSON shape."""
    # Imported here: DRF's views import the API settings, which import this module.
    from rest_framework import exceptions
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(exc, OverflowError):  # a number past what the database holds, from the request
        request = context.get("request")
        exc = out_of_range(request.GET if request is not None else {})
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status)
    fault = fault_of(exc)
    if fault is not None:
        logger.error("Storage fault answered %s: %r", fault.http_status, exc, exc_info=exc)
        return Response(
            error_body(fault.code, fault.message),
            status=fault.http_status,
            headers={"Retry-After": str(fault.retry_after)},
        )
    if isinstance(exc, DjangoValidationError):
        as_dict: Any = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(as_dict)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.APIException):  # pragma: no cover - DRF only answers its own
        return response
    details: Any = None
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail
        message = f"Invalid input. {_first_message(details)}"
        code = "invalid"
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else str(exc.default_code)
        message = "Not found." if isinstance(exc, exceptions.NotFound) else str(exc.detail)
    response.data = error_body(code, message, details)
    return response


def speaks_json(request: HttpRequest) -> bool:
    """Whether the path answers errors in JSON (TAXII and the API) rather than as a page."""
    return request.path.startswith(("/taxii2/", "/api/"))


def json_error(
    request: HttpRequest,
    http_status: int,
    code: str,
    message: str,
    *,
    title: str | None = None,
    details: Any = None,
) -> JsonResponse:
    """An error in the JSON the path speaks: TAXII 2.1's error message (§3.6.1) under
    ``/taxii2/``, else the API's one body (:func:`error_body`)."""
    if request.path.startswith("/taxii2/"):
        body = {"title": title or message, "description": message, "http_status": str(http_status)}
        return JsonResponse(body, status=http_status, content_type="application/taxii+json;version=2.1")
    return JsonResponse(error_body(code, message, details), status=http_status)


def fault_response(request: HttpRequest, fault: Fault) -> HttpResponse:
    """The answer to a storage fault, in the shape the path speaks (TAXII, API, page). The page
    is rendered without the request's context: its processors would ask the failing database."""
    response: HttpResponse
    if speaks_json(request):
        response = json_error(request, fault.http_status, fault.code, fault.message, title="Service unavailable")
    else:
        page = get_template("core/fault.html").render({"message": fault.message})
        response = HttpResponse(page, status=fault.http_status)
    response["Retry-After"] = str(fault.retry_after)
    return response


def json_error_view(code: str, message: str, http_status: int) -> Callable[..., HttpResponse]:
    """A Django error handler answering JSON under ``/api/`` and the HTML page elsewhere."""
    from django.views import defaults

    html_views: dict[int, Callable[..., HttpResponse]] = {
        400: defaults.bad_request,
        403: defaults.permission_denied,
        404: defaults.page_not_found,
        500: defaults.server_error,
    }

    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if http_status == 500:
            fault = fault_of(sys.exc_info()[1])  # a handler500 is called while the exception is handled
            if fault is not None:
                return fault_response(request, fault)
        if speaks_json(request):
            return json_error(request, http_status, code, message)
        if http_status == 500:
            return html_views[500](request)
        return html_views[http_status](request, exception)

    return view
