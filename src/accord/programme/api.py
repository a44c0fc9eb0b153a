"""REST API of secondment and training: experts, requests and their candidate ranking,
placements, courses, sessions, sponsorships, officers, enrolments, certificates and reports.

Thin: services change state, selectors read; a rule broken comes back as a 400 naming it.
"""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core.api import SelectorViewSet, principal_of, validated
from accord.core.errors import NotFound
from accord.core.fields import choice_field, choice_list_field
from accord.core.roles import Perm
from accord.core.selectors import organisation_get, person_get
from accord.partners.api import ReasonSerializer
from accord.programme import selectors, services
from accord.programme.certificates import certificate_response
from accord.programme.choices import (
    SECONDMENT_TRANSITIONS,
    ClearanceLevel,
    CourseLevel,
    DeliveryMode,
    InKindItem,
    Proficiency,
    RequestStatus,
    SecondmentPurpose,
    SecondmentStatus,
    SponsorshipKind,
)
from accord.programme.filters import (
    CourseFilter,
    EnrolmentFilter,
    ExpertFilter,
    OfficerFilter,
    SecondmentFilter,
    SecondmentRequestFilter,
    SponsorshipFilter,
    TrainingSessionFilter,
)
from accord.programme.models import (
    Certificate,
    Course,
    Enrolment,
    Expert,
    Officer,
    Secondment,
    SecondmentRequest,
    Skill,
    Sponsorship,
    TrainingSession,
)

__all__ = [
    "CertificateViewSet",
    "csv_response",
    "report_csv",
    "CourseViewSet",
    "EnrolmentViewSet",
    "ExpertViewSet",
    "OfficerViewSet",
    "ReportView",
    "SecondmentRequestViewSet",
    "SecondmentViewSet",
    "SkillViewSet",
    "SponsorshipViewSet",
    "TrainingSessionViewSet",
]


def csv_response(name: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> HttpResponse:
    """A report as a CSV download named after it."""
    response = HttpResponse(report_csv(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def report_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """A report's rows as CSV with a header line (shared by the API, the UI and the CLI)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


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


class OfficerSerializer(serializers.ModelSerializer[Officer]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Officer
        fields: ClassVar[list[str]] = [
            "id",
            "organisation",
            "organisation_name",
            "full_name",
            "email",
            "rank",
            "unit",
            "country",
            "region",
            "created_at",
        ]
        read_only_fields = fields


class OfficerWriteSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField(required=False, help_text="Default: your own organisation.")
    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    rank = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    unit = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class EnrolmentSerializer(serializers.ModelSerializer[Enrolment]):
    officer_name = serializers.CharField(source="officer.full_name", read_only=True)
    organisation = serializers.IntegerField(source="officer.organisation_id", read_only=True)
    certificate = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields: ClassVar[list[str]] = [
            "id",
            "session",
            "officer",
            "officer_name",
            "organisation",
            "status",
            "assessment_score",
            "certificate",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_certificate(self, enrolment: Enrolment) -> str | None:
        certificate = getattr(enrolment, "certificate", None)
        return certificate.code if certificate is not None else None


class NominateSerializer(serializers.Serializer[Any]):
    session = serializers.IntegerField()
    officer = serializers.IntegerField()
    waitlist = serializers.BooleanField(required=False, default=False, help_text="Join the waiting list if full.")


class AttendanceSerializer(serializers.Serializer[Any]):
    attended = serializers.BooleanField()
    score = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="0–100.")


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    officer_name = serializers.CharField(source="enrolment.officer.full_name", read_only=True)
    course = serializers.CharField(source="enrolment.session.course.code", read_only=True)
    valid = serializers.BooleanField(source="is_valid", read_only=True)

    class Meta:
        model = Certificate
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "enrolment",
            "officer_name",
            "course",
            "issued_on",
            "valid",
            "revoked_at",
            "revoked_reason",
        ]
        read_only_fields = fields


# --- Views ----------------------------------------------------------------------------------------


def _own_or_given(request: Request, organisation_id: int | None) -> Any:
    """The organisation named in the input (as far as the principal sees it), else their own."""
    principal = principal_of(request)
    if organisation_id is None:
        return principal.organisation
    return organisation_get(principal=principal, pk=organisation_id)


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


class ExpertViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, SelectorViewSet
):
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
        person = person_get(principal=principal_of(request), pk=person_id) if person_id else None
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


class SecondmentRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet
):
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
        ranked = selectors.request_candidates(principal=principal_of(request), request=self.get_object(), limit=limit)
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
        services.request_set_status(actor=principal_of(request), request=self.get_object(), **data)
        return Response(RequestSerializer(self.get_object()).data)


class SecondmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
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
            request=selectors.request_get(principal=principal, pk=data.pop("request")),
            expert=selectors.expert_get(principal=principal, pk=data.pop("expert")),
            **data,
        )
        return Response(SecondmentSerializer(secondment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SecondmentTransitionSerializer, responses=SecondmentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(SecondmentTransitionSerializer, request.data)
        secondment = services.secondment_transition(actor=principal_of(request), secondment=self.get_object(), **data)
        return Response(SecondmentSerializer(secondment).data)


class CourseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, SelectorViewSet
):
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


class TrainingSessionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet
):
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
        data["course"] = selectors.course_get(principal=principal, pk=data["course"])
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


class SponsorshipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
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
        data["organisation"] = organisation_get(principal=principal, pk=data["organisation"])
        session, course = data.pop("session", None), data.pop("course", None)
        sponsorship = services.sponsorship_create(
            actor=principal,
            session=selectors.session_get(principal=principal, pk=session) if session else None,
            course=selectors.course_get(principal=principal, pk=course) if course else None,
            **data,
        )
        return Response(SponsorshipSerializer(sponsorship).data, status=status.HTTP_201_CREATED)


class OfficerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Member countries' officers who may be nominated: each unit manages its own."""

    serializer_class = OfficerSerializer
    filterset_class = OfficerFilter
    ordering_fields: ClassVar[list[str]] = ["full_name", "created_at"]
    ordering = ["full_name"]
    model = Officer
    list_selector = staticmethod(selectors.officer_list)
    get_selector = staticmethod(selectors.officer_get)

    @extend_schema(request=OfficerWriteSerializer, responses={201: OfficerSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(OfficerWriteSerializer, request.data)
        organisation = _own_or_given(request, data.pop("organisation", None))
        officer = services.officer_create(actor=principal_of(request), organisation=organisation, **data)
        return Response(OfficerSerializer(officer).data, status=status.HTTP_201_CREATED)


class EnrolmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Enrolments: units nominate (or join the waiting list), programme managers confirm,
    record attendance and scores, and complete (which issues the certificate)."""

    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    ordering_fields: ClassVar[list[str]] = ["created_at", "status"]
    ordering = ["created_at"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "confirm": Perm.PROGRAMME_MANAGE,
        "attendance": Perm.PROGRAMME_MANAGE,
        "complete": Perm.PROGRAMME_MANAGE,
    }
    model = Enrolment
    list_selector = staticmethod(selectors.enrolment_list)
    get_selector = staticmethod(selectors.enrolment_get)

    def _answer(self, request: Request, enrolment: Enrolment, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.enrolment_get(principal=principal_of(request), pk=enrolment.pk)
        return Response(EnrolmentSerializer(fresh).data, status=code)

    @extend_schema(request=NominateSerializer, responses={201: EnrolmentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(NominateSerializer, request.data)
        principal = principal_of(request)
        enrolment = services.enrolment_nominate(
            actor=principal,
            session=selectors.session_get(principal=principal, pk=data["session"]),
            officer=selectors.officer_get(principal=principal, pk=data["officer"]),
            waitlist=data["waitlist"],
        )
        return self._answer(request, enrolment, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        return self._answer(
            request, services.enrolment_confirm(actor=principal_of(request), enrolment=self.get_object())
        )

    @extend_schema(request=ReasonSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = validated(ReasonSerializer, request.data)
        return self._answer(
            request, services.enrolment_withdraw(actor=principal_of(request), enrolment=self.get_object(), **data)
        )

    @extend_schema(request=AttendanceSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        data = validated(AttendanceSerializer, request.data)
        return self._answer(
            request,
            services.enrolment_record_attendance(actor=principal_of(request), enrolment=self.get_object(), **data),
        )

    @extend_schema(request=None, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        certificate = services.enrolment_complete(actor=principal_of(request), enrolment=self.get_object())
        return self._answer(request, certificate.enrolment)


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SelectorViewSet):
    """Certificates of completion: listed for the programme and the officer's unit, downloadable
    as PDF; programme managers may revoke one issued in error."""

    serializer_class = CertificateSerializer
    ordering_fields: ClassVar[list[str]] = ["issued_on", "code"]
    ordering = ["-issued_on"]
    action_perms: ClassVar[dict[str, Perm]] = {"revoke": Perm.PROGRAMME_MANAGE}
    model = Certificate
    list_selector = staticmethod(selectors.certificate_list)
    get_selector = staticmethod(selectors.certificate_get)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> HttpResponse:
        certificate = self.get_object()
        return certificate_response(certificate)

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        data = validated(ReasonSerializer, request.data)
        services.certificate_revoke(actor=principal_of(request), certificate=self.get_object(), **data)
        return Response(CertificateSerializer(self.get_object()).data)


class ReportView(APIView):
    """A programme report as JSON rows, or CSV (``?format=csv`` or ``Accept: text/csv``);
    programme staff only. Names: ``officers-trained``, ``sessions``, ``sponsorships``,
    ``secondment-months``."""

    action_perms: ClassVar[dict[str, Perm]] = {"get": Perm.ORGANISATION_VIEW_ALL}

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="Only this year."),
            OpenApiParameter("format", str, enum=["json", "csv"], description="csv: a CSV download."),
        ],
        responses={(200, "application/json"): dict[str, Any], (200, "text/csv"): str},
    )
    def get(self, request: Request, name: str) -> Response | HttpResponse:
        report = selectors.REPORTS.get(name)
        if report is None:
            raise NotFound(f"No report called '{name}'; reports: {', '.join(selectors.REPORTS)}.")
        year_text = request.query_params.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        rows = selectors.REPORT_SELECTORS[name](principal=principal_of(request), year=year)
        if request.query_params.get("format") == "csv" or "text/csv" in request.headers.get("Accept", ""):
            return csv_response(name, report.columns, rows)
        return Response({"report": name, "title": report.title, "year": year, "columns": report.columns, "rows": rows})
