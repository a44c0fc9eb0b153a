"""The bases every app's API viewsets stand on, so a viewset says only what is its own.

Reads go through the app's selectors (:class:`SelectorViewSet`); the usual stacks of DRF mixins
are named once here (:class:`ReadViewSet`, :class:`ReadCreateViewSet`, :class:`ReadWriteViewSet`),
and :class:`DetailViewSet` answers every one-row call with the detail serializer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db.models import QuerySet
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.errors import NotFound
from accord.core.models import Organisation, User
from accord.core.selectors import organisation_get, person_get

T = TypeVar("T")

__all__ = [
    "DetailViewSet",
    "ReadCreateViewSet",
    "ReadViewSet",
    "ReadWriteViewSet",
    "SelectorViewSet",
    "principal_of",
    "referenced",
    "validated",
    "visible_organisation",
    "visible_person",
]


def principal_of(request: Request) -> User:
    """The authenticated person (``RolePermission`` has refused anonymous requests already)."""
    return cast(User, request.user)


def validated(
    serializer_class: type[serializers.Serializer[Any]], data: Any, *, partial: bool = False
) -> dict[str, Any]:
    """The input checked by ``serializer_class`` (a 400 naming the field when it is not)."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def referenced(field: str, selector: Callable[..., T], *, principal: User, pk: Any) -> T:
    """The row an input ``field`` names, read through ``selector`` as the principal may see it.

    A row the input names but the principal cannot see is a mistake in the input: a 400 naming
    the field (a 404 is for the row the path names)."""
    try:
        return selector(principal=principal, pk=pk)
    except NotFound as exc:
        raise serializers.ValidationError({field: [exc.message]}) from exc


def visible_person(request: Request, pk: Any, field: str) -> User:
    """The person an input ``field`` names, as far as the principal may see them (else a 400)."""
    return referenced(field, person_get, principal=principal_of(request), pk=pk)


def visible_organisation(request: Request, pk: Any, field: str) -> Organisation:
    """The organisation an input ``field`` names, as far as the principal may see it (else a 400)."""
    return referenced(field, organisation_get, principal=principal_of(request), pk=pk)


class SelectorViewSet(viewsets.GenericViewSet[Any]):
    """Reads go through the app's selectors, so the API sees exactly what the principal may.

    ``get_selector`` (optional) keeps "missing" and "not yours" the same 404.
    """

    model: type[Any]
    list_selector: Callable[..., QuerySet[Any]]
    get_selector: Callable[..., Any] | None = None

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no principal
            return self.model.objects.none()  # type: ignore[no-any-return]
        return self.list_selector(principal=principal_of(self.request))

    def get_object(self) -> Any:
        if self.get_selector is None:
            return super().get_object()
        return self.get_selector(principal=principal_of(self.request), pk=self.kwargs["pk"])


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SelectorViewSet):
    """List and retrieve."""


class ReadCreateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """List, retrieve and create."""


class ReadWriteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    SelectorViewSet,
):
    """List, retrieve, create and update."""


class DetailViewSet(ReadCreateViewSet):
    """A list/create/retrieve viewset whose one-row answers (retrieve and every action) use
    ``detail_serializer``, read again through the selector after the change."""

    detail_serializer: type[serializers.Serializer[Any]]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return self.detail_serializer if self.action == "retrieve" else super().get_serializer_class()

    def detail_response(self, request: Request, pk: Any, code: int = status.HTTP_200_OK) -> Response:
        assert self.get_selector is not None  # noqa: S101 - every detail viewset names one
        row = self.get_selector(principal=principal_of(request), pk=pk)
        return Response(self.detail_serializer(row).data, status=code)
