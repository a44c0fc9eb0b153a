"""Campaigns: list, detail, graph, and the analysts' names, notes, merges and splits."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.analysis import campaign_reads, selectors, services
from accord.analysis.api._common import HostOnlyFields, PrincipalContextMixin
from accord.analysis.filters import CampaignFilter
from accord.analysis.graph_neighbours import graph_neighbours
from accord.analysis.models import Campaign, CampaignNote
from accord.core.fields import PublicIdField
from accord.core.pagination import StorePagination
from accord.core.replicas import ReplicaListMixin
from accord.core.roles import Perm
from accord.core.viewsets import ReadViewSet, principal_of, validated

__all__ = [
    "CampaignViewSet",
]


class CampaignNoteSerializer(serializers.ModelSerializer[CampaignNote]):
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = CampaignNote
        fields: ClassVar[list[str]] = ["id", "text", "author", "created_at"]
        read_only_fields: ClassVar[list[str]] = ["id", "author", "created_at"]


class CampaignSerializer(HostOnlyFields, serializers.ModelSerializer[Campaign]):
    """A campaign as the asker sees it (:func:`accord.analysis.selectors.campaign_list`): for a
    partner every figure comes from the members it sees; host staff also get the totals."""

    host_only_fields = ("objects_count", "observables_count", "organisations_count", "regions", "updated_at")

    objects_seen = serializers.SerializerMethodField(
        help_text="For host staff counted no further than a cap (1,000; ``objects_seen_capped``: more than that)."
    )
    objects_seen_capped = serializers.SerializerMethodField()
    organisations_seen = serializers.IntegerField(
        source="seen_organisations",
        read_only=True,
        help_text="Of the objects seen counted (at least this many where ``objects_seen_capped``).",
    )
    first_seen = serializers.DateTimeField(source="seen_first", read_only=True, allow_null=True)
    last_seen = serializers.DateTimeField(source="seen_last", read_only=True, allow_null=True)
    crime_types = serializers.ListField(child=serializers.CharField(), source="seen_crime_types", read_only=True)
    created_at = serializers.DateTimeField(
        source="seen_created",
        read_only=True,
        help_text="For a partner: when the first object it sees of the campaign was shared.",
    )
    notes = CampaignNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "description",
            "named",
            "first_seen",
            "last_seen",
            "objects_seen",
            "objects_seen_capped",
            "organisations_seen",
            "objects_count",
            "observables_count",
            "organisations_count",
            "regions",
            "crime_types",
            "created_at",
            "updated_at",
            "notes",
        ]
        read_only_fields = fields

    def get_objects_seen(self, campaign: Any) -> int:
        seen = int(campaign.seen_objects)
        return min(seen, campaign_reads.SEEN_COUNT_CAP) if isinstance(campaign, Campaign) else seen

    def get_objects_seen_capped(self, campaign: Any) -> bool:
        # a host reader's count stops past the cap (selectors.campaign_list); a partner's is kept whole
        seen = int(campaign.seen_objects)
        return isinstance(campaign, Campaign) and seen > campaign_reads.SEEN_COUNT_CAP


class CampaignUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class MergeSerializer(serializers.Serializer[Any]):
    campaigns = serializers.ListField(child=serializers.IntegerField(), min_length=2)
    reason = serializers.CharField(max_length=500)


class SplitSerializer(serializers.Serializer[Any]):
    observables = serializers.ListField(child=PublicIdField(), min_length=1, help_text="Observables' ids.")
    reason = serializers.CharField(max_length=500)


class NoteSerializer(serializers.Serializer[Any]):
    text = serializers.CharField()


class CampaignViewSet(ReplicaListMixin, PrincipalContextMixin, ReadViewSet):
    """Campaigns: connected components of objects sharing observables that may link."""

    pagination_class = StorePagination

    model = Campaign
    serializer_class = CampaignSerializer
    list_selector = staticmethod(selectors.campaign_list)
    get_selector = staticmethod(selectors.campaign_get)
    filterset_class = CampaignFilter
    action_perms: ClassVar[dict[str, Perm]] = {
        "partial_update": Perm.ANALYSIS_WORK,
        "merge": Perm.ANALYSIS_WORK,
        "split": Perm.ANALYSIS_WORK,
        "notes": Perm.ANALYSIS_WORK,
    }

    def get_queryset(self) -> Any:
        rows = super().get_queryset()
        # a partner's own campaigns carry no analysts' notes (selectors.campaign_list)
        return rows.prefetch_related("notes__author") if rows.model is Campaign else rows

    @extend_schema(request=CampaignUpdateSerializer, responses=CampaignSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        services.campaign_update(
            actor=principal_of(request), campaign=campaign, **validated(CampaignUpdateSerializer, request.data)
        )
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "expand",
                str,
                required=False,
                description="A node of the graph (`object:<id>` or `observable:<id>`): answer its neighbours "
                "beyond the campaign instead (the objects you may see that mention an observable, the "
                "observables an object mentions that you may learn), the first 25.",
            )
        ],
        responses=dict,
    )
    @action(detail=True, methods=["get"])
    def graph(self, request: Request, pk: str) -> Response:
        """Nodes (objects and the observables joining them) and edges, as far as you may see; with
        ``expand``, one node's neighbours."""
        campaign = self.get_object()
        principal = principal_of(request)
        if "expand" in request.query_params:
            graph = {"campaign": campaign.pk} | graph_neighbours(
                principal=principal, node=request.query_params["expand"]
            )
        else:
            graph = selectors.campaign_graph(principal=principal, campaign=campaign)
        services.campaign_graph_consulted(actor=principal, graph=graph, via="api")
        return Response(graph)

    @extend_schema(request=NoteSerializer, responses=CampaignNoteSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        note = services.campaign_annotate(
            actor=principal_of(request), campaign=campaign, **validated(NoteSerializer, request.data)
        )
        return Response(CampaignNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MergeSerializer, responses=CampaignSerializer)
    @action(detail=False, methods=["post"])
    def merge(self, request: Request) -> Response:
        data = validated(MergeSerializer, request.data)
        merged = services.campaign_merge(
            actor=principal_of(request), campaign_ids=data["campaigns"], reason=data["reason"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=merged.pk)).data)

    @extend_schema(request=SplitSerializer, responses=CampaignSerializer(many=True))
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        data = validated(SplitSerializer, request.data)
        pieces = services.campaign_split(
            actor=principal_of(request), campaign=campaign, observable_ids=data["observables"], reason=data["reason"]
        )
        rows = self.get_queryset().filter(pk__in=[p.pk for p in pieces])
        return Response(self.get_serializer(rows, many=True).data)
