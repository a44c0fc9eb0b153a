"""API of officers, enrolments and certificates."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.roles import Perm
from accord.core.viewsets import DetailViewSet, ReadCreateViewSet, ReadViewSet, principal_of, referenced, validated
from accord.partners.api import ReasonSerializer
from accord.programme import selectors, services
from accord.programme.api._common import (
    _own_or_given,
)
from accord.programme.certificates import certificate_response
from accord.programme.filters import (
    EnrolmentFilter,
    OfficerFilter,
)
from accord.programme.models import (
    Certificate,
    Enrolment,
    Officer,
)

# --- Serializers ----------------------------------------------------------------------------------


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


class OfficerViewSet(ReadCreateViewSet):
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


class EnrolmentViewSet(DetailViewSet):
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
    detail_serializer = EnrolmentSerializer

    @extend_schema(request=NominateSerializer, responses={201: EnrolmentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(NominateSerializer, request.data)
        principal = principal_of(request)
        enrolment = services.enrolment_nominate(
            actor=principal,
            session=referenced("session", selectors.session_get, principal=principal, pk=data["session"]),
            officer=referenced("officer", selectors.officer_get, principal=principal, pk=data["officer"]),
            waitlist=data["waitlist"],
        )
        return self.detail_response(request, enrolment.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        enrolment = services.enrolment_confirm(actor=principal_of(request), enrolment=self.get_object())
        return self.detail_response(request, enrolment.pk)

    @extend_schema(request=ReasonSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = validated(ReasonSerializer, request.data)
        enrolment = services.enrolment_withdraw(actor=principal_of(request), enrolment=self.get_object(), **data)
        return self.detail_response(request, enrolment.pk)

    @extend_schema(request=AttendanceSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str) -> Response:
        data = validated(AttendanceSerializer, request.data)
        enrolment = services.enrolment_record_attendance(
            actor=principal_of(request), enrolment=self.get_object(), **data
        )
        return self.detail_response(request, enrolment.pk)

    @extend_schema(request=None, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        certificate = services.enrolment_complete(actor=principal_of(request), enrolment=self.get_object())
        return self.detail_response(request, certificate.enrolment.pk)


class CertificateViewSet(ReadViewSet):
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
