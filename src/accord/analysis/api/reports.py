"""Intelligence reports: drafts, the dissemination check, dissemination and the bundle."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.analysis import selectors, services
from accord.analysis.api._common import HostOnlyFields, PrincipalContextMixin
from accord.analysis.models import IntelReport
from accord.analysis.reports import report_bundle, report_check
from accord.core.choices import Tlp
from accord.core.errors import Conflict
from accord.core.replicas import ReplicaListMixin
from accord.core.roles import Perm
from accord.core.viewsets import ReadViewSet, principal_of, validated

__all__ = [
    "ReportViewSet",
]


class ReportSerializer(HostOnlyFields, serializers.ModelSerializer[IntelReport]):
    # recipients see the report, not the analysts' workings
    host_only_fields = ("dissemination", "audience_organisations", "campaigns", "objects", "created_by")

    audience_organisations = serializers.SerializerMethodField()
    campaigns = serializers.SerializerMethodField()
    objects = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True, read_only=True)
    taxii_collection = serializers.SerializerMethodField()

    class Meta:
        model = IntelReport
        fields: ClassVar[list[str]] = [
            "id",
            "stix_id",
            "title",
            "summary",
            "assessment",
            "tlp",
            "audience",
            "audience_organisations",
            "audience_regions",
            "campaigns",
            "objects",
            "status",
            "dissemination",
            "created_by",
            "created_at",
            "updated_at",
            "disseminated_at",
            "taxii_collection",
        ]
        read_only_fields = fields

    def get_taxii_collection(self, report: IntelReport) -> str | None:
        """The id of the TAXII collection its recipients read it from, once disseminated."""
        return str(report.collection_id) if report.collection_id else None

    def get_audience_organisations(self, report: IntelReport) -> list[int]:
        return sorted(report.audience_organisations.values_list("pk", flat=True))

    def get_campaigns(self, report: IntelReport) -> list[int]:
        return sorted(report.campaigns.values_list("pk", flat=True))

    def get_objects(self, report: IntelReport) -> list[str]:
        return sorted(set(report.objects_included.values_list("stix_id", flat=True)))


class ReportInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField()
    assessment = serializers.CharField(required=False, allow_blank=True, default="")
    tlp = serializers.CharField(required=False, default=Tlp.AMBER)
    audience = serializers.CharField()
    audience_organisations = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    audience_regions = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    campaigns = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    objects = serializers.ListField(child=serializers.CharField(), required=False, default=list)


def _report_arguments(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["campaign_ids"] = data.pop("campaigns", [])
    data["object_ids"] = data.pop("objects", [])
    return data


class ReportViewSet(ReplicaListMixin, PrincipalContextMixin, ReadViewSet):
    """Intelligence reports: drafted by analysts from campaigns and objects, checked against every
    source's agreement for the audience, disseminated as STIX 2.1 and as a printable page."""

    model = IntelReport
    serializer_class = ReportSerializer
    list_selector = staticmethod(selectors.report_list)
    get_selector = staticmethod(selectors.report_get)
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.ANALYSIS_WORK,
        "partial_update": Perm.ANALYSIS_WORK,
        "check": Perm.ANALYSIS_WORK,
        "disseminate": Perm.ANALYSIS_WORK,
    }

    @extend_schema(request=ReportInputSerializer, responses=ReportSerializer)
    def create(self, request: Request) -> Response:
        data = _report_arguments(validated(ReportInputSerializer, request.data))
        report = services.report_save(actor=principal_of(request), **data)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportInputSerializer, responses=ReportSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        current = {
            "title": report.title,
            "summary": report.summary,
            "assessment": report.assessment,
            "tlp": report.tlp,
            "audience": report.audience,
            "audience_organisations": list(report.audience_organisations.values_list("pk", flat=True)),
            "audience_regions": report.audience_regions,
            "campaigns": list(report.campaigns.values_list("pk", flat=True)),
            "objects": list(report.objects_included.values_list("stix_id", flat=True)),
        }
        data = _report_arguments(validated(ReportInputSerializer, current | dict(request.data)))
        report = services.report_save(actor=principal_of(request), report=report, **data)
        return Response(self.get_serializer(report).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def check(self, request: Request, pk: str) -> Response:
        """What would go to the audience now, and what would be blocked and why (changes nothing)."""
        return Response(report_check(self.get_object()))

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def disseminate(self, request: Request, pk: str) -> Response:
        report = services.report_disseminate(actor=principal_of(request), report=self.get_object())
        return Response(self.get_serializer(report).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def bundle(self, request: Request, pk: str) -> Response:
        """The report as a STIX 2.1 bundle, each object as the policy gives it to you."""
        report = self.get_object()
        if report.status != IntelReport.Status.DISSEMINATED:
            raise Conflict("status: a draft has no bundle yet; disseminate it first.")
        reader = principal_of(request)
        bundle = report_bundle(report, reader)
        services.report_bundle_consulted(actor=reader, report=report, bundle=bundle, via="api")
        return Response(bundle)
