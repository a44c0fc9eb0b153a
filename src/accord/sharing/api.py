"""``/api/v1/submissions/``: share data (multipart file or raw body) and follow its ingest."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api import SelectorViewSet, principal_of
from accord.core.errors import ValidationFailed, error_body
from accord.core.roles import Perm
from accord.core.selectors import organisation_get
from accord.sharing import selectors
from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Submission
from accord.sharing.services import submission_create, submission_process
from accord.sharing.tasks import process_submission

__all__ = ["SubmissionViewSet"]


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    agreement = serializers.CharField(source="agreement.reference", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", default=None, read_only=True)

    class Meta:
        model = Submission
        fields: ClassVar[list[str]] = [
            "id",
            "organisation",
            "organisation_name",
            "agreement",
            "submitted_by",
            "format",
            "filename",
            "sha256",
            "size",
            "tlp",
            "status",
            "progress",
            "objects_count",
            "observables_count",
            "new_count",
            "updated_count",
            "rejected_count",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RawBodyParser(parsers.BaseParser):
    """Any other content type: the body is the submission, read as a stream (not into memory)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return {"__raw__": stream}


class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Submissions of shared data: post a file, then follow its progress."""

    serializer_class = SubmissionSerializer
    parser_classes = [parsers.MultiPartParser, RawBodyParser]
    ordering_fields: ClassVar[list[str]] = ["created_at", "status", "size"]
    ordering = ["-created_at"]
    filterset_fields: ClassVar[list[str]] = ["status", "format", "organisation"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.SHARING_SUBMIT}
    model = Submission
    list_selector = staticmethod(selectors.submission_list)
    get_selector = staticmethod(selectors.submission_get)

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
            "application/octet-stream": {"type": "string", "format": "binary"},
        },
        parameters=[
            OpenApiParameter("format", str, enum=["auto", "stix", "misp", "csv", "text"]),
            OpenApiParameter("tlp", str),
            OpenApiParameter("agreement", str),
            OpenApiParameter("organisation", int),
        ],
        responses={201: SubmissionSerializer, 200: SubmissionSerializer, 202: SubmissionSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = principal_of(request)
        data: dict[str, Any] = request.data if isinstance(request.data, dict) else {}
        options = {**request.query_params.dict(), **{k: v for k, v in data.items() if isinstance(v, str)}}
        upload = request.FILES.get("file")
        stream = upload if upload is not None else data.get("__raw__")
        if stream is None:
            raise ValidationFailed(
                "file: send the data as a multipart 'file' field or as the request body.",
                details={"file": ["Required."]},
            )
        organisation = actor.organisation
        if options.get("organisation"):
            organisation = organisation_get(principal=actor, pk=options["organisation"])
        submission, created = submission_create(
            actor=actor,
            organisation=organisation,
            stream=stream,
            filename=getattr(upload, "name", "") or "",
            format=options.get("format", "auto"),
            tlp=options.get("tlp") or None,
            agreement=options.get("agreement"),
        )
        if not created:
            return Response(SubmissionSerializer(submission).data, status=status.HTTP_200_OK)
        if submission.size > settings.ACCORD_INLINE_SUBMISSION_BYTES:
            transaction.on_commit(lambda: process_submission.enqueue(submission.pk))
            return Response(SubmissionSerializer(submission).data, status=status.HTTP_202_ACCEPTED)
        submission = submission_process(submission_id=submission.pk)
        body = SubmissionSerializer(submission).data
        if submission.status == SubmissionStatus.FAILED:
            first = submission.errors[0]
            message = f"Nothing was stored: {first['where']}, {first['field']}: {first['message']}"
            if len(submission.errors) > 1:
                message += f" (and {len(submission.errors) - 1} more)"
            return Response(error_body("invalid_submission", message, body), status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)
