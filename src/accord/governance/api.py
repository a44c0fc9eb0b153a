"""REST API of governance and operations, under ``/api/v1/governance/``. Thin: services change
state, selectors read, one filter per list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import mixins, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.analysis.models import Campaign
from accord.core.api import SelectorViewSet, principal_of, validated
from accord.core.choices import Region, Tlp
from accord.core.errors import NotFound
from accord.core.fields import choice_field, choice_list_field
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.core.selectors import organisation_get, person_get
from accord.governance import selectors, services
from accord.governance.choices import (
    OUTCOME_COUNTS,
    RECOMMENDATION_TRANSITIONS,
    AttendanceStatus,
    CrimeType,
    MembershipRole,
    OperationStatus,
    PaperStatus,
    PracticeTopic,
    RecommendationArea,
    RecommendationStatus,
    SessionKind,
    SpeakerSector,
)
from accord.governance.filters import (
    EditionFilter,
    GroupFilter,
    MeetingFilter,
    MembershipFilter,
    OperationFilter,
    PaperFilter,
    PracticeFilter,
    RecommendationFilter,
    RegistrationFilter,
    SessionFilter,
)
from accord.governance.markup import render_markdown
from accord.governance.models import (
    ActionItem,
    Attendance,
    ConferenceEdition,
    ConferenceHosting,
    ConferenceSession,
    GoodPractice,
    Group,
    Meeting,
    MeetingDocument,
    Membership,
    Operation,
    OperationOutcome,
    OperationPhase,
    Paper,
    Recommendation,
    RecommendationNote,
    Registration,
    SessionSpeaker,
)
from accord.sharing.models import StixObject

__all__ = [
    "EditionViewSet",
    "GroupViewSet",
    "HostingView",
    "MeetingViewSet",
    "MembershipViewSet",
    "OperationViewSet",
    "PaperViewSet",
    "PracticeViewSet",
    "RecommendationViewSet",
    "RegistrationViewSet",
    "SessionViewSet",
]

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


class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SelectorViewSet):
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


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Seats in the groups: programme managers add them and end their terms."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering = ["group", "role", "person__last_name"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": MANAGE, "end": MANAGE}
    model = Membership
    list_selector = staticmethod(selectors.membership_list)

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(MembershipCreateSerializer, request.data)
        principal = principal_of(request)
        data["group"] = selectors.group_get(principal=principal, pk=data["group"])
        data["person"] = _person(request, data["person"], "person")
        membership = services.membership_add(actor=principal, **data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TermEndSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        data = validated(TermEndSerializer, request.data)
        membership = services.membership_end(actor=principal_of(request), membership=self.get_object(), **data)
        return Response(MembershipSerializer(membership).data)


# --- Meetings -------------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer[Attendance]):
    person_name = serializers.CharField(source="person.get_full_name", read_only=True)

    class Meta:
        model = Attendance
        fields: ClassVar[list[str]] = ["person", "person_name", "status"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer[MeetingDocument]):
    class Meta:
        model = MeetingDocument
        fields: ClassVar[list[str]] = ["id", "title", "sha256", "size", "uploaded_at"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer[Meeting]):
    groups = IdsField()

    class Meta:
        model = Meeting
        fields: ClassVar[list[str]] = [
            "id",
            "title",
            "groups",
            "starts_at",
            "ends_at",
            "city",
            "country",
            "themes",
            "agenda",
            "invitations_sent_at",
            "status",
            "cancel_reason",
            "cancelled_at",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    minutes_html = serializers.SerializerMethodField()
    guests = IdsField()
    attendance = AttendanceSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    recommendations = IdsField()

    class Meta(MeetingSerializer.Meta):
        fields: ClassVar[list[str]] = [
            *MeetingSerializer.Meta.fields,
            "minutes",
            "minutes_html",
            "guests",
            "attendance",
            "documents",
            "recommendations",
        ]
        read_only_fields = fields

    def get_minutes_html(self, meeting: Meeting) -> str:
        return str(render_markdown(meeting.minutes))


class MeetingCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    groups = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2)
    themes = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    agenda = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    guests = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class MeetingUpdateSerializer(serializers.Serializer[Any]):
    """What a PATCH may change; fields left out stay as they are."""

    title = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    city = serializers.CharField(max_length=100, required=False)
    country = serializers.CharField(max_length=2, required=False)
    themes = serializers.ListField(child=serializers.CharField(), required=False)
    agenda = serializers.ListField(child=serializers.CharField(), required=False)


class MeetingCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True)


class CancelledSerializer(serializers.Serializer[Any]):
    told = serializers.IntegerField()


class MinutesSerializer(serializers.Serializer[Any]):
    minutes = serializers.CharField(allow_blank=True)


class AttendanceCreateSerializer(serializers.Serializer[Any]):
    person = serializers.IntegerField()
    status = choice_field(AttendanceStatus)


class DocumentUploadSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    file = serializers.FileField()


class InvitedSerializer(serializers.Serializer[Any]):
    invited = serializers.IntegerField()


class MeetingViewSet(DetailViewSet):
    """Meetings of one group or joint meetings: minutes, attendance, documents, invitations."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields: ClassVar[list[str]] = ["starts_at", "title"]
    ordering = ["-starts_at"]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: MANAGE for name in ("create", "partial_update", "cancel", "minutes", "attendance", "documents", "invite")
    }
    model = Meeting
    list_selector = staticmethod(selectors.meeting_list)
    get_selector = staticmethod(selectors.meeting_get)
    detail_serializer = MeetingDetailSerializer

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(MeetingCreateSerializer, request.data)
        principal = principal_of(request)
        data["groups"] = [selectors.group_get(principal=principal, pk=g) for g in data["groups"]]
        data["guests"] = [_person(request, g, "guests") for g in data["guests"]]
        meeting = services.meeting_schedule(actor=principal, **data)
        return self._detail(request, meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the title, dates, place, themes or agenda of a scheduled meeting."""
        data = validated(MeetingUpdateSerializer, request.data)
        services.meeting_update(actor=principal_of(request), meeting=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(request=MeetingCancelSerializer, responses=CancelledSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel the meeting with a reason; invitees get an iCalendar CANCEL."""
        data = validated(MeetingCancelSerializer, request.data)
        told = services.meeting_cancel(actor=principal_of(request), meeting=self.get_object(), **data)
        return Response({"told": told})

    @extend_schema(request=MinutesSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def minutes(self, request: Request, pk: str) -> Response:
        data = validated(MinutesSerializer, request.data)
        services.meeting_set_minutes(actor=principal_of(request), meeting=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(request=AttendanceCreateSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        data = validated(AttendanceCreateSerializer, request.data)
        person = _person(request, data["person"], "person")
        services.attendance_record(
            actor=principal_of(request), meeting=self.get_object(), person=person, status=data["status"]
        )
        return self._detail(request, pk)

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer})
    @action(detail=True, methods=["post"])
    def documents(self, request: Request, pk: str) -> Response:
        data = validated(DocumentUploadSerializer, request.data)
        upload = data["file"]
        document = services.meeting_attach_document(
            actor=principal_of(request),
            meeting=self.get_object(),
            title=data["title"],
            stream=upload,
            filename=upload.name,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_id>\d+)")
    def document(self, request: Request, pk: str, document_id: str) -> FileResponse:
        """Download one of the meeting's documents."""
        found = self.get_object().documents.filter(pk=document_id).first()
        if found is None:
            raise NotFound(f"No document {document_id} in this meeting.")
        return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.file.name.rsplit("/", 1)[-1])

    @extend_schema(request=None, responses=InvitedSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str) -> Response:
        """E-mail the invitation, with an iCalendar attachment, to members and guests."""
        count = services.meeting_invite(actor=principal_of(request), meeting=self.get_object())
        return Response({"invited": count})


# --- Recommendations ------------------------------------------------------------------------------


class NoteSerializer(serializers.ModelSerializer[RecommendationNote]):
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = RecommendationNote
        fields: ClassVar[list[str]] = ["id", "author", "status", "body", "created_at"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer[ActionItem]):
    class Meta:
        model = ActionItem
        fields: ClassVar[list[str]] = ["id", "description", "owner", "due_date", "done_at"]
        read_only_fields = fields


class RecommendationSerializer(serializers.ModelSerializer[Recommendation]):
    overdue = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields: ClassVar[list[str]] = [
            "id",
            "meeting",
            "group",
            "title",
            "text",
            "area",
            "owner",
            "due_date",
            "status",
            "allowed_transitions",
            "overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, recommendation: Recommendation) -> list[str]:
        return list(RECOMMENDATION_TRANSITIONS[recommendation.status])


class RecommendationDetailSerializer(RecommendationSerializer):
    notes = NoteSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta(RecommendationSerializer.Meta):
        fields: ClassVar[list[str]] = [*RecommendationSerializer.Meta.fields, "notes", "action_items"]
        read_only_fields = fields


class RecommendationCreateSerializer(serializers.Serializer[Any]):
    meeting = serializers.IntegerField()
    group = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    area = choice_field(RecommendationArea)
    owner = serializers.IntegerField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class RecommendationTransitionSerializer(serializers.Serializer[Any]):
    to = choice_field(RecommendationStatus)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteCreateSerializer(serializers.Serializer[Any]):
    body = serializers.CharField()


class ActionItemCreateSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=300)
    owner = serializers.IntegerField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class ActionItemDoneSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField()


class RecommendationViewSet(DetailViewSet):
    """Recommendations and their follow-up: status moves, progress notes, action items."""

    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    ordering_fields: ClassVar[list[str]] = ["due_date", "status", "created_at"]
    ordering = ["due_date", "pk"]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: MANAGE for name in ("create", "transition", "notes", "action_items", "complete_action")
    }
    model = Recommendation
    list_selector = staticmethod(selectors.recommendation_list)
    get_selector = staticmethod(selectors.recommendation_get)
    detail_serializer = RecommendationDetailSerializer

    @extend_schema(request=RecommendationCreateSerializer, responses={201: RecommendationDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(RecommendationCreateSerializer, request.data)
        principal = principal_of(request)
        data["meeting"] = selectors.meeting_get(principal=principal, pk=data["meeting"])
        data["group"] = selectors.group_get(principal=principal, pk=data["group"])
        data["owner"] = _person(request, data["owner"], "owner") if data.get("owner") else None
        recommendation = services.recommendation_create(actor=principal, **data)
        return self._detail(request, recommendation.pk, status.HTTP_201_CREATED)

    @extend_schema(request=RecommendationTransitionSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(RecommendationTransitionSerializer, request.data)
        services.recommendation_transition(actor=principal_of(request), recommendation=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(request=NoteCreateSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        data = validated(NoteCreateSerializer, request.data)
        services.recommendation_note(actor=principal_of(request), recommendation=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(request=ActionItemCreateSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="action-items")
    def action_items(self, request: Request, pk: str) -> Response:
        data = validated(ActionItemCreateSerializer, request.data)
        data["owner"] = _person(request, data["owner"], "owner") if data.get("owner") else None
        services.action_item_add(actor=principal_of(request), recommendation=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(request=ActionItemDoneSerializer, responses=RecommendationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="complete-action")
    def complete_action(self, request: Request, pk: str) -> Response:
        data = validated(ActionItemDoneSerializer, request.data)
        item = get_object_or_404(ActionItem, pk=data["item"], recommendation=self.get_object())
        services.action_item_complete(actor=principal_of(request), item=item)
        return self._detail(request, pk)

    @extend_schema(
        parameters=[OpenApiParameter("region", str, enum=Region.values, required=True)],
        responses=FollowupSerializer,
    )
    @action(detail=False, methods=["get"])
    def followup(self, request: Request) -> Response:
        """The follow-up of one region's working group: counts per status and the overdue ones."""
        region = request.query_params.get("region", "")
        if region not in Region.values:
            raise serializers.ValidationError({"region": [f"One of: {', '.join(Region.values)}."]})
        data = selectors.recommendation_followup(principal=principal_of(request), region=region)
        return Response(FollowupSerializer(data).data)


# --- Good practices -------------------------------------------------------------------------------


class PracticeSerializer(serializers.ModelSerializer[GoodPractice]):
    author = serializers.CharField(source="author.username", default=None, read_only=True)
    body_html = serializers.SerializerMethodField()
    has_document = serializers.SerializerMethodField()

    class Meta:
        model = GoodPractice
        fields: ClassVar[list[str]] = [
            "id",
            "group",
            "title",
            "topic",
            "body",
            "body_html",
            "tags",
            "tlp",
            "has_document",
            "document_sha256",
            "author",
            "created_at",
        ]
        read_only_fields = fields

    def get_body_html(self, practice: GoodPractice) -> str:
        return str(render_markdown(practice.body))

    def get_has_document(self, practice: GoodPractice) -> bool:
        return bool(practice.document)


class PracticeCreateSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    topic = choice_field(PracticeTopic)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    tlp = choice_field(Tlp, required=False, default=Tlp.AMBER)
    document = serializers.FileField(required=False)


class PracticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """The good-practices library: members share, members read (TLP:CLEAR entries: everyone)."""

    serializer_class = PracticeSerializer
    filterset_class = PracticeFilter
    ordering = ["-created_at"]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]
    model = GoodPractice
    list_selector = staticmethod(selectors.practice_list)
    get_selector = staticmethod(selectors.practice_get)

    @extend_schema(request=PracticeCreateSerializer, responses={201: PracticeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(PracticeCreateSerializer, request.data)
        principal = principal_of(request)
        group = selectors.group_get(principal=principal, pk=data.pop("group"))
        upload = data.pop("document", None)
        practice = services.practice_create(
            actor=principal, group=group, stream=upload, filename=upload.name if upload else "", **data
        )
        return Response(PracticeSerializer(practice).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk: str) -> FileResponse:
        """Download the entry's document (members of its group, as for the entry)."""
        practice = self.get_object()
        if not practice.document:
            raise NotFound("This entry has no document.")
        return FileResponse(
            practice.document.open("rb"), as_attachment=True, filename=practice.document.name.rsplit("/", 1)[-1]
        )


# --- Operations -----------------------------------------------------------------------------------


class PhaseSerializer(serializers.ModelSerializer[OperationPhase]):
    class Meta:
        model = OperationPhase
        fields: ClassVar[list[str]] = ["id", "name", "start_date", "end_date", "description"]
        read_only_fields = fields


class OperationSerializer(serializers.ModelSerializer[Operation]):
    participants = IdsField()
    taxii_collection = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "codename",
            "description",
            "crime_types",
            "lead",
            "participants",
            "start_date",
            "end_date",
            "status",
            "closing_summary",
            "taxii_collection",
            "created_at",
        ]
        read_only_fields = fields

    def get_taxii_collection(self, operation: Operation) -> str | None:
        return str(operation.collection_id) if operation.collection_id else None


class OperationDetailSerializer(OperationSerializer):
    phases = PhaseSerializer(many=True, read_only=True)

    class Meta(OperationSerializer.Meta):
        fields: ClassVar[list[str]] = [*OperationSerializer.Meta.fields, "phases"]
        read_only_fields = fields


class OperationCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    codename = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="Short name (slug); made from the name when empty.",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    crime_types = choice_list_field(CrimeType, allow_empty=False)
    lead = serializers.IntegerField()
    participants = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)


class ParticipantsSerializer(serializers.Serializer[Any]):
    participants = serializers.ListField(child=serializers.IntegerField())


class OperationTransitionSerializer(serializers.Serializer[Any]):
    to = choice_field(OperationStatus)
    closing_summary = serializers.CharField(required=False, allow_blank=True, default="")


class PhaseCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    description = serializers.CharField(required=False, allow_blank=True, default="")


class LinkSerializer(serializers.Serializer[Any]):
    stix_id = serializers.CharField(max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class LinkedObjectSerializer(serializers.ModelSerializer[StixObject]):
    """A linked object as the reader may see it (no body: read it through TAXII or sharing)."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = StixObject
        fields: ClassVar[list[str]] = [
            "stix_id",
            "type",
            "modified",
            "tlp",
            "data_category",
            "crime_type",
            "organisation",
            "organisation_name",
        ]
        read_only_fields = fields


class CampaignLinkSerializer(serializers.Serializer[Any]):
    campaign = serializers.IntegerField(help_text="The id of an analysis campaign you may see.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class LinkedCampaignSerializer(serializers.ModelSerializer[Campaign]):
    """A linked campaign as the reader may see it: its name and how much of it the reader sees
    (its members are in ``…/objects/``, as far as the policy allows)."""

    objects_seen = serializers.IntegerField(source="seen_objects", read_only=True)
    organisations_seen = serializers.IntegerField(source="seen_organisations", read_only=True)
    first_seen = serializers.DateTimeField(source="seen_first", read_only=True, allow_null=True)
    last_seen = serializers.DateTimeField(source="seen_last", read_only=True, allow_null=True)
    crime_types = serializers.ListField(child=serializers.CharField(), source="seen_crime_types", read_only=True)

    class Meta:
        model = Campaign
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "description",
            "first_seen",
            "last_seen",
            "objects_seen",
            "organisations_seen",
            "crime_types",
        ]
        read_only_fields = fields


class OutcomeSerializer(serializers.ModelSerializer[OperationOutcome]):
    class Meta:
        model = OperationOutcome
        fields: ClassVar[list[str]] = [
            "id",
            "date",
            "country",
            *OUTCOME_COUNTS,
            "funds_frozen",
            "funds_recovered",
            "currency",
            "note",
            "recorded_at",
        ]
        read_only_fields = fields


class OutcomeCreateSerializer(serializers.Serializer[Any]):
    """Figures are validated by the service, so a negative one is refused naming the rule."""

    date = serializers.DateField()
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    arrests = serializers.IntegerField(required=False, default=0)
    searches = serializers.IntegerField(required=False, default=0)
    servers_taken_down = serializers.IntegerField(required=False, default=0)
    domains_taken_down = serializers.IntegerField(required=False, default=0)
    accounts_blocked = serializers.IntegerField(required=False, default=0)
    victims_identified = serializers.IntegerField(required=False, default=0)
    victims_notified = serializers.IntegerField(required=False, default=0)
    devices_remediated = serializers.IntegerField(required=False, default=0)
    funds_frozen = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, default=Decimal(0))
    funds_recovered = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, default=Decimal(0))
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FundsSerializer(serializers.Serializer[Any]):
    frozen = serializers.DecimalField(max_digits=18, decimal_places=2)
    recovered = serializers.DecimalField(max_digits=18, decimal_places=2)


class TotalsSerializer(serializers.Serializer[Any]):
    outcomes = serializers.IntegerField()
    arrests = serializers.IntegerField()
    searches = serializers.IntegerField()
    servers_taken_down = serializers.IntegerField()
    domains_taken_down = serializers.IntegerField()
    accounts_blocked = serializers.IntegerField()
    victims_identified = serializers.IntegerField()
    victims_notified = serializers.IntegerField()
    devices_remediated = serializers.IntegerField()
    funds = serializers.DictField(child=FundsSerializer())


class OperationViewSet(DetailViewSet):
    """Joint operations: participants, phases, linked intelligence (through the policy),
    outcomes and their totals."""

    serializer_class = OperationSerializer
    filterset_class = OperationFilter
    ordering_fields: ClassVar[list[str]] = ["start_date", "name", "status"]
    ordering = ["-start_date", "name"]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: MANAGE for name in ("create", "participants", "transition", "phases", "outcomes.post")
    }
    model = Operation
    list_selector = staticmethod(selectors.operation_list)
    get_selector = staticmethod(selectors.operation_get)
    detail_serializer = OperationDetailSerializer

    @extend_schema(request=OperationCreateSerializer, responses={201: OperationDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(OperationCreateSerializer, request.data)
        data["lead"] = _organisation(request, data["lead"], "lead")
        data["participants"] = [_organisation(request, o, "participants") for o in data["participants"]]
        operation = services.operation_create(actor=principal_of(request), **data)
        return self._detail(request, operation.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ParticipantsSerializer, responses=OperationDetailSerializer)
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, pk: str) -> Response:
        data = validated(ParticipantsSerializer, request.data)
        members = [_organisation(request, o, "participants") for o in data["participants"]]
        services.operation_set_participants(
            actor=principal_of(request), operation=self.get_object(), participants=members
        )
        return self._detail(request, pk)

    @extend_schema(request=OperationTransitionSerializer, responses=OperationDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(OperationTransitionSerializer, request.data)
        services.operation_transition(actor=principal_of(request), operation=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(request=PhaseCreateSerializer, responses=OperationDetailSerializer)
    @action(detail=True, methods=["post"])
    def phases(self, request: Request, pk: str) -> Response:
        data = validated(PhaseCreateSerializer, request.data)
        services.operation_phase_add(actor=principal_of(request), operation=self.get_object(), **data)
        return self._detail(request, pk)

    @extend_schema(methods=["GET"], responses=LinkedObjectSerializer(many=True))
    @extend_schema(methods=["POST"], request=LinkSerializer, responses={201: LinkedObjectSerializer(many=True)})
    @extend_schema(methods=["DELETE"], request=LinkSerializer, responses={204: None})
    @action(detail=True, methods=["get", "post", "delete"])
    def objects(self, request: Request, pk: str) -> Response:
        """GET: the linked intelligence you may see. POST: link an object you may see. DELETE: unlink."""
        principal = principal_of(request)
        operation = self.get_object()
        if request.method == "POST":
            data = validated(LinkSerializer, request.data)
            services.operation_link_object(actor=principal, operation=operation, **data)
        elif request.method == "DELETE":
            data = validated(LinkSerializer, request.data)
            services.operation_unlink_object(actor=principal, operation=operation, stix_id=data["stix_id"])
            return Response(status=status.HTTP_204_NO_CONTENT)
        rows = selectors.operation_objects(principal=principal, operation=operation)
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(LinkedObjectSerializer(rows, many=True).data, status=code)

    @extend_schema(methods=["GET"], responses=LinkedCampaignSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=CampaignLinkSerializer, responses={201: LinkedCampaignSerializer(many=True)}
    )
    @extend_schema(methods=["DELETE"], request=CampaignLinkSerializer, responses={204: None})
    @action(detail=True, methods=["get", "post", "delete"])
    def campaigns(self, request: Request, pk: str) -> Response:
        """GET: the linked campaigns you may see. POST: link a campaign you may see. DELETE: unlink."""
        principal = principal_of(request)
        operation = self.get_object()
        if request.method == "POST":
            data = validated(CampaignLinkSerializer, request.data)
            services.operation_link_campaign(actor=principal, operation=operation, **data)
        elif request.method == "DELETE":
            data = validated(CampaignLinkSerializer, request.data)
            services.operation_unlink_campaign(actor=principal, operation=operation, campaign=data["campaign"])
            return Response(status=status.HTTP_204_NO_CONTENT)
        rows = selectors.operation_campaigns(principal=principal, operation=operation)
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(LinkedCampaignSerializer(rows, many=True).data, status=code)

    @extend_schema(methods=["GET"], responses=OutcomeSerializer(many=True))
    @extend_schema(methods=["POST"], request=OutcomeCreateSerializer, responses={201: OutcomeSerializer})
    @action(detail=True, methods=["get", "post"])
    def outcomes(self, request: Request, pk: str) -> Response:
        """GET: the outcomes recorded. POST: record one (figures of zero or more)."""
        operation = self.get_object()
        if request.method == "POST":
            data = validated(OutcomeCreateSerializer, request.data)
            outcome = services.operation_record_outcome(actor=principal_of(request), operation=operation, **data)
            return Response(OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)
        return Response(OutcomeSerializer(operation.outcomes.all(), many=True).data)

    @extend_schema(responses=TotalsSerializer)
    @action(detail=True, methods=["get"])
    def dashboard(self, request: Request, pk: str) -> Response:
        """The outcome totals (counts summed, funds per currency)."""
        return Response(TotalsSerializer(selectors.operation_totals(operation=self.get_object())).data)


# --- Conference -----------------------------------------------------------------------------------


class HostingSerializer(serializers.ModelSerializer[ConferenceHosting]):
    class Meta:
        model = ConferenceHosting
        fields: ClassVar[list[str]] = ["first_host", "second_host", "first_year"]


class HostingWriteSerializer(serializers.Serializer[Any]):
    first_host = serializers.IntegerField()
    second_host = serializers.IntegerField()
    first_year = serializers.IntegerField(required=False, default=2013)


class ExpectedHostSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    host = serializers.IntegerField()
    host_name = serializers.CharField()


class HostingView(APIView):
    """The conference's host alternation: GET the rule (or, with ``?year=``, the expected host
    of that year); PUT to set it (programme managers)."""

    action_perms: ClassVar[dict[str, Perm]] = {"put": MANAGE}

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=False)],
        responses=PolymorphicProxySerializer(
            component_name="HostingAnswer",
            serializers=[HostingSerializer, ExpectedHostSerializer],
            resource_type_field_name=None,
        ),
    )
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        if year is not None:
            if not year.isdigit():
                raise serializers.ValidationError({"year": ["A year, e.g. 2027."]})
            host = services.expected_host(int(year))
            return Response({"year": int(year), "host": host.pk, "host_name": host.name})
        hosting = ConferenceHosting.objects.filter(id=1).first()
        if hosting is None:
            raise NotFound("The host alternation is not configured yet.")
        return Response(HostingSerializer(hosting).data)

    @extend_schema(request=HostingWriteSerializer, responses=HostingSerializer)
    def put(self, request: Request) -> Response:
        data = validated(HostingWriteSerializer, request.data)
        data["first_host"] = _organisation(request, data["first_host"], "first_host")
        data["second_host"] = _organisation(request, data["second_host"], "second_host")
        hosting = services.conference_configure(actor=principal_of(request), **data)
        return Response(HostingSerializer(hosting).data)


class EditionSerializer(serializers.ModelSerializer[ConferenceEdition]):
    host_name = serializers.CharField(source="host.name", read_only=True)
    registered = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = ConferenceEdition
        fields: ClassVar[list[str]] = [
            "id",
            "year",
            "host",
            "host_name",
            "host_override_reason",
            "theme",
            "venue",
            "city",
            "country",
            "start_date",
            "end_date",
            "capacity",
            "registered",
            "cfp_closes",
        ]
        read_only_fields = fields


class EditionCreateSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    host = serializers.IntegerField()
    host_override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    theme = serializers.CharField(max_length=200)
    venue = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    capacity = serializers.IntegerField()
    cfp_closes = serializers.DateField(required=False, allow_null=True)


class BreakdownSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    registered = serializers.IntegerField()
    attended = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer[Any]):
    registered = serializers.IntegerField()
    attended = serializers.IntegerField()
    capacity = serializers.IntegerField()
    attendance_rate = serializers.FloatField()
    by_sector = BreakdownSerializer(many=True)
    by_region = BreakdownSerializer(many=True)


class EditionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Conference editions, one per year (``/editions/2027/`` works too), and their statistics."""

    serializer_class = EditionSerializer
    filterset_class = EditionFilter
    ordering = ["-year"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": MANAGE, "statistics": MANAGE}
    model = ConferenceEdition
    list_selector = staticmethod(selectors.edition_list)
    get_selector = staticmethod(selectors.edition_get)

    @extend_schema(request=EditionCreateSerializer, responses={201: EditionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(EditionCreateSerializer, request.data)
        data["host"] = _organisation(request, data["host"], "host")
        edition = services.edition_create(actor=principal_of(request), **data)
        return Response(
            EditionSerializer(selectors.edition_get(principal=principal_of(request), pk=edition.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=StatisticsSerializer)
    @action(detail=True, methods=["get"])
    def statistics(self, request: Request, pk: str) -> Response:
        """Registrations and attendance by sector and by region."""
        return Response(StatisticsSerializer(selectors.edition_statistics(edition=self.get_object())).data)


class PaperSerializer(serializers.ModelSerializer[Paper]):
    year = serializers.IntegerField(source="edition.year", read_only=True)

    class Meta:
        model = Paper
        fields: ClassVar[list[str]] = [
            "id",
            "edition",
            "year",
            "title",
            "abstract",
            "speaker_name",
            "speaker_organisation",
            "speaker_sector",
            "status",
            "review_note",
            "submitted_at",
        ]
        read_only_fields = fields


class PaperCreateSerializer(serializers.Serializer[Any]):
    edition = serializers.IntegerField(help_text="The edition's id or year.")
    title = serializers.CharField(max_length=200)
    abstract = serializers.CharField()
    speaker_name = serializers.CharField(max_length=200)
    speaker_organisation = serializers.CharField(required=False, allow_blank=True, default="")
    speaker_sector = choice_field(SpeakerSector)


class ReviewSerializer(serializers.Serializer[Any]):
    to = choice_field(PaperStatus)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PaperViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """The call for papers: anyone signed in submits while it is open; programme managers review."""

    serializer_class = PaperSerializer
    filterset_class = PaperFilter
    ordering = ["-submitted_at"]
    action_perms: ClassVar[dict[str, Perm]] = {"review": MANAGE}
    model = Paper
    list_selector = staticmethod(selectors.paper_list)

    @extend_schema(request=PaperCreateSerializer, responses={201: PaperSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(PaperCreateSerializer, request.data)
        principal = principal_of(request)
        data["edition"] = selectors.edition_get(principal=principal, pk=data["edition"])
        paper = services.paper_submit(actor=principal, **data)
        return Response(PaperSerializer(paper).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses=PaperSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        data = validated(ReviewSerializer, request.data)
        paper = services.paper_review(actor=principal_of(request), paper=self.get_object(), **data)
        return Response(PaperSerializer(paper).data)


class SpeakerSerializer(serializers.ModelSerializer[SessionSpeaker]):
    class Meta:
        model = SessionSpeaker
        fields: ClassVar[list[str]] = ["name", "organisation", "sector"]


class ConferenceSessionSerializer(serializers.ModelSerializer[ConferenceSession]):
    speakers = SpeakerSerializer(many=True, read_only=True)
    year = serializers.IntegerField(source="edition.year", read_only=True)

    class Meta:
        model = ConferenceSession
        fields: ClassVar[list[str]] = [
            "id",
            "edition",
            "year",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "room",
            "paper",
            "speakers",
        ]
        read_only_fields = fields


class ConferenceSessionCreateSerializer(serializers.Serializer[Any]):
    edition = serializers.IntegerField(help_text="The edition's id or year.")
    title = serializers.CharField(max_length=200)
    kind = choice_field(SessionKind)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    room = serializers.CharField(required=False, allow_blank=True, default="")
    paper = serializers.IntegerField(required=False, allow_null=True)
    speakers = SpeakerSerializer(many=True)


class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """The programme: sessions of each edition and their speakers."""

    serializer_class = ConferenceSessionSerializer
    filterset_class = SessionFilter
    ordering = ["starts_at", "pk"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": MANAGE}
    model = ConferenceSession
    list_selector = staticmethod(selectors.session_list)

    @extend_schema(request=ConferenceSessionCreateSerializer, responses={201: ConferenceSessionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ConferenceSessionCreateSerializer, request.data)
        principal = principal_of(request)
        data["edition"] = selectors.edition_get(principal=principal, pk=data["edition"])
        data["paper"] = (
            get_object_or_404(selectors.paper_list(principal=principal), pk=data["paper"])
            if data.get("paper")
            else None
        )
        data["speakers"] = [dict(s) for s in data["speakers"]]
        session = services.session_create(actor=principal, **data)
        return Response(ConferenceSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class RegistrationSerializer(serializers.ModelSerializer[Registration]):
    year = serializers.IntegerField(source="edition.year", read_only=True)

    class Meta:
        model = Registration
        fields: ClassVar[list[str]] = [
            "id",
            "edition",
            "year",
            "name",
            "email",
            "organisation",
            "sector",
            "country",
            "region",
            "status",
            "attended",
            "registered_at",
        ]
        read_only_fields = fields


class RegistrationCreateSerializer(serializers.Serializer[Any]):
    edition = serializers.IntegerField(help_text="The edition's id or year.")
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    organisation = serializers.CharField(required=False, allow_blank=True, default="")
    sector = choice_field(SpeakerSector)
    country = serializers.CharField(max_length=2)


class AttendedSerializer(serializers.Serializer[Any]):
    attended = serializers.BooleanField(default=True)


class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Registrations within each edition's capacity; attendance recorded at the door."""

    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilter
    ordering = ["registered_at", "pk"]
    action_perms: ClassVar[dict[str, Perm]] = {"attended": MANAGE}
    model = Registration
    list_selector = staticmethod(selectors.registration_list)

    @extend_schema(request=RegistrationCreateSerializer, responses={201: RegistrationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(RegistrationCreateSerializer, request.data)
        principal = principal_of(request)
        data["edition"] = selectors.edition_get(principal=principal, pk=data["edition"])
        registration = services.registration_create(actor=principal, **data)
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        registration = services.registration_cancel(actor=principal_of(request), registration=self.get_object())
        return Response(RegistrationSerializer(registration).data)

    @extend_schema(request=AttendedSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def attended(self, request: Request, pk: str) -> Response:
        data = validated(AttendedSerializer, request.data)
        registration = services.registration_mark_attended(
            actor=principal_of(request), registration=self.get_object(), **data
        )
        return Response(RegistrationSerializer(registration).data)
