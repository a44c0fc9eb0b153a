"""What every part of the programme API shares: CSV reports and the organisation a write is for."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from accord.core.selectors import organisation_get
from accord.core.viewsets import principal_of, referenced


def csv_response(name: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> HttpResponse:
    """A report as a CSV download named after it."""
    response = HttpResponse(report_csv(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def report_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """A report's rows as CSV with a header line (shared by the API, the UI and the CLI)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _own_or_given(request: Request, organisation_id: int | None) -> Any:
    """The organisation named in the input (as far as the principal sees it), else their own."""
    principal = principal_of(request)
    if organisation_id is None:
        return principal.organisation
    return referenced("organisation", organisation_get, principal=principal, pk=organisation_id)
