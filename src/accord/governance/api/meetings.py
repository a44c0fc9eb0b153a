"""API of meetings: attendance, documents, minutes and invitations."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.fields import IdsField, choice_field
from accord.core.roles import Perm
from accord.core.viewsets import DetailViewSet, principal_of, referenced, validated, visible_person
from accord.governance import selectors, services
from accord.governance.choices import AttendanceStatus
from accord.governance.filters import MeetingFilter
from accord.governance.markup import render_markdown
from accord.governance.models import Attendance, Meeting, MeetingDocument

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
        name: Perm.GOVERNANCE_MANAGE
        for name in ("create", "partial_update", "cancel", "minutes", "attendance", "documents", "invite")
    }
    model = Meeting
    list_selector = staticmethod(selectors.meeting_list)
    get_selector = staticmethod(selectors.meeting_get)
    detail_serializer = MeetingDetailSerializer

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(MeetingCreateSerializer, request.data)
        principal = principal_of(request)
        data["groups"] = [referenced("groups", selectors.group_get, principal=principal, pk=g) for g in data["groups"]]
        data["guests"] = [visible_person(request, g, "guests") for g in data["guests"]]
        meeting = services.meeting_schedule(actor=principal, **data)
        return self.detail_response(request, meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the title, dates, place, themes or agenda of a scheduled meeting."""
        data = validated(MeetingUpdateSerializer, request.data)
        services.meeting_update(actor=principal_of(request), meeting=self.get_object(), **data)
        return self.detail_response(request, pk)

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
        return self.detail_response(request, pk)

    @extend_schema(request=AttendanceCreateSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        data = validated(AttendanceCreateSerializer, request.data)
        person = visible_person(request, data["person"], "person")
        services.attendance_record(
            actor=principal_of(request), meeting=self.get_object(), person=person, status=data["status"]
        )
        return self.detail_response(request, pk)

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
        document = selectors.meeting_document_get(
            principal=principal_of(request), meeting=self.get_object(), pk=document_id
        )
        filename = str(document.file.name).rsplit("/", 1)[-1]
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=filename)

    @extend_schema(request=None, responses=InvitedSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str) -> Response:
        """E-mail the invitation, with an iCalendar attachment, to members and guests."""
        count = services.meeting_invite(actor=principal_of(request), meeting=self.get_object())
        return Response({"invited": count})
