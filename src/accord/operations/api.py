"""REST API of joint operations, under ``/api/v1/governance/operations/`` (the path they had
under governance): participants, phases, linked intelligence and outcomes. Thin: services
change state, selectors read, one filter for the list."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.analysis.models import Campaign
from accord.core.fields import IdsField, choice_field, choice_list_field
from accord.core.roles import Perm
from accord.core.viewsets import DetailViewSet, principal_of, validated, visible_organisation
from accord.operations import selectors, services
from accord.operations.choices import OUTCOME_COUNTS, CrimeType, OperationStatus
from accord.operations.filters import OperationFilter
from accord.operations.models import Operation, OperationOutcome, OperationPhase
from accord.sharing.models import StixObject

__all__ = ["OperationViewSet"]


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
    funds = serializers.DictField(
        child=FundsSerializer(), help_text="Per currency, never converted; includes the funds intercepted."
    )
    intercepted = serializers.DictField(
        child=FundsSerializer(), help_text="Of which frozen and recalled under linked payment-interception requests."
    )


class OperationViewSet(DetailViewSet):
    """Joint operations: participants, phases, linked intelligence (through the policy),
    outcomes and their totals."""

    serializer_class = OperationSerializer
    filterset_class = OperationFilter
    ordering_fields: ClassVar[list[str]] = ["start_date", "name", "status"]
    ordering = ["-start_date", "name"]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: Perm.GOVERNANCE_MANAGE for name in ("create", "participants", "transition", "phases", "outcomes.post")
    }
    model = Operation
    list_selector = staticmethod(selectors.operation_list)
    get_selector = staticmethod(selectors.operation_get)
    detail_serializer = OperationDetailSerializer

    @extend_schema(request=OperationCreateSerializer, responses={201: OperationDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(OperationCreateSerializer, request.data)
        data["lead"] = visible_organisation(request, data["lead"], "lead")
        data["participants"] = [visible_organisation(request, o, "participants") for o in data["participants"]]
        operation = services.operation_create(actor=principal_of(request), **data)
        return self.detail_response(request, operation.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ParticipantsSerializer, responses=OperationDetailSerializer)
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, pk: str) -> Response:
        data = validated(ParticipantsSerializer, request.data)
        members = [visible_organisation(request, o, "participants") for o in data["participants"]]
        services.operation_set_participants(
            actor=principal_of(request), operation=self.get_object(), participants=members
        )
        return self.detail_response(request, pk)

    @extend_schema(request=OperationTransitionSerializer, responses=OperationDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = validated(OperationTransitionSerializer, request.data)
        services.operation_transition(actor=principal_of(request), operation=self.get_object(), **data)
        return self.detail_response(request, pk)

    @extend_schema(request=PhaseCreateSerializer, responses=OperationDetailSerializer)
    @action(detail=True, methods=["post"])
    def phases(self, request: Request, pk: str) -> Response:
        data = validated(PhaseCreateSerializer, request.data)
        services.operation_phase_add(actor=principal_of(request), operation=self.get_object(), **data)
        return self.detail_response(request, pk)

    @extend_schema(methods=["GET"], responses=LinkedObjectSerializer(many=True))
    @extend_schema(methods=["POST"], request=LinkSerializer, responses={201: LinkedObjectSerializer(many=True)})
    @extend_schema(methods=["DELETE"], request=LinkSerializer, responses={204: None})
    @action(detail=True, methods=["get", "post", "delete"])
    def objects(self, request: Request, pk: str) -> Response:
        """GET: the linked intelligence you may see. POST: link an object you may see. DELETE: unlink."""
        return self._links(
            request,
            LinkSerializer,
            services.operation_link_object,
            services.operation_unlink_object,
            "stix_id",
            selectors.operation_objects,
            LinkedObjectSerializer,
        )

    @extend_schema(methods=["GET"], responses=LinkedCampaignSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=CampaignLinkSerializer, responses={201: LinkedCampaignSerializer(many=True)}
    )
    @extend_schema(methods=["DELETE"], request=CampaignLinkSerializer, responses={204: None})
    @action(detail=True, methods=["get", "post", "delete"])
    def campaigns(self, request: Request, pk: str) -> Response:
        """GET: the linked campaigns you may see. POST: link a campaign you may see. DELETE: unlink."""
        return self._links(
            request,
            CampaignLinkSerializer,
            services.operation_link_campaign,
            services.operation_unlink_campaign,
            "campaign",
            selectors.operation_campaigns,
            LinkedCampaignSerializer,
        )

    def _links(
        self,
        request: Request,
        link_serializer: type[serializers.Serializer[Any]],
        link: Callable[..., Any],
        unlink: Callable[..., Any],
        key: str,
        linked: Callable[..., Any],
        answer: type[serializers.Serializer[Any]],
    ) -> Response:
        """One link collection of the operation: GET lists what ``linked`` lets the principal see,
        POST links through ``link`` (201 with the list), DELETE unlinks the one ``key`` names (204)."""
        principal = principal_of(request)
        operation = self.get_object()
        if request.method == "POST":
            link(actor=principal, operation=operation, **validated(link_serializer, request.data))
        elif request.method == "DELETE":
            data = validated(link_serializer, request.data)
            unlink(actor=principal, operation=operation, **{key: data[key]})
            return Response(status=status.HTTP_204_NO_CONTENT)
        rows = linked(principal=principal, operation=operation)
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(answer(rows, many=True).data, status=code)

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
