"""API of recommendations, their notes and action items."""

from __future__ import annotations

from typing import Any, ClassVar

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.choices import Region
from accord.core.fields import choice_field
from accord.core.roles import Perm
from accord.core.viewsets import DetailViewSet, principal_of, referenced, validated, visible_person
from accord.governance import selectors, services
from accord.governance.api.groups import FollowupSerializer
from accord.governance.choices import RECOMMENDATION_TRANSITIONS, RecommendationArea, RecommendationStatus
from accord.governance.filters import RecommendationFilter
from accord.governance.models import ActionItem, Recommendation, RecommendationNote

# --- Recommendations ------------------------------------------------------------------------------


class NoteSerializer(serializers.ModelSerializer[RecommendationNote]):
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = RecommendationNote
        fields: ClassVar[list[str]] = ["id", "author", "status", "body", "created_at"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer[ActionItem]):
    class Meta:
        model = ActionItem
        fields: ClassVar[list[str]] = ["id", "description", "owner", "due_date", "done_at"]
        read_only_fields = fields


class RecommendationSerializer(serializers.ModelSerializer[Recommendation]):
    overdue = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields: ClassVar[list[str]] = [
            "id",
            "meeting",
            "group",
            "title",
            "text",
            "area",
            "owner",
            "due_date",
            "status",
            "allowed_transitions",
            "overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, recommendation: Recommendation) -> list[str]:
        return list(RECOMMENDATION_TRANSITIONS[recommendation.status])


class RecommendationDetailSerializer(RecommendationSerializer):
    notes = NoteSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta(RecommendationSerializer.Meta):
        fields: ClassVar[list[str]] = [*RecommendationSerializer.Meta.fields, "notes", "action_items"]
        read_only_fields = fields


class RecommendationCreateSerializer(serializers.Serializer[Any]):
    meeting = serializers.IntegerField()
    group = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    area = choice_field(RecommendationArea)
    owner = serializers.IntegerField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class RecommendationTransitionSerializer(serializers.Serializer[Any]):
    to = choice_field(RecommendationStatus)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteCreateSerializer(serializers.Serializer[Any]):
    body = serializers.CharField()


class ActionItemCreateSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=300)
    owner = serializers.IntegerField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class ActionItemDoneSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField()


class RecommendationViewSet(DetailViewSet):
    """Recommendations and their follow-up: status moves, progress notes, action items."""

    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    ordering_fields: ClassVar[list[str]] = ["due_date", "status", "created_at"]
    ordering = ["due_date", "pk"]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: Perm.GOVERNANCE_MANAGE for name in ("create", "transition", "notes", "action_items", "complete_action")
    }
    model = Recommendation
    list_selector = staticmethod(selectors.recommendation_list)
    get_selector = staticmethod(selectors.recommendation_get)
    detail_serializer = RecommendationDetailSerializer

    @extend_schema(request=RecommendationCreateSerializer, responses={201: RecommendationDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(RecommendationCreateSerializer, request.data)
        principal = principal_of(request)
        data["meeting"] = referenced("meeting", selectors.meeting_get, principal=principal, pk=data["meeting"])
        data["group"] = referenced("group", selectors.group_get, principal=principal, pk=data["group"])
        data["owner"] = visible_person(request, data["owner"], "owner") if data.get("owner") else None
        recommendation = services.recommendation_create(actor=principal, **data)
        return self.detail_response(request, recommendation.pk, status.HTTP_201_CREATED)

    @extend_schema(request=RecommendationTransitionSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(RecommendationTransitionSerializer, request.data)
        services.recommendation_transition(actor=principal_of(request), recommendation=self.get_object(), **data)
        return self.detail_response(request, pk)

    @extend_schema(request=NoteCreateSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        data = validated(NoteCreateSerializer, request.data)
        services.recommendation_note(actor=principal_of(request), recommendation=self.get_object(), **data)
        return self.detail_response(request, pk)

    @extend_schema(request=ActionItemCreateSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="action-items")
    def action_items(self, request: Request, pk: str) -> Response:
        data = validated(ActionItemCreateSerializer, request.data)
        data["owner"] = visible_person(request, data["owner"], "owner") if data.get("owner") else None
        services.action_item_add(actor=principal_of(request), recommendation=self.get_object(), **data)
        return self.detail_response(request, pk)

    @extend_schema(request=ActionItemDoneSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="complete-action")
    def complete_action(self, request: Request, pk: str) -> Response:
        data = validated(ActionItemDoneSerializer, request.data)
        item = get_object_or_404(ActionItem, pk=data["item"], recommendation=self.get_object())
        services.action_item_complete(actor=principal_of(request), item=item)
        return self.detail_response(request, pk)

    @extend_schema(
        parameters=[OpenApiParameter("region", str, enum=Region.values, required=True)],
        responses=FollowupSerializer,
    )
    @action(detail=False, methods=["get"])
    def followup(self, request: Request) -> Response:
        """The follow-up of one region's working group: counts per status and the overdue ones."""
        region = request.query_params.get("region", "")
        if region not in Region.values:
            raise serializers.ValidationError({"region": [f"One of: {', '.join(Region.values)}."]})
        data = selectors.recommendation_followup(principal=principal_of(request), region=region)
        return Response(FollowupSerializer(data).data)
