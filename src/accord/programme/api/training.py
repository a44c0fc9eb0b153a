"""API of training courses, sessions and sponsorships."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.fields import choice_field, choice_list_field
from accord.core.roles import Perm
from accord.core.selectors import organisation_get, person_get
from accord.core.viewsets import ReadCreateViewSet, ReadWriteViewSet, principal_of, referenced, validated
from accord.partners.api import ReasonSerializer
from accord.programme import selectors, services
from accord.programme.choices import (
    CourseLevel,
    DeliveryMode,
    InKindItem,
    SponsorshipKind,
)
from accord.programme.filters import (
    CourseFilter,
    SponsorshipFilter,
    TrainingSessionFilter,
)
from accord.programme.models import (
    Course,
    Sponsorship,
    TrainingSession,
)

# --- Serializers ----------------------------------------------------------------------------------


class CourseSerializer(serializers.ModelSerializer[Course]):
    session_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "title",
            "topic",
            "level",
            "delivery_mode",
            "duration_days",
            "learning_outcomes",
            "pass_score",
            "is_active",
            "session_count",
            "created_at",
        ]
        read_only_fields = fields


class CourseWriteSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200)
    topic = serializers.CharField(max_length=120)
    level = choice_field(CourseLevel)
    delivery_mode = choice_field(DeliveryMode)
    duration_days = serializers.IntegerField()
    learning_outcomes = serializers.CharField(help_text="One outcome a line.")
    pass_score = serializers.IntegerField(required=False, default=70)
    is_active = serializers.BooleanField(required=False)


class SessionSerializer(serializers.ModelSerializer[TrainingSession]):
    course_code = serializers.CharField(source="course.code", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    place = serializers.CharField(read_only=True)
    seats_taken = serializers.IntegerField(read_only=True)
    waiting = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingSession
        fields: ClassVar[list[str]] = [
            "id",
            "course",
            "course_code",
            "course_title",
            "region",
            "online",
            "city",
            "country",
            "place",
            "start",
            "end",
            "capacity",
            "seats_taken",
            "waiting",
            "language",
            "trainer_experts",
            "trainer_staff",
            "cancelled",
            "created_at",
        ]
        read_only_fields = fields


class SessionWriteSerializer(serializers.Serializer[Any]):
    course = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    capacity = serializers.IntegerField()
    language = serializers.CharField(max_length=2)
    online = serializers.BooleanField(required=False, default=False)
    city = serializers.CharField(required=False, allow_blank=True, default="")
    country = serializers.CharField(required=False, allow_blank=True, default="")
    region = serializers.CharField(required=False, allow_blank=True, default="")
    trainer_experts = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    trainer_staff = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class SponsorshipSerializer(serializers.ModelSerializer[Sponsorship]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    in_kind_items = choice_list_field(InKindItem, read_only=True)

    class Meta:
        model = Sponsorship
        fields: ClassVar[list[str]] = [
            "id",
            "organisation",
            "organisation_name",
            "agreement",
            "agreement_reference",
            "session",
            "course",
            "kind",
            "amount",
            "in_kind_items",
            "estimated_value",
            "currency",
            "description",
            "created_at",
        ]
        read_only_fields = fields


class SponsorshipWriteSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    session = serializers.IntegerField(required=False, allow_null=True)
    course = serializers.IntegerField(required=False, allow_null=True)
    kind = choice_field(SponsorshipKind)
    amount = serializers.CharField(required=False, allow_null=True, help_text="Financial: a positive amount.")
    currency = serializers.CharField(required=False, allow_blank=True, default="", help_text="ISO 4217 code.")
    in_kind_items = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    estimated_value = serializers.CharField(required=False, allow_null=True, help_text="In kind: estimated value.")
    description = serializers.CharField(required=False, allow_blank=True, default="")


# --- Views ----------------------------------------------------------------------------------------


class CourseViewSet(ReadWriteViewSet):
    """The course catalogue: open to everyone signed in, kept by programme managers."""

    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    ordering_fields: ClassVar[list[str]] = ["code", "title", "level"]
    ordering = ["code"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.PROGRAMME_MANAGE,
        "partial_update": Perm.PROGRAMME_MANAGE,
        "update": Perm.PROGRAMME_MANAGE,
    }
    model = Course
    list_selector = staticmethod(selectors.course_list)
    get_selector = staticmethod(selectors.course_get)

    @extend_schema(request=CourseWriteSerializer, responses={201: CourseSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(CourseWriteSerializer, request.data)
        data.pop("is_active", None)
        course = services.course_create(actor=principal_of(request), **data)
        return Response(
            CourseSerializer(selectors.course_get(principal=principal_of(request), pk=course.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CourseWriteSerializer, responses=CourseSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(CourseWriteSerializer, request.data, partial=True)
        data = {name: value for name, value in data.items() if name in request.data and name != "code"}
        course = services.course_update(actor=principal_of(request), course=self.get_object(), **data)
        return Response(CourseSerializer(selectors.course_get(principal=principal_of(request), pk=course.pk)).data)

    @extend_schema(exclude=True)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


class TrainingSessionViewSet(ReadCreateViewSet):
    """Session planning: programme managers plan and cancel; everyone signed in reads."""

    serializer_class = SessionSerializer
    filterset_class = TrainingSessionFilter
    ordering_fields: ClassVar[list[str]] = ["start", "region"]
    ordering = ["-start"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.PROGRAMME_MANAGE, "cancel": Perm.PROGRAMME_MANAGE}
    model = TrainingSession
    list_selector = staticmethod(selectors.session_list)
    get_selector = staticmethod(selectors.session_get)

    @extend_schema(request=SessionWriteSerializer, responses={201: SessionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(SessionWriteSerializer, request.data)
        principal = principal_of(request)
        data["course"] = referenced("course", selectors.course_get, principal=principal, pk=data["course"])
        data["trainer_experts"] = [selectors.expert_get(principal=principal, pk=pk) for pk in data["trainer_experts"]]
        data["trainer_staff"] = [person_get(principal=principal, pk=pk) for pk in data["trainer_staff"]]
        session = services.session_create(actor=principal, **data)
        return Response(
            SessionSerializer(selectors.session_get(principal=principal, pk=session.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ReasonSerializer, responses=SessionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = validated(ReasonSerializer, request.data)
        services.session_cancel(actor=principal_of(request), session=self.get_object(), **data)
        return Response(SessionSerializer(self.get_object()).data)


class SponsorshipViewSet(ReadCreateViewSet):
    """Sponsorships of sessions and courses: recorded by programme managers; partners read theirs."""

    serializer_class = SponsorshipSerializer
    filterset_class = SponsorshipFilter
    ordering_fields: ClassVar[list[str]] = ["created_at", "amount", "estimated_value"]
    ordering = ["-created_at"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.PROGRAMME_MANAGE}
    model = Sponsorship
    list_selector = staticmethod(selectors.sponsorship_list)
    get_selector = staticmethod(selectors.sponsorship_get)

    @extend_schema(request=SponsorshipWriteSerializer, responses={201: SponsorshipSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(SponsorshipWriteSerializer, request.data)
        principal = principal_of(request)
        data["organisation"] = referenced(
            "organisation", organisation_get, principal=principal, pk=data["organisation"]
        )
        session, course = data.pop("session", None), data.pop("course", None)
        sponsorship = services.sponsorship_create(
            actor=principal,
            session=referenced("session", selectors.session_get, principal=principal, pk=session) if session else None,
            course=referenced("course", selectors.course_get, principal=principal, pk=course) if course else None,
            **data,
        )
        return Response(SponsorshipSerializer(sponsorship).data, status=status.HTTP_201_CREATED)
