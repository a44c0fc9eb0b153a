"""The export download behind the UI's buttons, and the streamed response the API shares."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from accord.core.errors import ApplicationError
from accord.core.ui import AuthedRequest
from accord.exports.services import Export, export_start

__all__ = ["download", "export_response"]


def export_response(export: Export) -> StreamingHttpResponse:
    """The export as an attachment, streamed chunk by chunk as the store is read."""
    response = StreamingHttpResponse(export.chunks, content_type=export.media_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Accord-Objects"] = str(export.objects)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def download(request: AuthedRequest, export_format: str) -> HttpResponse | StreamingHttpResponse:
    """An export of what the shared-data page shows with its current filters."""
    params = request.GET.copy()
    params.pop("page", None)
    try:
        export = export_start(actor=request.user, format=export_format, params=params)
    except ApplicationError as exc:
        back = params.copy()
        back.pop("observable_type", None)
        return render(
            request, "exports/error.html", {"message": exc.message, "query": back.urlencode()}, status=exc.http_status
        )
    return export_response(export)
