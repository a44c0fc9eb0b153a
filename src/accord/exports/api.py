"""``GET /api/v1/exports/<format>/``: shared data in a format tools load, streamed."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from accord.core.choices import DataCategory, Purpose, Tlp
from accord.core.roles import Perm
from accord.core.viewsets import principal_of
from accord.exports.services import export_start
from accord.exports.views import export_response
from accord.formats.choices import ObservableType
from accord.formats.writers import WRITERS

__all__ = ["ExportView"]


class AnyAccept(BaseContentNegotiation):
    """An export answers its own media type whatever ``Accept`` says; errors are JSON."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    """Every object you may export (policy action ``export``; never TLP:RED), as a file."""

    content_negotiation_class = AnyAccept
    action_perms: ClassVar[dict[str, Perm]] = {"get": Perm.SHARING_READ}

    @extend_schema(
        operation_id="v1_exports_retrieve",
        parameters=[
            OpenApiParameter("export_format", str, OpenApiParameter.PATH, enum=sorted(WRITERS)),
            OpenApiParameter("purpose", str, enum=Purpose.values),
            OpenApiParameter(
                "observable_type", str, many=True, enum=ObservableType.values, description="Blocklist: exactly one."
            ),
            OpenApiParameter(
                "show_suppressed",
                bool,
                description="Detection formats: list in the header the values left out as known-benign.",
            ),
            OpenApiParameter("type", str, description="STIX type of the objects."),
            OpenApiParameter("tlp", str, many=True, enum=Tlp.values),
            OpenApiParameter("organisation", int),
            OpenApiParameter("data_category", str, many=True, enum=DataCategory.values),
            OpenApiParameter("crime_type", str),
            OpenApiParameter("observable", str, description="Objects mentioning exactly this value."),
            OpenApiParameter("value_prefix", str, description="Objects mentioning a value starting with this."),
            OpenApiParameter("added_after", OpenApiTypes.DATETIME),
            OpenApiParameter("added_before", OpenApiTypes.DATETIME),
        ],
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.OBJECT if "json" in media_type else OpenApiTypes.BINARY,
                description="The file, streamed.",
            )
            for media_type in sorted({writer.media_type for writer in WRITERS.values()})
        },
    )
    def get(self, request: Request, export_format: str) -> Any:
        export = export_start(actor=principal_of(request), format=export_format, params=request.query_params)
        return export_response(export)
