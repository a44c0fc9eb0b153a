"""``/api/v1/submissions/``: share data (multipart file or raw body), follow its ingest, and
page through what it refused (``…/<id>/refused/``); what it stored is ``/api/v1/objects/?submission=<id>``."""

from __future__ import annotations

from typing import Any, ClassVar

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.choices import Purpose
from accord.core.errors import NotFound, ValidationFailed, error_body
from accord.core.fields import PublicIds, choice_field
from accord.core.guards import flag
from accord.core.pagination import StableOrdering, StorePagination
from accord.core.replicas import ReplicaListMixin
from accord.core.roles import Perm
from accord.core.selectors import organisation_get
from accord.core.viewsets import ReadCreateViewSet, SelectorViewSet, principal_of, referenced, validated
from accord.policy import Action, Decision, decide, principal_context, withhold
from accord.sharing import selectors
from accord.sharing.choices import SubmissionStatus
from accord.sharing.filters import ObservableFilter, StixObjectFilter
from accord.sharing.models import Observable, Refusal, StixObject, Submission
from accord.sharing.progress import progress_of
from accord.sharing.services import (
    object_address,
    object_restore,
    object_retention_extend,
    object_revoke,
    personal_data_consulted,
    submission_create,
    submission_start,
)

__all__ = ["ObservableViewSet", "SeenOrdering", "StixObjectViewSet", "SubmissionViewSet"]


class SubmissionSerializer(PublicIds, serializers.ModelSerializer[Submission]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    agreement = serializers.CharField(source="agreement.reference", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", default=None, allow_null=True, read_only=True)
    progress = serializers.SerializerMethodField(help_text="Percent of the bytes read, updated while it runs.")
    accepted_count = serializers.IntegerField(
        read_only=True, help_text="Objects taken: stored now, or already held (objects_count - rejected_count)."
    )

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
            "strict",
            "status",
            "progress",
            "objects_count",
            "accepted_count",
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

    def get_progress(self, submission: Submission) -> int:
        return progress_of(submission)


class RefusalSerializer(serializers.ModelSerializer[Refusal]):
    class Meta:
        model = Refusal
        fields: ClassVar[list[str]] = ["number", "where", "field", "message"]
        read_only_fields = fields


class RawBodyParser(parsers.BaseParser):
    """Any other content type: the body is the submission, read as a stream (not into memory)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return {"__raw__": stream}


class SubmissionViewSet(ReadCreateViewSet):
    """Submissions of shared data: post a file, then follow its progress and see, object by
    object, what was refused and why."""

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
            OpenApiParameter("strict", bool, description="All or nothing: any refused object fails the whole."),
            OpenApiParameter(
                "dataset", str, description="The data set's name, recorded as the submission's provenance."
            ),
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
            organisation = referenced("organisation", organisation_get, principal=actor, pk=options["organisation"])
        submission, created = submission_create(
            actor=actor,
            organisation=organisation,
            stream=stream,
            filename=options.get("dataset") or getattr(upload, "name", "") or "",
            format=options.get("format", "auto"),
            tlp=options.get("tlp") or None,
            agreement=options.get("agreement"),
            strict=flag("strict", options.get("strict")),
        )
        if not created:
            return Response(SubmissionSerializer(submission).data, status=status.HTTP_200_OK)
        submission = submission_start(submission=submission)
        if submission.status == SubmissionStatus.QUEUED:
            return Response(SubmissionSerializer(submission).data, status=status.HTTP_202_ACCEPTED)
        body = SubmissionSerializer(submission).data
        if submission.status == SubmissionStatus.FAILED:
            first = submission.errors[0]
            message = f"Nothing was stored: {first['where']}, {first['field']}: {first['message']}"
            if len(submission.errors) > 1:
                message += f" (and {len(submission.errors) - 1} more)"
            return Response(error_body("invalid_submission", message, body), status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=RefusalSerializer(many=True))
    @action(detail=True, methods=["get"])
    def refused(self, request: Request, pk: str) -> Response:
        """Every object the submission refused (where, which field, why), in the order the ingest
        met them, a page at a time."""
        refusals = selectors.refusal_list(principal=principal_of(request), pk=pk)
        page = self.paginate_queryset(refusals)
        return self.get_paginated_response(RefusalSerializer(page, many=True).data)


class ObjectQuerySerializer(serializers.Serializer[Any]):
    purpose = choice_field(Purpose, required=False, default=Purpose.INVESTIGATION)


def _purpose(request: Request) -> str:
    query = ObjectQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return str(query.validated_data["purpose"])


class StixObjectSerializer(PublicIds, serializers.ModelSerializer[StixObject]):
    """An object version with its handling conditions; the body as the reader may receive it."""

    version = serializers.DateTimeField(source="modified", read_only=True)
    organisation = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = StixObject
        fields: ClassVar[list[str]] = [
            "id",
            "stix_id",
            "type",
            "version",
            "tlp",
            "data_category",
            "crime_type",
            "purpose",
            "organisation",
            "reliability",
            "credibility",
            "subject_category",
            "nature",
            "expires_at",
            "revoked",
            "added_at",
            "body",
        ]
        read_only_fields = fields

    _decided: tuple[StixObject, Decision] | None = None

    def _decision(self, obj: StixObject) -> Decision:
        """The policy's decision on ``obj`` for the reader, made once for all its fields."""
        if self._decided is None or self._decided[0] is not obj:
            self._decided = (obj, decide(self.context["policy"], obj, Action.VIEW, self.context["purpose"]))
        return self._decided[1]

    def get_organisation(self, obj: StixObject) -> str | None:
        """The source's name, where its agreement allows attribution (always for the host and itself)."""
        return obj.organisation.name if self._decision(obj).may_name_source else None

    def get_body(self, obj: StixObject) -> dict[str, Any]:
        # As the reader may receive it: redacted fields (free text included) removed, not blanked.
        decision = self._decision(obj)
        return withhold(obj.body, decision.redactions, decision.granular)

    def to_representation(self, instance: StixObject) -> dict[str, Any]:
        """Whom personal data is about, and whether it is fact or assessment, go with the
        data-subject field: withheld where the originator's agreement withholds it."""
        data: dict[str, Any] = super().to_representation(instance)
        if "x_accord_data_subject" in self._decision(instance).redactions:
            data["subject_category"] = data["nature"] = ""
        return data


_count = serializers.IntegerField()


class RestoreRequest(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Why it is shared again (recorded in the audit log).")


class AddressRequest(serializers.Serializer[Any]):
    organisations = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=100,
        help_text="Ids of the organisations to address it to (partners in the programme).",
    )


class ExtendRetentionRequest(serializers.Serializer[Any]):
    until = serializers.DateTimeField(help_text="When its retention ends now (ISO 8601, in the future).")
    reason = serializers.CharField(help_text="Why it is kept longer (recorded in the audit log).")


class StixObjectViewSet(mixins.ListModelMixin, SelectorViewSet):
    """Shared objects the policy lets you see (``?purpose=``), redacted as the agreements say."""

    pagination_class = StorePagination

    serializer_class = StixObjectSerializer
    filterset_class = StixObjectFilter
    ordering_fields: ClassVar[list[str]] = ["added_at", "modified", "tlp"]
    ordering = ["-added_at"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "revoke": Perm.SHARING_SUBMIT,
        "restore": Perm.SHARING_SUBMIT,
        "address": Perm.SHARING_SUBMIT,
        "extend_retention": Perm.SHARING_SUBMIT,
    }
    model = StixObject
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return StixObject.objects.none()
        return selectors.object_list(principal=principal_of(self.request), purpose=_purpose(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            principal = principal_of(self.request)
            context |= {
                "principal": principal,
                "purpose": _purpose(self.request),
                "policy": principal_context(principal),
            }
        return context

    @extend_schema(
        operation_id="v1_objects_versions",
        parameters=[OpenApiParameter("purpose", str, enum=Purpose.values)],
        responses=StixObjectSerializer(many=True),
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """Every version you may see of one object (STIX id or numeric id), newest first."""
        principal, purpose = principal_of(request), _purpose(request)
        versions = selectors.object_get(principal=principal, key=pk, purpose=purpose)
        context = self.get_serializer_context()
        personal_data_consulted(
            actor=principal, objects=versions, purpose=purpose, via="api", context=context["policy"]
        )
        return Response(StixObjectSerializer(versions, many=True, context=context).data)

    def paginate_queryset(self, queryset: Any) -> Any:
        """The page of a list, its personal data logged as consulted."""
        page = super().paginate_queryset(queryset)
        if page is not None and not getattr(self, "swagger_fake_view", False):
            personal_data_consulted(
                actor=principal_of(self.request), objects=page, purpose=_purpose(self.request), via="api"
            )
        return page

    @extend_schema(
        request=inline_serializer("RevokeRequest", {"reason": serializers.CharField(required=False)}),
        responses=inline_serializer("RevokeResult", {"revoked_versions": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        """The originator withdraws its object (every version)."""
        reason = str(request.data.get("reason", "")) if isinstance(request.data, dict) else ""
        count = object_revoke(actor=principal_of(request), stix_id=pk, reason=reason)
        if not count:
            raise NotFound(f"No object {pk} of your organisation to revoke.")
        return Response({"revoked_versions": count})

    @extend_schema(request=RestoreRequest, responses=inline_serializer("RestoreResult", {"restored_versions": _count}))
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str) -> Response:
        """The originator undoes its revocation: every revoked version is shared again, and
        reaches TAXII pollers allowed it as a late arrival (none restored: 0)."""
        data = validated(RestoreRequest, request.data)
        return Response({"restored_versions": object_restore(actor=principal_of(request), stix_id=pk, **data)})

    @extend_schema(
        request=AddressRequest, responses=inline_serializer("AddressResult", {"added_organisations": _count})
    )
    @action(detail=True, methods=["post"])
    def address(self, request: Request, pk: str) -> Response:
        """The originator addresses every version of its object to more organisations (TLP:AMBER
        reaches those it is addressed to); they receive it as a late arrival. How many were added
        (0: it was addressed to them all already)."""
        principal = principal_of(request)
        data = validated(AddressRequest, request.data)
        organisations = [
            referenced("organisations", selectors.addressee_get, principal=principal, pk=org)
            for org in data["organisations"]
        ]
        return Response(
            {"added_organisations": object_address(actor=principal, stix_id=pk, organisations=organisations)}
        )

    @extend_schema(
        request=ExtendRetentionRequest,
        responses=inline_serializer("ExtendRetentionResult", {"extended_versions": _count}),
    )
    @action(detail=True, methods=["post"], url_path="extend-retention")
    def extend_retention(self, request: Request, pk: str) -> Response:
        """The originator keeps its object longer: every version's retention ends at ``until``
        (no later than its agreement allows); a version past its retention, not yet purged, is
        received again as a late arrival. How many versions were extended (0: none ended sooner)."""
        data = validated(ExtendRetentionRequest, request.data)
        return Response({"extended_versions": object_retention_extend(actor=principal_of(request), stix_id=pk, **data)})


class ObservableSerializer(PublicIds, serializers.ModelSerializer[Observable]):
    first_seen = serializers.DateTimeField(
        source="seen_first", read_only=True, help_text="When an object you may see first mentioned it."
    )
    last_seen = serializers.DateTimeField(
        source="seen_last", read_only=True, help_text="When an object you may see last mentioned it."
    )

    class Meta:
        model = Observable
        fields: ClassVar[list[str]] = ["id", "type", "value", "extra", "first_seen", "last_seen"]
        read_only_fields = fields


class SeenOrdering(StableOrdering):
    """``?ordering=first_seen`` / ``last_seen`` order by the dates as the asker may know them
    (the ``seen_*`` values of :func:`accord.sharing.selectors.observable_list`): ``last_seen``
    by ``seen_order``, the latest mention the asker may see (for a partner in the order the
    store received it, which its list walks by index)."""

    names: ClassVar[dict[str, str]] = {"first_seen": "seen_first", "last_seen": "seen_order"}

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> list[str]:
        terms = super().get_ordering(request, queryset, view) or []
        return [("-" if t.startswith("-") else "") + self.names.get(t.lstrip("-"), t.lstrip("-")) for t in terms]


class ObservableViewSet(ReplicaListMixin, mixins.ListModelMixin, SelectorViewSet):
    """Observables mentioned by objects you may see; exact (``value``) and prefix search."""

    pagination_class = StorePagination

    serializer_class = ObservableSerializer
    filterset_class = ObservableFilter
    filter_backends = [DjangoFilterBackend, SeenOrdering]
    ordering_fields: ClassVar[list[str]] = ["first_seen", "last_seen", "value"]
    ordering = ["-last_seen"]
    model = Observable

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Observable.objects.none()
        return selectors.observable_list(principal=principal_of(self.request), purpose=_purpose(self.request))

    def paginate_queryset(self, queryset: Any) -> Any:
        """The page of a list, its phone numbers and e-mail addresses logged as consulted."""
        page = super().paginate_queryset(queryset)
        if page is not None and not getattr(self, "swagger_fake_view", False):
            personal_data_consulted(
                actor=principal_of(self.request), observables=page, purpose=_purpose(self.request), via="api"
            )
        return page
