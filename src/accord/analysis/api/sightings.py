"""Sightings: what organisations report they saw, and new reports of it."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accord.analysis import selectors, services
from accord.analysis.api._common import PrincipalContextMixin
from accord.analysis.filters import SightingFilter
from accord.analysis.models import Sighting
from accord.core.fields import PublicIds
from accord.core.replicas import ReplicaListMixin
from accord.core.roles import Perm
from accord.core.viewsets import SelectorViewSet, principal_of, validated
from accord.formats.choices import ObservableType

__all__ = [
    "SightingViewSet",
]


class SightingSerializer(PublicIds, serializers.ModelSerializer[Sighting]):
    """A sighting with the value as it was seen (never anything of a stored observable, so that a
    reporter learns nothing of whether the value was in the store)."""

    organisation = serializers.SerializerMethodField()

    class Meta:
        model = Sighting
        fields: ClassVar[list[str]] = [
            "id",
            "type",
            "value",
            "organisation",
            "first_seen",
            "last_seen",
            "count",
            "country",
            "region",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    def get_organisation(self, sighting: Sighting) -> str | None:
        ctx = self.context.get("ctx")
        if ctx is None or selectors.may_name_sighter(ctx, sighting):
            return sighting.organisation.name
        return None


class SightingInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ObservableType.choices)
    value = serializers.CharField(max_length=2048)
    seen_at = serializers.DateTimeField(required=False)
    last_seen = serializers.DateTimeField(required=False)
    count = serializers.IntegerField(required=False, default=1)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SightingViewSet(
    ReplicaListMixin, PrincipalContextMixin, mixins.ListModelMixin, mixins.CreateModelMixin, SelectorViewSet
):
    """Sightings: who saw an observable, when; the originators' feedback."""

    model = Sighting
    serializer_class = SightingSerializer
    list_selector = staticmethod(selectors.sighting_list)
    filterset_class = SightingFilter
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.SHARING_SUBMIT}

    @extend_schema(request=SightingInputSerializer, responses=SightingSerializer)
    def create(self, request: Request) -> Response:
        sighting = services.sighting_record(
            actor=principal_of(request), **validated(SightingInputSerializer, request.data)
        )
        return Response(self.get_serializer(sighting).data, status=status.HTTP_201_CREATED)
