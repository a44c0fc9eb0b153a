"""What the governance API modules share: the manage permission, person and organisation look-ups,
the ids field and the detail viewset."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api import SelectorViewSet, principal_of
from accord.core.errors import NotFound
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.core.selectors import organisation_get, person_get

MANAGE = Perm.GOVERNANCE_MANAGE


def _person(request: Request, pk: Any, field: str) -> User:
    try:
        return person_get(principal=principal_of(request), pk=pk)
    except NotFound as exc:
        raise serializers.ValidationError({field: [f"No person with id {pk} that you may see."]}) from exc


def _organisation(request: Request, pk: Any, field: str) -> Organisation:
    try:
        return organisation_get(principal=principal_of(request), pk=pk)
    except NotFound as exc:
        raise serializers.ValidationError({field: [f"No organisation with id {pk} that you may see."]}) from exc


@extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
class IdsField(serializers.Field):  # type: ignore[type-arg]
    """The ids of a to-many relation (read from prefetched rows)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> list[int]:
        return [item.pk for item in value.all()]


class DetailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """A list/create/retrieve viewset whose one-row answers (retrieve and every action) use
    ``detail_serializer``, read again through the selector after the change."""

    detail_serializer: type[serializers.Serializer[Any]]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return self.detail_serializer if self.action == "retrieve" else super().get_serializer_class()

    def _detail(self, request: Request, pk: Any, code: int = status.HTTP_200_OK) -> Response:
        assert self.get_selector is not None  # noqa: S101 - every detail viewset names one
        row = self.get_selector(principal=principal_of(request), pk=pk)
        return Response(self.detail_serializer(row).data, status=code)
