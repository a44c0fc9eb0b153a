"""Middleware: a number in the request past what the database holds is the asker's mistake (a
400 naming the parameter), not the server's, on every page and endpoint; DRF's views get the
same answer from :func:`accord.core.errors.api_exception_handler`."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accord.core.errors import error_body, out_of_range

__all__ = ["OutOfRangeMiddleware"]


class OutOfRangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OverflowError):
            return None
        error = out_of_range(request.GET)
        if request.path.startswith("/taxii2/"):  # TAXII 2.1 §3.6.1 error message
            body = {"title": "Bad request", "description": error.message, "http_status": "400"}
            return JsonResponse(body, status=400, content_type="application/taxii+json;version=2.1")
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(error.code, error.message, error.details), status=400)
        return render(request, "core/bad_request.html", {"message": error.message}, status=400)
