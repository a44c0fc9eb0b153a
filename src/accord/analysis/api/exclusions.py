"""Known-benign values: local exclusion lists and their entries, and the MISP warning lists."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.analysis import selectors, services
from accord.analysis.models import ExclusionEntry, ExclusionList
from accord.analysis.warninglists import index
from accord.core.errors import NotFound
from accord.core.roles import Perm
from accord.core.viewsets import SelectorViewSet, principal_of, validated
from accord.formats.choices import ObservableType

__all__ = [
    "ExclusionListViewSet",
    "WarningListView",
]


class ExclusionEntrySerializer(serializers.ModelSerializer[ExclusionEntry]):
    class Meta:
        model = ExclusionEntry
        fields: ClassVar[list[str]] = ["id", "type", "pattern", "comment", "created_at"]
        read_only_fields: ClassVar[list[str]] = ["id", "created_at"]


class ExclusionListSerializer(serializers.ModelSerializer[ExclusionList]):
    entries = ExclusionEntrySerializer(many=True, read_only=True)

    class Meta:
        model = ExclusionList
        fields: ClassVar[list[str]] = ["id", "name", "description", "created_at", "entries"]
        read_only_fields: ClassVar[list[str]] = ["id", "created_at", "entries"]


class EntryInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ObservableType.choices)
    pattern = serializers.CharField(max_length=2048)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ExclusionListViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, SelectorViewSet
):
    """The programme's own known-benign lists: values and patterns that never correlate, never
    link campaigns and never go into detection exports."""

    model = ExclusionList
    serializer_class = ExclusionListSerializer
    list_selector = staticmethod(selectors.exclusion_list_list)
    action_perms: ClassVar[dict[str, Perm]] = {
        "list": Perm.ANALYSIS_WORK,
        "retrieve": Perm.ANALYSIS_WORK,
        "create": Perm.ANALYSIS_WORK,
        "destroy": Perm.ANALYSIS_WORK,
        "entries": Perm.ANALYSIS_WORK,
        "entry": Perm.ANALYSIS_WORK,
    }

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("entries")

    def create(self, request: Request) -> Response:
        data = validated(ExclusionListSerializer, request.data)
        made = services.exclusion_list_create(
            actor=principal_of(request), name=data["name"], description=data.get("description", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=made.pk)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        services.exclusion_list_delete(actor=principal_of(request), exclusion_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=EntryInputSerializer, responses=ExclusionEntrySerializer)
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str) -> Response:
        data = validated(EntryInputSerializer, request.data)
        entry = services.exclusion_entry_add(actor=principal_of(request), exclusion_list=self.get_object(), **data)
        return Response(ExclusionEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"entries/(?P<entry_id>\d+)")
    def entry(self, request: Request, pk: str, entry_id: str) -> Response:
        found = self.get_object().entries.filter(pk=int(entry_id)).first()
        if found is None:
            raise NotFound(f"No entry {entry_id} on this list.")
        services.exclusion_entry_remove(actor=principal_of(request), entry=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WarningListView(APIView):
    """The MISP warning lists Accord consults (bundled with ``pymispwarninglists``)."""

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return Response({"results": index().lists()})
