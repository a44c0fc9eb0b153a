"""API of programme reports, as JSON rows or CSV."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core.errors import NotFound
from accord.core.roles import Perm
from accord.core.viewsets import principal_of
from accord.programme import selectors
from accord.programme.api._common import (
    csv_response,
)

# --- Views ----------------------------------------------------------------------------------------


class ReportView(APIView):
    """A programme report as JSON rows, or CSV (``?format=csv`` or ``Accept: text/csv``);
    programme staff only. Names: ``officers-trained``, ``sessions``, ``sponsorships``,
    ``secondment-months``."""

    action_perms: ClassVar[dict[str, Perm]] = {"get": Perm.ORGANISATION_VIEW_ALL}

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="Only this year."),
            OpenApiParameter("format", str, enum=["json", "csv"], description="csv: a CSV download."),
        ],
        responses={(200, "application/json"): dict[str, Any], (200, "text/csv"): str},
    )
    def get(self, request: Request, name: str) -> Response | HttpResponse:
        report = selectors.REPORTS.get(name)
        if report is None:
            raise NotFound(f"No report called '{name}'; reports: {', '.join(selectors.REPORTS)}.")
        year_text = request.query_params.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        rows = selectors.REPORT_SELECTORS[name](principal=principal_of(request), year=year)
        if request.query_params.get("format") == "csv" or "text/csv" in request.headers.get("Accept", ""):
            return csv_response(name, report.columns, rows)
        return Response({"report": name, "title": report.title, "year": year, "columns": report.columns, "rows": rows})
