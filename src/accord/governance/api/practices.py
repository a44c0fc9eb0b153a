"""API of the good-practices library."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.choices import Tlp
from accord.core.errors import NotFound
from accord.core.fields import choice_field
from accord.core.viewsets import ReadCreateViewSet, principal_of, referenced, validated
from accord.governance import selectors, services
from accord.governance.choices import PracticeTopic
from accord.governance.filters import PracticeFilter
from accord.governance.markup import render_markdown
from accord.governance.models import GoodPractice

# --- Good practices -------------------------------------------------------------------------------


class PracticeSerializer(serializers.ModelSerializer[GoodPractice]):
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)
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


class PracticeViewSet(ReadCreateViewSet):
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
        group = referenced("group", selectors.group_get, principal=principal, pk=data.pop("group"))
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
