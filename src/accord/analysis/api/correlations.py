"""Correlations: the observables two or more organisations reported, with their sources."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accord.analysis import selectors
from accord.analysis.api._common import HostOnlyFields, PrincipalContextMixin
from accord.analysis.filters import CorrelationFilter
from accord.analysis.models import Correlation
from accord.core.choices import Purpose
from accord.core.fields import PublicIdField
from accord.core.pagination import StorePagination
from accord.core.replicas import ReplicaListMixin
from accord.core.viewsets import SelectorViewSet, principal_of
from accord.sharing.services import personal_data_consulted

__all__ = [
    "CorrelationViewSet",
]


class CorrelationSerializer(HostOnlyFields, serializers.ModelSerializer[Correlation]):
    # totals, and when they last changed, count objects a partner may not see
    host_only_fields = ("organisation_count", "object_count", "over_correlating", "known_benign", "updated_at")

    observable_id = PublicIdField(source="observable.pk", read_only=True)
    type = serializers.CharField(source="observable.type", read_only=True)
    value = serializers.CharField(source="observable.value", read_only=True)
    known_benign = serializers.CharField(source="benign", read_only=True)
    correlated_at = serializers.DateTimeField(
        source="seen_correlated_at",
        read_only=True,
        allow_null=True,
        help_text="For a partner: when it and another source it may see had both reported the value.",
    )

    class Meta:
        model = Correlation
        fields: ClassVar[list[str]] = [
            "observable_id",
            "type",
            "value",
            "organisation_count",
            "object_count",
            "known_benign",
            "over_correlating",
            "correlated_at",
            "updated_at",
        ]
        read_only_fields = fields


class SourceSerializer(serializers.Serializer[Any]):
    organisation = serializers.CharField(allow_null=True, help_text="Null: the source may not be named to you.")
    objects = serializers.IntegerField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    own = serializers.BooleanField()


class CorrelationDetailSerializer(serializers.Serializer[Any]):
    observable_id = PublicIdField(source="observable.pk")
    type = serializers.CharField(source="observable.type")
    value = serializers.CharField(source="observable.value")
    correlates = serializers.BooleanField()
    known_benign = serializers.CharField()
    over_correlating = serializers.BooleanField()
    sources = SourceSerializer(many=True)
    other_sources = serializers.IntegerField(help_text="Sources you may know of but not see: no detail.")
    campaigns = serializers.ListField(child=serializers.IntegerField())


class CorrelationViewSet(ReplicaListMixin, PrincipalContextMixin, mixins.ListModelMixin, SelectorViewSet):
    """Observables reported by two or more organisations, as far as the asker may know.

    ``GET /correlations/<observable id>/`` says who else reported one observable."""

    pagination_class = StorePagination

    model = Correlation
    serializer_class = CorrelationSerializer
    list_selector = staticmethod(selectors.correlation_list)
    filterset_class = CorrelationFilter

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The observable's id.")],
        responses=CorrelationDetailSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        principal = principal_of(request)
        detail = selectors.correlation_detail(principal=principal, observable_id=pk)
        personal_data_consulted(
            actor=principal, observables=[detail["observable"]], purpose=Purpose.INVESTIGATION, via="api"
        )
        return Response(CorrelationDetailSerializer(detail).data)

    def paginate_queryset(self, queryset: Any) -> Any:
        """The page of a list, its phone numbers and e-mail addresses logged as consulted."""
        page = super().paginate_queryset(queryset)
        if page is not None and not getattr(self, "swagger_fake_view", False):
            personal_data_consulted(
                actor=principal_of(self.request),
                observables=[row.observable for row in page],
                purpose=Purpose.INVESTIGATION,
                via="api",
            )
        return page
