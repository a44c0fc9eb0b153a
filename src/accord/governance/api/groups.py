"""API of groups and memberships."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.fields import choice_field
from accord.core.roles import Perm
from accord.core.viewsets import ReadCreateViewSet, ReadViewSet, principal_of, referenced, validated, visible_person
from accord.governance import selectors, services
from accord.governance.choices import MembershipRole
from accord.governance.filters import GroupFilter, MembershipFilter
from accord.governance.models import Group, Membership

# --- Groups and memberships -----------------------------------------------------------------------


class GroupSerializer(serializers.ModelSerializer[Group]):
    region = serializers.CharField(
        read_only=True, help_text="The region of a regional group; empty for the expert group."
    )
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Group
        fields: ClassVar[list[str]] = ["id", "kind", "region", "slug", "name", "description", "member_count"]
        read_only_fields = fields


class FollowupSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    overdue = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_overdue(self, data: dict[str, Any]) -> list[int]:
        return [r.pk for r in data["overdue"]]


class GroupViewSet(ReadViewSet):
    """The expert group and the five regional working groups (seeded by ``accord init``)."""

    serializer_class = GroupSerializer
    filterset_class = GroupFilter
    ordering = ["kind", "name"]
    model = Group
    list_selector = staticmethod(selectors.group_list)
    get_selector = staticmethod(selectors.group_get)

    @extend_schema(responses=FollowupSerializer)
    @action(detail=True, methods=["get"])
    def followup(self, request: Request, pk: str) -> Response:
        """The group's recommendation board: counts per status and the overdue ones."""
        data = selectors.recommendation_followup(principal=principal_of(request), group=self.get_object())
        return Response(FollowupSerializer(data).data)


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    person_name = serializers.CharField(source="person.get_full_name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Membership
        fields: ClassVar[list[str]] = [
            "id",
            "group",
            "person",
            "person_name",
            "organisation",
            "organisation_name",
            "role",
            "term_start",
            "term_end",
        ]
        read_only_fields = fields


class MembershipCreateSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField()
    person = serializers.IntegerField()
    role = choice_field(MembershipRole, required=False, default=MembershipRole.MEMBER)
    term_start = serializers.DateField()
    term_end = serializers.DateField(required=False, allow_null=True)


class TermEndSerializer(serializers.Serializer[Any]):
    term_end = serializers.DateField()


class MembershipViewSet(ReadCreateViewSet):
    """Seats in the groups: programme managers add them and end their terms."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering = ["group", "role", "person__last_name"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.GOVERNANCE_MANAGE, "end": Perm.GOVERNANCE_MANAGE}
    model = Membership
    list_selector = staticmethod(selectors.membership_list)

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(MembershipCreateSerializer, request.data)
        principal = principal_of(request)
        data["group"] = referenced("group", selectors.group_get, principal=principal, pk=data["group"])
        data["person"] = visible_person(request, data["person"], "person")
        membership = services.membership_add(actor=principal, **data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TermEndSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        data = validated(TermEndSerializer, request.data)
        membership = services.membership_end(actor=principal_of(request), membership=self.get_object(), **data)
        return Response(MembershipSerializer(membership).data)
