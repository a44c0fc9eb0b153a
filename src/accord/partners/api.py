"""REST API of partnerships: applications (anonymous intake, vetting), agreements, partnership
status, and the public directory. Thin: services change state, selectors read."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import parsers, permissions, serializers, status, throttling
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core.api import OrganisationSerializer
from accord.core.choices import ContributionArea, DataCategory, OrganisationKind, Purpose, Region, Sector, Tlp
from accord.core.errors import NotFound
from accord.core.fields import choice_field, choice_list_field
from accord.core.models import Organisation
from accord.core.ratelimit import client_ip, rate_limit_hit
from accord.core.roles import Perm
from accord.core.selectors import organisation_get
from accord.core.viewsets import DetailViewSet, ReadCreateViewSet, ReadViewSet, principal_of, referenced, validated
from accord.partners import selectors, services
from accord.partners.choices import (
    AffectedPartyNotifications,
    AgreementKind,
    ApplicationStatus,
    ChecklistItem,
    EncryptAtRest,
    EncryptInTransit,
    ObfuscateAffectedParties,
    Pap,
    PermittedActions,
    ProviderAttribution,
    UnmodifiedResale,
)
from accord.partners.filters import AgreementFilter, ApplicationFilter
from accord.partners.models import Agreement, AgreementVersion, ApplicationComment, PartnershipApplication

__all__ = ["AgreementViewSet", "ApplicationViewSet", "DirectoryView", "PartnershipViewSet"]


class ApplicationThrottle(throttling.BaseThrottle):
    """Anonymous applications per client address (``ACCORD_APPLICATION_RATE``)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        from django.conf import settings

        if request.method != "POST" or getattr(view, "action", None) != "create":
            return True
        return rate_limit_hit("application", client_ip(request), settings.ACCORD_APPLICATION_RATE)

    def wait(self) -> float | None:
        return None


class CommentSerializer(serializers.ModelSerializer[ApplicationComment]):
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = ApplicationComment
        fields: ClassVar[list[str]] = ["id", "author", "body", "created_at"]
        read_only_fields = fields


class ApplicationSerializer(serializers.ModelSerializer[PartnershipApplication]):
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = PartnershipApplication
        fields: ClassVar[list[str]] = [
            "id",
            "reference",
            "organisation_name",
            "kind",
            "sector",
            "country",
            "region",
            "website",
            "contact_name",
            "contact_email",
            "contribution_areas",
            "proposal",
            "listed_publicly",
            "status",
            "allowed_transitions",
            "checklist",
            "decision_reason",
            "decided_by",
            "decided_at",
            "organisation",
            "submitted_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, application: PartnershipApplication) -> list[str]:
        from accord.partners.choices import APPLICATION_TRANSITIONS

        return list(APPLICATION_TRANSITIONS[application.status])


class HistorySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_username")
    action = serializers.CharField()
    details = serializers.JSONField()
    justification = serializers.CharField()


class ApplicationDetailSerializer(ApplicationSerializer):
    comments = CommentSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields: ClassVar[list[str]] = [*ApplicationSerializer.Meta.fields, "comments", "history"]
        read_only_fields = fields

    @extend_schema_field(HistorySerializer(many=True))
    def get_history(self, application: PartnershipApplication) -> Any:
        return HistorySerializer(selectors.application_history(application=application), many=True).data


class ApplicationCreateSerializer(serializers.Serializer[Any]):
    organisation_name = serializers.CharField(max_length=200)
    kind = choice_field(OrganisationKind)
    sector = choice_field(Sector, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2)
    website = serializers.URLField(required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=200)
    contact_email = serializers.EmailField()
    contribution_areas = choice_list_field(ContributionArea, allow_empty=False)
    proposal = serializers.CharField()
    listed_publicly = serializers.BooleanField(required=False, default=False)


class PublicApplicationSerializer(serializers.ModelSerializer[PartnershipApplication]):
    """What an anonymous applicant gets back: the reference and status, nothing else."""

    class Meta:
        model = PartnershipApplication
        fields: ClassVar[list[str]] = ["reference", "organisation_name", "status", "submitted_at"]
        read_only_fields = fields


class TransitionSerializer(serializers.Serializer[Any]):
    to = choice_field(ApplicationStatus)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ChecklistSerializer(serializers.Serializer[Any]):
    item = choice_field(ChecklistItem)
    done = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CommentCreateSerializer(serializers.Serializer[Any]):
    body = serializers.CharField()


class AnonymousCreate(permissions.BasePermission):
    """Anyone may apply; everything else needs the role's capabilities."""

    def has_permission(self, request: Request, view: Any) -> bool:
        from accord.core.permissions import RolePermission

        if getattr(view, "action", None) == "create":
            return True
        return RolePermission().has_permission(request, view)


class ApplicationViewSet(ReadCreateViewSet):
    """Partnership applications: anyone applies; programme managers vet and decide."""

    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    permission_classes = [AnonymousCreate]
    throttle_classes = [ApplicationThrottle]
    ordering_fields: ClassVar[list[str]] = ["submitted_at", "organisation_name", "status", "updated_at"]
    ordering = ["-submitted_at"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "transition": Perm.PARTNERSHIP_MANAGE,
        "checklist": Perm.PARTNERSHIP_MANAGE,
        "comments": Perm.PARTNERSHIP_MANAGE,
    }
    model = PartnershipApplication
    list_selector = staticmethod(selectors.application_list)
    get_selector = staticmethod(selectors.application_get)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return ApplicationDetailSerializer if self.action == "retrieve" else ApplicationSerializer

    @extend_schema(request=ApplicationCreateSerializer, responses={201: PublicApplicationSerializer}, auth=[])
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        application = services.application_submit(**validated(ApplicationCreateSerializer, request.data))
        return Response(PublicApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(TransitionSerializer, request.data)
        application = services.application_transition(
            actor=principal_of(request), application=self.get_object(), **data
        )
        return Response(
            ApplicationDetailSerializer(
                selectors.application_get(principal=principal_of(request), pk=application.pk)
            ).data
        )

    @extend_schema(request=ChecklistSerializer, responses=ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def checklist(self, request: Request, pk: str) -> Response:
        data = validated(ChecklistSerializer, request.data)
        application = services.application_check(actor=principal_of(request), application=self.get_object(), **data)
        return Response(
            ApplicationDetailSerializer(
                selectors.application_get(principal=principal_of(request), pk=application.pk)
            ).data
        )

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request: Request, pk: str) -> Response:
        data = validated(CommentCreateSerializer, request.data)
        comment = services.application_comment(actor=principal_of(request), application=self.get_object(), **data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class TermsSerializer(serializers.Serializer[Any]):
    """Data-sharing terms: FIRST IEP 2.0 fields, IEP 1.0 local terms, handling terms."""

    encrypt_in_transit = choice_field(EncryptInTransit, required=False)
    permitted_actions = choice_field(PermittedActions, required=False)
    affected_party_notifications = choice_field(AffectedPartyNotifications, required=False)
    iep_tlp = choice_field(Tlp, required=False)
    provider_attribution = choice_field(ProviderAttribution, required=False)
    unmodified_resale = choice_field(UnmodifiedResale, required=False)
    encrypt_at_rest = choice_field(EncryptAtRest, required=False)
    obfuscate_affected_parties = choice_field(ObfuscateAffectedParties, required=False)
    data_categories = choice_list_field(DataCategory, required=False)
    purposes = choice_list_field(Purpose, required=False)
    tlp_ceiling = choice_field(Tlp, required=False, help_text="The highest TLP the partner may receive.")
    default_tlp = choice_field(Tlp, required=False, help_text="The TLP of what it submits when none is given.")
    onward_kinds = choice_list_field(OrganisationKind, required=False)
    onward_regions = choice_list_field(Region, required=False)
    onward_redactions = choice_list_field(DataCategory, required=False)
    retention_days = serializers.IntegerField(required=False, min_value=1, max_value=36500)
    pap = choice_field(Pap, required=False)
    payment_interception = serializers.BooleanField(
        required=False, help_text="The partner (a bank or an exchange) takes payment-interception requests."
    )
    interception_ack_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=168, help_text="Hours to acknowledge (default 1)."
    )
    interception_outcome_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=720, help_text="Hours to a first outcome (default 24)."
    )


class VersionSerializer(serializers.ModelSerializer[AgreementVersion]):
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True, read_only=True)
    has_document = serializers.SerializerMethodField()

    class Meta:
        model = AgreementVersion
        fields: ClassVar[list[str]] = [
            "number",
            "valid_from",
            "valid_until",
            "change_note",
            "created_by",
            "created_at",
            "has_document",
            "document_name",
            "document_sha256",
            "document_size",
            *services.TERM_FIELDS,
        ]
        read_only_fields = fields

    def get_has_document(self, version: AgreementVersion) -> bool:
        return bool(version.document)


class AgreementSerializer(serializers.ModelSerializer[Agreement]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    current_version = VersionSerializer(read_only=True)

    class Meta:
        model = Agreement
        fields: ClassVar[list[str]] = [
            "id",
            "reference",
            "organisation",
            "organisation_name",
            "kind",
            "title",
            "status",
            "status_reason",
            "status_changed_at",
            "current_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AgreementCreateSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    kind = choice_field(AgreementKind)
    title = serializers.CharField(max_length=200)
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    terms = TermsSerializer(required=False)
    change_note = serializers.CharField(required=False, allow_blank=True, default="")


class AgreementAmendSerializer(serializers.Serializer[Any]):
    change_note = serializers.CharField()
    valid_from = serializers.DateTimeField(required=False)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    terms = TermsSerializer(required=False)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ActivateSerializer(ReasonSerializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Only to activate a data-sharing agreement that has no signed document: why it must be in "
            "force without one. Platform administrators only; recorded in the audit chain as "
            "agreement.activate_unsigned. Without it such an activation is a 400 naming `document`."
        ),
    )


class DocumentSerializer(serializers.Serializer[Any]):
    document = serializers.FileField()


class AgreementViewSet(DetailViewSet):
    """Agreements: programme managers draft, amend, activate, suspend, terminate; partners read theirs."""

    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    ordering_fields: ClassVar[list[str]] = ["created_at", "reference", "status"]
    ordering = ["-created_at"]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: Perm.PARTNERSHIP_MANAGE for name in ("create", "amend", "activate", "suspend", "terminate")
    } | {"document.post": Perm.PARTNERSHIP_MANAGE}  # downloading it is a read like the others
    model = Agreement
    list_selector = staticmethod(selectors.agreement_list)
    get_selector = staticmethod(selectors.agreement_get)
    detail_serializer = AgreementSerializer

    @extend_schema(request=AgreementCreateSerializer, responses={201: AgreementSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(AgreementCreateSerializer, request.data)
        organisation = referenced(
            "organisation", organisation_get, principal=principal_of(request), pk=data.pop("organisation")
        )
        agreement = services.agreement_create(actor=principal_of(request), organisation=organisation, **data)
        return self.detail_response(request, agreement.pk, status.HTTP_201_CREATED)

    @extend_schema(request=AgreementAmendSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str) -> Response:
        raw = request.data
        data = validated(AgreementAmendSerializer, raw)
        if isinstance(raw, dict) and "valid_until" in raw and raw["valid_until"] is None:
            data["clear_valid_until"] = True
            data.pop("valid_until", None)
        agreement = services.agreement_amend(actor=principal_of(request), agreement=self.get_object(), **data)
        return self.detail_response(request, agreement.pk)

    @extend_schema(request=ActivateSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        """Put the agreement in force; a data-sharing one needs its signed document (see ``override_reason``)."""
        data = validated(ActivateSerializer, request.data)
        agreement = services.agreement_activate(actor=principal_of(request), agreement=self.get_object(), **data)
        return self.detail_response(request, agreement.pk)

    @extend_schema(request=ReasonSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        data = validated(ReasonSerializer, request.data)
        agreement = services.agreement_suspend(actor=principal_of(request), agreement=self.get_object(), **data)
        return self.detail_response(request, agreement.pk)

    @extend_schema(request=ReasonSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str) -> Response:
        data = validated(ReasonSerializer, request.data)
        agreement = services.agreement_terminate(actor=principal_of(request), agreement=self.get_object(), **data)
        return self.detail_response(request, agreement.pk)

    @extend_schema(methods=["POST"], request={"multipart/form-data": DocumentSerializer}, responses=AgreementSerializer)
    @extend_schema(methods=["GET"], responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get", "post"])
    def document(self, request: Request, pk: str) -> Any:
        agreement = self.get_object()
        if request.method == "GET":
            version = agreement.current_version
            if version is None or not version.document:
                raise NotFound(f"{agreement.reference} has no signed document yet.")
            return FileResponse(
                version.document.open("rb"),
                as_attachment=True,
                filename=version.document_name,
                content_type="application/pdf",
            )
        upload = request.FILES.get("document")
        if upload is None:
            from accord.core.errors import ValidationFailed

            raise ValidationFailed(
                "document: attach the signed PDF as the 'document' field.",
                details={"document": ["Required (multipart/form-data)."]},
            )
        services.agreement_attach_document(
            actor=principal_of(request), agreement=agreement, name=upload.name or "document.pdf", stream=upload
        )
        return self.detail_response(request, agreement.pk)

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str) -> Response:
        agreement = self.get_object()
        return Response(VersionSerializer(agreement.versions.all(), many=True).data)


class PartnershipSerializer(OrganisationSerializer):
    agreements = serializers.SerializerMethodField()

    class Meta(OrganisationSerializer.Meta):
        fields: ClassVar[list[str]] = [*OrganisationSerializer.Meta.fields, "agreements"]
        read_only_fields = fields

    def get_agreements(self, organisation: Organisation) -> list[dict[str, Any]]:
        return [
            {
                "id": a.pk,
                "reference": a.reference,
                "kind": a.kind,
                "status": a.status,
                "valid_until": a.current_version.valid_until if a.current_version else None,
            }
            for a in organisation.agreements.all()
        ]


class PartnershipViewSet(ReadViewSet):
    """Each partner organisation's partnership status and agreements; suspend, reinstate, terminate."""

    serializer_class = PartnershipSerializer
    ordering_fields: ClassVar[list[str]] = ["name", "status", "region"]
    ordering = ["name"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "suspend": Perm.PARTNERSHIP_MANAGE,
        "reinstate": Perm.PARTNERSHIP_MANAGE,
        "terminate": Perm.PARTNERSHIP_MANAGE,
    }
    model = Organisation
    list_selector = staticmethod(selectors.partnership_list)

    def get_object(self) -> Organisation:
        from accord.core.selectors import get_visible

        return get_visible(
            selectors.partnership_list(principal=principal_of(self.request)), self.kwargs["pk"], "partnership"
        )

    def _act(self, request: Request, service: Any) -> Response:
        data = validated(ReasonSerializer, request.data)
        service(actor=principal_of(request), organisation=self.get_object(), **data)
        return Response(PartnershipSerializer(self.get_object()).data)

    @extend_schema(request=ReasonSerializer, responses=PartnershipSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        return self._act(request, services.organisation_suspend)

    @extend_schema(request=ReasonSerializer, responses=PartnershipSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str) -> Response:
        return self._act(request, services.organisation_reinstate)

    @extend_schema(request=ReasonSerializer, responses=PartnershipSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str) -> Response:
        return self._act(request, services.organisation_terminate)


class DirectoryEntrySerializer(serializers.ModelSerializer[Organisation]):
    country_name = serializers.CharField(read_only=True)

    class Meta:
        model = Organisation
        fields: ClassVar[list[str]] = [
            "name",
            "kind",
            "sector",
            "country",
            "country_name",
            "region",
            "website",
            "contribution_areas",
        ]
        read_only_fields = fields


class DirectoryView(APIView):
    """The public partner directory (no login): active partners that agreed to be listed."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(
        responses=DirectoryEntrySerializer(many=True),
        auth=[],
        parameters=[OpenApiParameter("sector", str), OpenApiParameter("region", str)],
    )
    def get(self, request: Request) -> Response:
        qs = selectors.directory_list()
        if sector := request.query_params.get("sector"):
            qs = qs.filter(sector=sector)
        if region := request.query_params.get("region"):
            qs = qs.filter(region=region)
        return Response(DirectoryEntrySerializer(qs, many=True).data)
