"""API of secondments (placements) and their transitions."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.fields import choice_field
from accord.core.viewsets import ReadCreateViewSet, principal_of, referenced, validated
from accord.programme import selectors, services
from accord.programme.choices import (
    SECONDMENT_TRANSITIONS,
    SecondmentStatus,
)
from accord.programme.filters import (
    SecondmentFilter,
)
from accord.programme.models import (
    Secondment,
)

# --- Serializers ----------------------------------------------------------------------------------


class SecondmentSerializer(serializers.ModelSerializer[Secondment]):
    expert_name = serializers.CharField(source="expert.full_name", read_only=True)
    request_reference = serializers.CharField(source="request.reference", read_only=True)
    purpose = serializers.CharField(source="request.purpose", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Secondment
        fields: ClassVar[list[str]] = [
            "id",
            "reference",
            "expert",
            "expert_name",
            "request",
            "request_reference",
            "purpose",
            "organisation",
            "organisation_name",
            "agreement",
            "agreement_reference",
            "start",
            "end",
            "status",
            "status_reason",
            "allowed_transitions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, secondment: Secondment) -> list[str]:
        return list(SECONDMENT_TRANSITIONS[secondment.status])


class SecondmentProposeSerializer(serializers.Serializer[Any]):
    request = serializers.IntegerField()
    expert = serializers.IntegerField()
    start = serializers.DateField(required=False, help_text="Default: the request's start.")
    end = serializers.DateField(required=False, help_text="Default: the request's end.")


class SecondmentTransitionSerializer(serializers.Serializer[Any]):
    to = choice_field(SecondmentStatus)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- Views ----------------------------------------------------------------------------------------


class SecondmentViewSet(ReadCreateViewSet):
    """Placements: proposed by the sending partner or a programme manager, approved by the
    programme, activated and completed on their dates."""

    serializer_class = SecondmentSerializer
    filterset_class = SecondmentFilter
    ordering_fields: ClassVar[list[str]] = ["start", "end", "reference", "status"]
    ordering = ["-start"]
    model = Secondment
    list_selector = staticmethod(selectors.secondment_list)
    get_selector = staticmethod(selectors.secondment_get)

    @extend_schema(request=SecondmentProposeSerializer, responses={201: SecondmentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(SecondmentProposeSerializer, request.data)
        principal = principal_of(request)
        secondment = services.secondment_propose(
            actor=principal,
            secondment_request=referenced(
                "request", selectors.request_get, principal=principal, pk=data.pop("request")
            ),
            expert=referenced("expert", selectors.expert_get, principal=principal, pk=data.pop("expert")),
            **data,
        )
        return Response(SecondmentSerializer(secondment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SecondmentTransitionSerializer, responses=SecondmentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(SecondmentTransitionSerializer, request.data)
        secondment = services.secondment_transition(actor=principal_of(request), secondment=self.get_object(), **data)
        return Response(SecondmentSerializer(secondment).data)
