"""API of skills, experts, secondment requests and their candidate ranking."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.fields import choice_field
from accord.core.roles import Perm
from accord.core.viewsets import (
    ReadCreateViewSet,
    ReadWriteViewSet,
    SelectorViewSet,
    principal_of,
    validated,
    visible_person,
)
from accord.programme import selectors, services
from accord.programme.api._common import (
    _own_or_given,
)
from accord.programme.choices import (
    ClearanceLevel,
    Proficiency,
    RequestStatus,
    SecondmentPurpose,
)
from accord.programme.filters import (
    ExpertFilter,
    SecondmentRequestFilter,
)
from accord.programme.models import (
    Expert,
    SecondmentRequest,
    Skill,
)

# --- Serializers ----------------------------------------------------------------------------------


class LanguageSerializer(serializers.Serializer[Any]):
    language = serializers.CharField(max_length=2, help_text="ISO 639-1 code, e.g. en, fr, ar.")
    proficiency = choice_field(Proficiency, help_text="CEFR level A1–C2.")


class WindowSerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()


class SkillSerializer(serializers.ModelSerializer[Skill]):
    class Meta:
        model = Skill
        fields: ClassVar[list[str]] = ["code", "label", "description"]
        read_only_fields = fields


class SkillWriteSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40, help_text="Short code, e.g. cloud_forensics.")
    label = serializers.CharField(max_length=80)  # type: ignore[assignment]  # a field, popped by the metaclass
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ExpertSerializer(serializers.ModelSerializer[Expert]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    skills = serializers.DictField(child=serializers.IntegerField(), help_text="Skill code → level 1–5.")
    languages = LanguageSerializer(many=True)
    availability = WindowSerializer(many=True)

    class Meta:
        model = Expert
        fields: ClassVar[list[str]] = [
            "id",
            "organisation",
            "organisation_name",
            "person",
            "full_name",
            "email",
            "job_title",
            "skills",
            "languages",
            "clearance_level",
            "clearance_expires",
            "availability",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ExpertWriteSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField(required=False, help_text="Default: your own organisation.")
    person = serializers.IntegerField(required=False, allow_null=True)
    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    job_title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    skills = serializers.DictField(child=serializers.JSONField(), help_text="Skill code → level 1–5.")
    languages = serializers.ListField(child=serializers.JSONField(), required=False, default=list)
    clearance_level = choice_field(ClearanceLevel, required=False, default=ClearanceLevel.NONE)
    clearance_expires = serializers.DateField(required=False, allow_null=True, default=None)
    availability = serializers.ListField(child=serializers.JSONField(), required=False, default=list)
    is_active = serializers.BooleanField(required=False)


class RequestSerializer(serializers.ModelSerializer[SecondmentRequest]):
    required_skills = serializers.DictField(child=serializers.IntegerField(), help_text="Skill code → minimum level.")
    languages = LanguageSerializer(many=True)
    placements = serializers.IntegerField(read_only=True, help_text="Proposed, approved or active placements.")

    class Meta:
        model = SecondmentRequest
        fields: ClassVar[list[str]] = [
            "id",
            "reference",
            "title",
            "unit",
            "project",
            "purpose",
            "location_city",
            "location_country",
            "start",
            "end",
            "required_skills",
            "languages",
            "clearance",
            "description",
            "status",
            "placements",
            "created_at",
        ]
        read_only_fields = fields


class RequestWriteSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    unit = serializers.CharField(max_length=120)
    project = serializers.CharField(max_length=200)
    purpose = choice_field(SecondmentPurpose)
    location_city = serializers.CharField(max_length=120)
    location_country = serializers.CharField(max_length=2)
    start = serializers.DateField()
    end = serializers.DateField()
    required_skills = serializers.DictField(child=serializers.JSONField())
    languages = serializers.ListField(child=serializers.JSONField(), required=False, default=list)
    clearance = choice_field(ClearanceLevel, required=False, default=ClearanceLevel.NONE)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class RequestStatusSerializer(serializers.Serializer[Any]):
    status = choice_field(RequestStatus)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CandidateExpertSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")


class CandidateSerializer(serializers.Serializer[Any]):
    """One ranked expert: the score out of 100, its parts (``points`` of ``max`` each, with the
    facts behind them), the blockers that would refuse a placement, and a one-line explanation."""

    rank = serializers.IntegerField()
    expert = CandidateExpertSerializer()
    score = serializers.FloatField()
    eligible = serializers.BooleanField()
    blockers = serializers.ListField(child=serializers.CharField())
    components = serializers.DictField(child=serializers.DictField())
    explanation = serializers.CharField()


# --- Views ----------------------------------------------------------------------------------------


class SkillViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """The managed skills vocabulary: everyone reads it, programme managers add to it."""

    serializer_class = SkillSerializer
    pagination_class = None
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.PROGRAMME_MANAGE}
    model = Skill
    list_selector = staticmethod(selectors.skill_list)

    @extend_schema(request=SkillWriteSerializer, responses={201: SkillSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(SkillWriteSerializer, request.data)
        skill = services.skill_create(actor=principal_of(request), **data)
        return Response(SkillSerializer(skill).data, status=status.HTTP_201_CREATED)


class ExpertViewSet(ReadWriteViewSet):
    """Expert profiles: partners manage their own, programme managers see and manage all."""

    serializer_class = ExpertSerializer
    filterset_class = ExpertFilter
    ordering_fields: ClassVar[list[str]] = ["full_name", "created_at", "clearance_expires"]
    ordering = ["full_name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = Expert
    list_selector = staticmethod(selectors.expert_list)
    get_selector = staticmethod(selectors.expert_get)

    @extend_schema(request=ExpertWriteSerializer, responses={201: ExpertSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ExpertWriteSerializer, request.data)
        data.pop("is_active", None)
        organisation = _own_or_given(request, data.pop("organisation", None))
        person_id = data.pop("person", None)
        person = visible_person(request, person_id, "person") if person_id else None
        expert = services.expert_create(actor=principal_of(request), organisation=organisation, person=person, **data)
        return Response(ExpertSerializer(expert).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExpertWriteSerializer, responses=ExpertSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ExpertWriteSerializer, request.data, partial=True)
        data = {name: value for name, value in data.items() if name in request.data}
        data.pop("organisation", None)
        data.pop("person", None)
        expert = services.expert_update(actor=principal_of(request), expert=self.get_object(), **data)
        return Response(ExpertSerializer(expert).data)

    @extend_schema(exclude=True)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


class SecondmentRequestViewSet(ReadCreateViewSet):
    """Secondment requests raised by the programme, and the ranking of candidate experts."""

    serializer_class = RequestSerializer
    filterset_class = SecondmentRequestFilter
    ordering_fields: ClassVar[list[str]] = ["start", "reference", "created_at"]
    ordering = ["-start"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.PROGRAMME_MANAGE,
        "candidates": Perm.PROGRAMME_MANAGE,
        "status": Perm.PROGRAMME_MANAGE,
    }
    model = SecondmentRequest
    list_selector = staticmethod(selectors.request_list)
    get_selector = staticmethod(selectors.request_get)

    @extend_schema(request=RequestWriteSerializer, responses={201: RequestSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(RequestWriteSerializer, request.data)
        created = services.request_create(actor=principal_of(request), **data)
        body = RequestSerializer(selectors.request_get(principal=principal_of(request), pk=created.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=CandidateSerializer(many=True),
        parameters=[OpenApiParameter("limit", int, description="How many candidates (default 20, at most 200).")],
    )
    @action(detail=True, methods=["get"])
    def candidates(self, request: Request, pk: str) -> Response:
        try:
            limit = int(request.query_params.get("limit", 20))
        except ValueError:
            limit = 20
        ranked = selectors.request_candidates(
            principal=principal_of(request), secondment_request=self.get_object(), limit=limit
        )
        rows = [
            {
                "rank": n,
                "expert": c.expert,
                "score": c.score,
                "eligible": c.eligible,
                "blockers": c.blockers,
                "components": c.components,
                "explanation": c.explanation,
            }
            for n, c in enumerate(ranked, start=1)
        ]
        return Response(CandidateSerializer(rows, many=True).data)

    @extend_schema(request=RequestStatusSerializer, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str) -> Response:
        data = validated(RequestStatusSerializer, request.data)
        services.request_set_status(actor=principal_of(request), secondment_request=self.get_object(), **data)
        return Response(RequestSerializer(self.get_object()).data)
