"""API of the conference: hosting, editions, papers, sessions and registrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.core.fields import choice_field
from accord.core.roles import Perm
from accord.core.schema import ErrorSerializer
from accord.core.viewsets import ReadCreateViewSet, principal_of, referenced, validated, visible_organisation
from accord.governance import selectors, services
from accord.governance.choices import PaperStatus, SessionKind, SpeakerSector
from accord.governance.filters import EditionFilter, PaperFilter, RegistrationFilter, SessionFilter
from accord.governance.models import (
    ConferenceEdition,
    ConferenceHosting,
    ConferenceSession,
    Paper,
    Registration,
    SessionSpeaker,
)

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

    action_perms: ClassVar[dict[str, Perm]] = {"put": Perm.GOVERNANCE_MANAGE}

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=False)],
        responses={
            200: PolymorphicProxySerializer(
                component_name="HostingAnswer",
                serializers=[HostingSerializer, ExpectedHostSerializer],
                resource_type_field_name=None,
            ),
            404: ErrorSerializer,  # the alternation is not configured yet
        },
    )
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        if year is not None:
            if not year.isdigit():
                raise serializers.ValidationError({"year": ["A year, e.g. 2027."]})
            host = services.expected_host(int(year))
            return Response({"year": int(year), "host": host.pk, "host_name": host.name})
        hosting = selectors.conference_hosting_get(principal=principal_of(request))
        return Response(HostingSerializer(hosting).data)

    @extend_schema(request=HostingWriteSerializer, responses=HostingSerializer)
    def put(self, request: Request) -> Response:
        data = validated(HostingWriteSerializer, request.data)
        data["first_host"] = visible_organisation(request, data["first_host"], "first_host")
        data["second_host"] = visible_organisation(request, data["second_host"], "second_host")
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


class EditionViewSet(ReadCreateViewSet):
    """Conference editions, one per year (``/editions/2027/`` works too), and their statistics."""

    serializer_class = EditionSerializer
    filterset_class = EditionFilter
    ordering = ["-year"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.GOVERNANCE_MANAGE, "statistics": Perm.GOVERNANCE_MANAGE}
    model = ConferenceEdition
    list_selector = staticmethod(selectors.edition_list)
    get_selector = staticmethod(selectors.edition_get)

    @extend_schema(request=EditionCreateSerializer, responses={201: EditionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(EditionCreateSerializer, request.data)
        data["host"] = visible_organisation(request, data["host"], "host")
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


def _created_in_edition(
    request: Request,
    write: type[serializers.Serializer[Any]],
    create: Callable[..., Any],
    read: type[serializers.ModelSerializer[Any]],
) -> Response:
    """POST: a row of one edition (named by its id or year in ``edition``), made by ``create``."""
    data = validated(write, request.data)
    principal = principal_of(request)
    data["edition"] = referenced("edition", selectors.edition_get, principal=principal, pk=data["edition"])
    return Response(read(create(actor=principal, **data)).data, status=status.HTTP_201_CREATED)


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


class PaperViewSet(ReadCreateViewSet):
    """The call for papers: anyone signed in submits while it is open; programme managers review."""

    serializer_class = PaperSerializer
    filterset_class = PaperFilter
    ordering = ["-submitted_at"]
    action_perms: ClassVar[dict[str, Perm]] = {"review": Perm.GOVERNANCE_MANAGE}
    model = Paper
    list_selector = staticmethod(selectors.paper_list)

    @extend_schema(request=PaperCreateSerializer, responses={201: PaperSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _created_in_edition(request, PaperCreateSerializer, services.paper_submit, PaperSerializer)

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


class SessionViewSet(ReadCreateViewSet):
    """The programme: sessions of each edition and their speakers."""

    serializer_class = ConferenceSessionSerializer
    filterset_class = SessionFilter
    ordering = ["starts_at", "pk"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.GOVERNANCE_MANAGE}
    model = ConferenceSession
    list_selector = staticmethod(selectors.session_list)

    @extend_schema(request=ConferenceSessionCreateSerializer, responses={201: ConferenceSessionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def with_paper_and_speakers(*, actor: Any, paper: int | None = None, **data: Any) -> ConferenceSession:
            data["paper"] = get_object_or_404(selectors.paper_list(principal=actor), pk=paper) if paper else None
            data["speakers"] = [dict(s) for s in data["speakers"]]
            return services.session_create(actor=actor, **data)

        return _created_in_edition(
            request, ConferenceSessionCreateSerializer, with_paper_and_speakers, ConferenceSessionSerializer
        )


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


class RegistrationViewSet(ReadCreateViewSet):
    """Registrations within each edition's capacity; attendance recorded at the door."""

    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilter
    ordering = ["registered_at", "pk"]
    action_perms: ClassVar[dict[str, Perm]] = {"attended": Perm.GOVERNANCE_MANAGE}
    model = Registration
    list_selector = staticmethod(selectors.registration_list)

    @extend_schema(request=RegistrationCreateSerializer, responses={201: RegistrationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _created_in_edition(
            request, RegistrationCreateSerializer, services.registration_create, RegistrationSerializer
        )

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
