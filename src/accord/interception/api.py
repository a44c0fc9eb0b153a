"""REST API of payment interception, under ``/api/v1/interceptions/``: raise, read (every read is
logged as a consultation of personal data), acknowledge, report outcomes, withdraw, link to an
operation, the chain, what waits, the reports, the routing's directory of institutions, and the
bank directory (where requests can go, and who would receive one for an account).
Requests are named by their reference. Thin: services change state, selectors read."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.fields import choice_field
from accord.core.roles import Perm
from accord.core.viewsets import SelectorViewSet, principal_of, validated, visible_organisation
from accord.interception import directory, reports, selectors, services
from accord.interception.choices import AccountKind, InstitutionKind, OutcomeKind
from accord.interception.filters import DirectoryFilter, InterceptionFilter
from accord.interception.models import Institution, InterceptionOutcome, InterceptionRequest
from accord.operations.choices import CrimeType

__all__ = ["BankDirectoryViewSet", "InstitutionViewSet", "InterceptionViewSet"]


class InterceptionOutcomeSerializer(serializers.ModelSerializer[InterceptionOutcome]):
    onward = serializers.CharField(source="onward.reference", default=None, allow_null=True, read_only=True)

    class Meta:
        model = InterceptionOutcome
        fields: ClassVar[list[str]] = ["kind", "amount", "currency", "onward", "note", "recorded_at"]
        read_only_fields = fields


class InterceptionSerializer(serializers.ModelSerializer[InterceptionRequest]):
    requester = serializers.IntegerField(source="requester_id", read_only=True)
    requester_name = serializers.CharField(source="requester.name", read_only=True)
    raised_by = serializers.IntegerField(source="raised_by_id", read_only=True)
    raised_by_name = serializers.CharField(source="raised_by.name", read_only=True)
    addressee = serializers.IntegerField(source="addressee_id", read_only=True)
    addressee_name = serializers.CharField(source="addressee.name", read_only=True)
    follows = serializers.CharField(
        source="parent.reference",
        default=None,
        allow_null=True,
        read_only=True,
        help_text="The request whose onward transfer raised this one.",
    )
    operation = serializers.IntegerField(source="operation_id", allow_null=True, read_only=True)

    class Meta:
        model = InterceptionRequest
        fields: ClassVar[list[str]] = [
            "reference",
            "follows",
            "status",
            "requester",
            "requester_name",
            "raised_by",
            "raised_by_name",
            "addressee",
            "addressee_name",
            "routed_as",
            "routing_note",
            "account_kind",
            "iban",
            "account_number",
            "bic",
            "bank_name",
            "account_country",
            "wallet",
            "wallet_currency",
            "exchange",
            "amount",
            "currency",
            "transferred_at",
            "victim_bank",
            "crime_type",
            "case_reference",
            "legal_basis",
            "raised_at",
            "ack_due",
            "outcome_due",
            "acknowledged_at",
            "first_outcome_at",
            "ack_escalated_at",
            "outcome_escalated_at",
            "withdrawn_reason",
            "stix_id",
            "operation",
        ]
        read_only_fields = fields


class InterceptionDetailSerializer(InterceptionSerializer):
    outcomes = InterceptionOutcomeSerializer(many=True, read_only=True)
    seen_in_shared = serializers.SerializerMethodField(
        help_text="STIX ids of shared objects you may see that mention the beneficiary account (a mule "
        "account partners reported too), the request's own left out."
    )

    class Meta(InterceptionSerializer.Meta):
        fields: ClassVar[list[str]] = [*InterceptionSerializer.Meta.fields, "outcomes", "seen_in_shared"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_seen_in_shared(self, row: InterceptionRequest) -> list[str]:
        principal = self.context.get("principal")
        if principal is None:
            return []
        found = selectors.interception_seen_in_shared(principal=principal, request=row)
        return sorted(set(found.values_list("stix_id", flat=True)[:100]))


class InterceptionBeneficiarySerializer(serializers.Serializer[Any]):
    """The beneficiary account; which fields count depends on ``account_kind`` (the service checks them)."""

    account_kind = choice_field(AccountKind)
    iban = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    account_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    bic = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)
    wallet = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    wallet_currency = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=8, help_text="btc, eth or xmr."
    )
    exchange = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)


class InterceptionRaiseSerializer(InterceptionBeneficiarySerializer):
    amount = serializers.CharField(max_length=40, help_text="A positive amount, e.g. 48500.00.")
    currency = serializers.CharField(max_length=8, help_text="ISO 4217, e.g. EUR.")
    transferred_at = serializers.DateTimeField(help_text="When the fraudulent transfer left; not in the future.")
    victim_bank = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    crime_type = choice_field(CrimeType)
    case_reference = serializers.CharField(max_length=80)
    legal_basis = serializers.CharField(max_length=2000)
    on_behalf_of = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The programme only: the unit whose case it is."
    )


class InterceptionOnwardSerializer(InterceptionBeneficiarySerializer):
    transferred_at = serializers.DateTimeField(help_text="When the funds left onward.")


class InterceptionOutcomeCreateSerializer(serializers.Serializer[Any]):
    kind = choice_field(OutcomeKind)
    amount = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        max_length=40,
        help_text="For frozen, recalled and gone: the amount concerned.",
    )
    currency = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=8, help_text="Empty: the request's currency."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    onward = InterceptionOnwardSerializer(required=False, allow_null=True, default=None)


class InterceptionWithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class InterceptionOperationLinkSerializer(serializers.Serializer[Any]):
    operation = serializers.IntegerField(allow_null=True, help_text="An operation you see; null unlinks.")


class InterceptionWaitingSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(source="request.reference")
    addressee_name = serializers.CharField(source="request.addressee.name")
    waiting_for = serializers.CharField()
    due = serializers.DateTimeField()
    late_by_minutes = serializers.SerializerMethodField()

    def get_late_by_minutes(self, waiting: Any) -> int | None:
        return int(waiting.late_by.total_seconds() // 60) if waiting.late_by is not None else None


class InterceptionReportRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    requests = serializers.IntegerField()
    ack_median = serializers.FloatField(allow_null=True, help_text="Hours.")
    ack_p90 = serializers.FloatField(allow_null=True, help_text="Hours.")
    outcome_median = serializers.FloatField(allow_null=True, help_text="Hours.")
    outcome_p90 = serializers.FloatField(allow_null=True, help_text="Hours.")
    in_time = serializers.FloatField(allow_null=True, help_text="Share of requests with a first outcome in time.")
    frozen = serializers.DictField(child=serializers.DecimalField(max_digits=18, decimal_places=2))
    recalled = serializers.DictField(child=serializers.DecimalField(max_digits=18, decimal_places=2))


BY = OpenApiParameter("by", OpenApiTypes.STR, enum=list(reports.GROUPINGS), description="Group by (default month).")


class InterceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SelectorViewSet):
    """Payment-interception requests you may see: the ones your organisation raised, is asked to
    act on, or whose case it is (the programme's staff: all). Every read is logged as a
    consultation of personal data."""

    serializer_class = InterceptionSerializer
    filterset_class = InterceptionFilter
    lookup_field = "reference"
    lookup_value_regex = "ICP-[A-Za-z0-9-]+"  # never "report", "waiting" …: those are routes of their own
    ordering_fields: ClassVar[list[str]] = ["raised_at", "ack_due", "outcome_due", "amount"]
    ordering = ["-raised_at"]
    action_perms: ClassVar[dict[str, Perm]] = {
        name: Perm.SHARING_SUBMIT for name in ("create", "acknowledge", "outcomes.post", "withdraw", "operation")
    }
    model = InterceptionRequest
    list_selector = staticmethod(selectors.interception_list)

    def get_object(self) -> InterceptionRequest:
        return selectors.interception_get(principal=principal_of(self.request), pk=self.kwargs["reference"])

    def _detail(self, request: Request, reference: str, code: int = status.HTTP_200_OK) -> Response:
        row = selectors.interception_get(principal=principal_of(request), pk=reference)
        services.interceptions_consulted(actor=principal_of(request), requests=[row], via="api")
        answer = InterceptionDetailSerializer(row, context={"principal": principal_of(request)})
        return Response(answer.data, status=code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        shown = [row["reference"] for row in (response.data.get("results", response.data) or [])]
        rows = InterceptionRequest.objects.filter(reference__in=shown)
        services.interceptions_consulted(actor=principal_of(request), requests=rows, via="api")
        return response

    @extend_schema(responses=InterceptionDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(request, kwargs["reference"])

    @extend_schema(request=InterceptionRaiseSerializer, responses={201: InterceptionDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(InterceptionRaiseSerializer, request.data)
        behalf = data.pop("on_behalf_of")
        data["on_behalf_of"] = visible_organisation(request, behalf, "on_behalf_of") if behalf else None
        created = services.interception_raise(actor=principal_of(request), **data)
        return self._detail(request, created.reference, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InterceptionDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request: Request, reference: str) -> Response:
        """The addressee has the request in hand."""
        services.interception_acknowledge(actor=principal_of(request), request=self.get_object())
        return self._detail(request, reference)

    @extend_schema(methods=["GET"], responses=InterceptionOutcomeSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=InterceptionOutcomeCreateSerializer, responses={201: InterceptionDetailSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def outcomes(self, request: Request, reference: str) -> Response:
        """GET: the outcomes reported. POST: report one (funds gone: the onward transfer raises the next request)."""
        row = self.get_object()
        if request.method == "POST":
            data = validated(InterceptionOutcomeCreateSerializer, request.data)
            services.interception_report(actor=principal_of(request), request=row, **data)
            return self._detail(request, reference, status.HTTP_201_CREATED)
        services.interceptions_consulted(actor=principal_of(request), requests=[row], via="api")
        return Response(InterceptionOutcomeSerializer(row.outcomes.all(), many=True).data)

    @extend_schema(request=InterceptionWithdrawSerializer, responses=InterceptionDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request: Request, reference: str) -> Response:
        """Withdraw the request (it is kept, marked withdrawn)."""
        data = validated(InterceptionWithdrawSerializer, request.data)
        services.interception_withdraw(actor=principal_of(request), request=self.get_object(), **data)
        return self._detail(request, reference)

    @extend_schema(request=InterceptionOperationLinkSerializer, responses=InterceptionDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def operation(self, request: Request, reference: str) -> Response:
        """Link the request to a joint operation you see (null unlinks)."""
        data = validated(InterceptionOperationLinkSerializer, request.data)
        services.interception_link_operation(actor=principal_of(request), request=self.get_object(), **data)
        return self._detail(request, reference)

    @extend_schema(responses=InterceptionDetailSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def chain(self, request: Request, reference: str) -> Response:
        """The requests of this one's chain of onward transfers that you may see, in order."""
        rows = selectors.interception_chain(principal=principal_of(request), request=self.get_object())
        services.interceptions_consulted(actor=principal_of(request), requests=rows, via="api")
        answer = InterceptionDetailSerializer(rows, many=True, context={"principal": principal_of(request)})
        return Response(answer.data)

    @extend_schema(responses=InterceptionWaitingSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def waiting(self, request: Request) -> Response:
        """What waits for an answer from your organisation (the programme: from anyone), most overdue first."""
        rows = selectors.interceptions_waiting(principal=principal_of(request))
        return Response(InterceptionWaitingSerializer(rows, many=True).data)

    @extend_schema(parameters=[BY], responses=InterceptionReportRowSerializer(many=True), filters=True)
    @action(detail=False, methods=["get"], pagination_class=None)
    def report(self, request: Request) -> Response:
        """Requests, acknowledgement and outcome times (median, 90th percentile, hours), amounts
        frozen and recalled per currency (never converted) and the share answered in time, grouped."""
        by = request.query_params.get("by") or "month"
        rows = reports.report_rows(self.filter_queryset(self.get_queryset()), by=by)
        return Response(InterceptionReportRowSerializer(rows, many=True).data)

    @extend_schema(parameters=[BY], responses={(200, "text/csv"): OpenApiTypes.STR}, filters=True)
    @action(detail=False, methods=["get"], url_path="report-csv", pagination_class=None)
    def report_csv(self, request: Request) -> HttpResponse:
        """The report as CSV (cells a spreadsheet would take for a formula are neutralised)."""
        by = request.query_params.get("by") or "month"
        rows = reports.report_rows(self.filter_queryset(self.get_queryset()), by=by)
        response = HttpResponse(reports.report_csv(rows, by=by), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="interceptions-by-{by}.csv"'
        return response


class InstitutionSerializer(serializers.ModelSerializer[Institution]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Institution
        fields: ClassVar[list[str]] = ["id", "organisation", "organisation_name", "kind", "bic8", "name", "created_at"]
        read_only_fields = fields


class InstitutionCreateSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    kind = choice_field(InstitutionKind)
    bic = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)


class InstitutionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """The partner banks (by BIC) and exchanges (by name) the routing knows."""

    serializer_class = InstitutionSerializer
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.PARTNERSHIP_MANAGE}
    model = Institution
    list_selector = staticmethod(selectors.institution_list)

    @extend_schema(request=InstitutionCreateSerializer, responses={201: InstitutionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(InstitutionCreateSerializer, request.data)
        data["organisation"] = visible_organisation(request, data["organisation"], "organisation")
        made = services.institution_register(actor=principal_of(request), **data)
        return Response(InstitutionSerializer(made).data, status=status.HTTP_201_CREATED)


class BankDirectoryEntrySerializer(serializers.ModelSerializer[Institution]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    country = serializers.CharField(source="organisation.country", read_only=True)
    country_name = serializers.CharField(source="organisation.country_name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Institution
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "kind",
            "kind_label",
            "bic8",
            "country",
            "country_name",
            "organisation",
            "organisation_name",
        ]
        read_only_fields = fields


class RouteLookupSerializer(serializers.Serializer[Any]):
    asked = serializers.CharField()
    understood_as = serializers.CharField()
    bic = serializers.CharField(source="beneficiary.bic")
    account_country = serializers.CharField(source="beneficiary.account_country")
    addressee = serializers.IntegerField(source="route.addressee.pk")
    addressee_name = serializers.CharField(source="route.addressee.name")
    routed_as = serializers.CharField(source="route.routed_as")
    reason = serializers.CharField()
    note = serializers.CharField(source="route.note")
    ack_hours = serializers.IntegerField(source="route.ack_hours")
    outcome_hours = serializers.IntegerField(source="route.outcome_hours")


class BankDirectoryViewSet(mixins.ListModelMixin, SelectorViewSet):
    """The banks and exchanges requests can be routed to (their agreement in force covers payment
    interception), and who would receive a request for an account: for the programme's staff
    and law-enforcement units."""

    serializer_class = BankDirectoryEntrySerializer
    filterset_class = DirectoryFilter
    ordering = ["name"]
    model = Institution
    list_selector = staticmethod(directory.directory_list)

    @extend_schema(
        parameters=[OpenApiParameter("account", str, required=True, description="An IBAN, a BIC or an exchange.")],
        responses=RouteLookupSerializer,
    )
    @action(detail=False, methods=["get"])
    def route(self, request: Request) -> Response:
        """Who would receive a request for this account, and why (the routing itself; nothing recorded)."""
        found = directory.directory_lookup(
            principal=principal_of(request), text=request.query_params.get("account", "")
        )
        return Response(RouteLookupSerializer(found).data)
