"""REST API for the core domain: organisations, people, own API tokens, ``me``, audit events.

Thin: serializers check the shape of input, selectors decide what is visible, services change
state. Errors come out in the one JSON shape of :mod:`accord.core.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core import selectors, services
from accord.core.audit import audit_verify
from accord.core.choices import (
    ContributionArea,
    OrganisationKind,
    OrganisationStatus,
    ReliabilityGrade,
    Role,
    Sector,
    TokenScope,
)
from accord.core.fields import choice_field
from accord.core.filters import AuditEventFilter, OrganisationFilter, PersonFilter
from accord.core.models import ApiToken, AuditEvent, Organisation, User
from accord.core.regions import validate_country
from accord.core.roles import Perm, allowed_scopes, perms_of
from accord.core.second_factor import has_second_factor, second_factor_required
from accord.core.viewsets import ReadViewSet, ReadWriteViewSet, SelectorViewSet, principal_of, referenced, validated

__all__ = [
    "AuditEventViewSet",
    "MeView",
    "OrganisationViewSet",
    "PersonViewSet",
    "TokenViewSet",
]


def _country(value: str) -> None:
    try:
        validate_country(value.upper())
    except DjangoValidationError as exc:
        raise serializers.ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 code, e.g. KE, BR, SG.") from exc


def _updated(
    request: Request,
    write: type[serializers.Serializer[Any]],
    update: Callable[..., Any],
    read: type[serializers.ModelSerializer[Any]],
    **row: Organisation | User,
) -> Response:
    """PATCH: the fields given of the ``row`` changed by ``update``, with the justification the
    audit keeps (blank when none is given)."""
    data = validated(write, request.data, partial=True)
    data.setdefault("justification", "")
    return Response(read(update(actor=principal_of(request), **row, **data)).data)


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    country_name = serializers.CharField(read_only=True)

    class Meta:
        model = Organisation
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "short_name",
            "kind",
            "sector",
            "country",
            "country_name",
            "region",
            "status",
            "reliability",
            "is_host",
            "website",
            "description",
            "contribution_areas",
            "listed_publicly",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrganisationWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    short_name = serializers.CharField(max_length=40, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, validators=[_country])
    status = choice_field(
        OrganisationStatus,
        required=False,
        help_text="Where a new organisation starts (applicant or vetting); later its agreements decide.",
    )
    reliability = serializers.ChoiceField(choices=ReliabilityGrade.choices, required=False)
    website = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    contribution_areas = serializers.ListField(
        child=serializers.ChoiceField(choices=ContributionArea.choices), required=False
    )
    listed_publicly = serializers.BooleanField(required=False)
    justification = serializers.CharField(required=False, allow_blank=True, write_only=True)


class OrganisationViewSet(ReadWriteViewSet):
    """Organisations: programme staff see all, partners their own; programme managers edit."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields: ClassVar[list[str]] = ["name", "country", "region", "status", "created_at"]
    ordering = ["name"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.ORGANISATION_MANAGE,
        "update": Perm.ORGANISATION_MANAGE,
        "partial_update": Perm.ORGANISATION_MANAGE,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    model = Organisation
    list_selector = staticmethod(selectors.organisation_list)
    get_selector = staticmethod(selectors.organisation_get)

    @extend_schema(request=OrganisationWriteSerializer, responses={201: OrganisationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(OrganisationWriteSerializer, request.data)
        data.pop("justification", None)
        organisation = services.organisation_create(actor=principal_of(request), **data)
        return Response(OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganisationWriteSerializer, responses=OrganisationSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organisation = self.get_object()
        return _updated(
            request,
            OrganisationWriteSerializer,
            services.organisation_update,
            OrganisationSerializer,
            organisation=organisation,
        )


class PersonSerializer(serializers.ModelSerializer[User]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = User
        fields: ClassVar[list[str]] = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "job_title",
            "role",
            "organisation",
            "organisation_name",
            "is_active",
            "last_login",
            "date_joined",
        ]
        read_only_fields = fields


class PersonCreateSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    username = serializers.RegexField(
        r"^[\w.@+-]{2,150}$", error_messages={"invalid": "Letters, digits and @ . + - _ only."}
    )
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    job_title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    password = serializers.CharField(required=False, write_only=True, style={"input_type": "password"})


class PersonUpdateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    job_title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    justification = serializers.CharField(required=False, allow_blank=True, write_only=True)


class PersonViewSet(ReadWriteViewSet):
    """People: programme staff see everyone, partners their colleagues; managers add and edit."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields: ClassVar[list[str]] = ["username", "last_name", "role", "date_joined", "last_login"]
    ordering = ["username"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.PERSON_MANAGE,
        "update": Perm.PERSON_MANAGE,
        "partial_update": Perm.PERSON_MANAGE,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    model = User
    list_selector = staticmethod(selectors.person_list)
    get_selector = staticmethod(selectors.person_get)

    @extend_schema(request=PersonCreateSerializer, responses={201: PersonSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(PersonCreateSerializer, request.data)
        organisation = referenced(
            "organisation", selectors.organisation_get, principal=principal_of(request), pk=data.pop("organisation")
        )
        person = services.person_create(actor=principal_of(request), organisation=organisation, **data)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonUpdateSerializer, responses=PersonSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        return _updated(request, PersonUpdateSerializer, services.person_update, PersonSerializer, person=person)


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    prefix = serializers.CharField(read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "state",
        ]
        read_only_fields = fields

    def get_state(self, token: ApiToken) -> str:
        return token.state_at()


class TokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=TokenScope.choices), allow_empty=False)
    days = serializers.IntegerField(min_value=1, max_value=services.MAX_TOKEN_DAYS, default=90)


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown this once; store it now.")

    class Meta(TokenSerializer.Meta):
        fields: ClassVar[list[str]] = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    SelectorViewSet,
):
    """One's own API tokens: issue (the secret is shown once), list, revoke (DELETE)."""

    serializer_class = TokenSerializer
    ordering_fields: ClassVar[list[str]] = ["created_at", "expires_at", "last_used_at", "name"]
    ordering = ["-created_at"]

    model = ApiToken
    list_selector = staticmethod(selectors.token_list)
    get_selector = staticmethod(selectors.token_get)

    @extend_schema(request=TokenCreateSerializer, responses={201: IssuedTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(TokenCreateSerializer, request.data)
        issued = services.token_issue(actor=principal_of(request), user=principal_of(request), **data)
        body = IssuedTokenSerializer(issued.token).data
        body["token"] = issued.secret
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.token_revoke(actor=principal_of(self.request), token=instance)


class MeSerializer(PersonSerializer):
    organisation_detail = OrganisationSerializer(source="organisation", read_only=True)
    permissions = serializers.SerializerMethodField()
    allowed_token_scopes = serializers.SerializerMethodField()
    second_factor = serializers.SerializerMethodField(
        help_text="Whether the person signs in with an authenticator app's codes (TOTP)."
    )
    second_factor_required = serializers.SerializerMethodField(
        help_text="Whether their role must (ACCORD_TOTP_REQUIRED_ROLES); tokens need none."
    )

    class Meta(PersonSerializer.Meta):
        fields: ClassVar[list[str]] = [
            *PersonSerializer.Meta.fields,
            "organisation_detail",
            "permissions",
            "allowed_token_scopes",
            "second_factor",
            "second_factor_required",
        ]
        read_only_fields = fields

    def get_permissions(self, user: User) -> list[str]:
        return sorted(perms_of(user.role))

    def get_allowed_token_scopes(self, user: User) -> list[str]:
        return sorted(allowed_scopes(user.role))

    def get_second_factor(self, user: User) -> bool:
        return has_second_factor(user)

    def get_second_factor_required(self, user: User) -> bool:
        return second_factor_required(user)


class MeView(APIView):
    """Who the request authenticates as, their organisation, and what their role allows."""

    @extend_schema(
        responses=inline_serializer(
            "MeResponse",
            {
                "person": MeSerializer(),
                "token": TokenSerializer(allow_null=True),
            },
        )
    )
    def get(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(
            {
                "person": MeSerializer(principal_of(request)).data,
                "token": TokenSerializer(token).data if token else None,
            }
        )


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields: ClassVar[list[str]] = [
            "id",
            "seq",
            "at",
            "actor",
            "actor_username",
            "organisation",
            "action",
            "object_type",
            "object_id",
            "details",
            "justification",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class AuditEventViewSet(ReadViewSet):
    """The hash-chained audit log, for auditors and administrators; ``verify`` checks the chain."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields: ClassVar[list[str]] = ["seq", "at"]
    ordering = ["-seq"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "list": Perm.AUDIT_VIEW,
        "retrieve": Perm.AUDIT_VIEW,
        "verify": Perm.AUDIT_VIEW,
    }

    model = AuditEvent
    list_selector = staticmethod(selectors.audit_event_list)

    @extend_schema(
        responses=inline_serializer(
            "ChainReport",
            {
                "ok": serializers.BooleanField(),
                "checked": serializers.IntegerField(),
                "broken_seq": serializers.IntegerField(allow_null=True),
                "broken_id": serializers.IntegerField(allow_null=True),
                "problem": serializers.CharField(),
            },
        )
    )
    @action(detail=False, methods=["get"])
    def verify(self, request: Request) -> Response:
        return Response(audit_verify().as_dict())
