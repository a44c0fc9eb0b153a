"""``/api/v1/enrichers/``, ``/api/v1/enrichments/`` and ``/api/v1/observables/<id>/enrichments/``:
configure analysis tools, run them on an observable, read their results."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.choices import Purpose, Tlp
from accord.core.errors import ValidationFailed
from accord.core.fields import PublicIdField, PublicIds, choice_field
from accord.core.roles import Perm, has_perm
from accord.core.schema import ErrorSerializer
from accord.core.selectors import organisation_get
from accord.core.viewsets import ReadWriteViewSet, SelectorViewSet, principal_of, referenced, validated
from accord.enrichment import selectors
from accord.enrichment.enrichers import ENRICHERS
from accord.enrichment.filters import EnricherFilter, EnrichmentFilter
from accord.enrichment.models import Enricher, Enrichment
from accord.enrichment.services import enricher_add, enricher_problem, enricher_update, observable_enrich
from accord.formats.choices import ObservableType
from accord.partners.models import Agreement
from accord.sharing.services import personal_data_consulted

__all__ = ["EnricherViewSet", "EnrichmentViewSet", "ObservableEnrichmentViewSet"]


class EnricherSerializer(serializers.ModelSerializer[Enricher]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    agreement = serializers.CharField(source="agreement.reference", default=None, allow_null=True, read_only=True)
    offline = serializers.SerializerMethodField(help_text="Runs inside the platform; needs no network.")
    has_secret = serializers.SerializerMethodField()
    problem = serializers.SerializerMethodField(help_text="Why it may not run now; empty when it may.")

    class Meta:
        model = Enricher
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "title",
            "kind",
            "organisation",
            "organisation_name",
            "agreement",
            "types",
            "tlp_ceiling",
            "timeout_seconds",
            "enabled",
            "run_on_ingest",
            "url",
            "offline",
            "has_secret",
            "problem",
            "created_at",
        ]
        read_only_fields = fields

    def get_offline(self, enricher: Enricher) -> bool:
        cls = ENRICHERS.get(enricher.kind)
        return bool(cls and cls.offline)

    def get_has_secret(self, enricher: Enricher) -> bool:
        return bool(enricher.secret_sealed)

    def get_problem(self, enricher: Enricher) -> str:
        return enricher_problem(enricher)


class EnricherWriteSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=64)
    kind = serializers.CharField(max_length=32, help_text="iban, phone, domain, crypto or http.")
    organisation = serializers.IntegerField(help_text="The providing organisation.")
    agreement = serializers.CharField(required=False, allow_null=True, help_text="Its analysis-tools agreement.")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    types = serializers.ListField(child=choice_field(ObservableType), required=False)
    tlp_ceiling = choice_field(Tlp)
    timeout_seconds = serializers.IntegerField(required=False)
    enabled = serializers.BooleanField(required=False)
    run_on_ingest = serializers.BooleanField(required=False)
    url = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    secret = serializers.CharField(required=False, allow_blank=True, write_only=True, trim_whitespace=False)


def _agreement(reference: str | None) -> Agreement | None:
    if not reference:
        return None
    found = Agreement.objects.filter(reference=reference).first()
    if found is None:
        raise ValidationFailed(f"agreement: no agreement {reference}.", details={"agreement": ["Unknown."]})
    return found


class EnricherViewSet(ReadWriteViewSet):
    """Analysis tools: host staff see all, a partner the tools it provides; administrators configure."""

    serializer_class = EnricherSerializer
    filterset_class = EnricherFilter
    ordering_fields: ClassVar[list[str]] = ["name", "kind", "created_at"]
    ordering = ["name"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.PLATFORM_ADMIN,
        "update": Perm.PLATFORM_ADMIN,
        "partial_update": Perm.PLATFORM_ADMIN,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = Enricher
    list_selector = staticmethod(selectors.enricher_list)
    get_selector = staticmethod(selectors.enricher_get)

    @extend_schema(request=EnricherWriteSerializer, responses={201: EnricherSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = principal_of(request)
        data = validated(EnricherWriteSerializer, request.data)
        data["organisation"] = referenced("organisation", organisation_get, principal=actor, pk=data["organisation"])
        data["agreement"] = _agreement(data.get("agreement"))
        enricher = enricher_add(actor=actor, **data)
        return Response(EnricherSerializer(enricher).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnricherWriteSerializer, responses=EnricherSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enricher = self.get_object()
        data = validated(EnricherWriteSerializer, request.data, partial=True)
        for fixed in ("name", "kind", "organisation"):
            if fixed in data:
                raise ValidationFailed(
                    f"{fixed}: cannot be changed; add another enricher.", details={fixed: ["Fixed."]}
                )
        if "agreement" in data:
            data["agreement"] = _agreement(data["agreement"])
        secret = data.pop("secret", None)
        enricher = enricher_update(actor=principal_of(request), enricher=enricher, secret=secret, **data)
        return Response(EnricherSerializer(enricher).data)


class EnrichmentSerializer(PublicIds, serializers.ModelSerializer[Enrichment]):
    """One result with its provenance: which tool, provided by whom, asked by whom, at which TLP.

    Reads rows of :func:`~accord.enrichment.selectors.enrichment_list`, which says what
    of the provenance the reader may have (``submission`` and ``tlp_sent`` are null otherwise)."""

    observable_type = serializers.CharField(source="observable.type", read_only=True)
    observable_value = serializers.CharField(source="observable.value", read_only=True)
    enricher = serializers.CharField(source="enricher.name", read_only=True)
    enricher_title = serializers.CharField(source="enricher.title", read_only=True)
    provider = serializers.CharField(source="provider.name", read_only=True)
    requested_by = serializers.SerializerMethodField(help_text="Who asked (host staff see the name); null on ingest.")
    submission = PublicIdField(
        source="shown_submission",
        allow_null=True,
        read_only=True,
        help_text="The submission whose ingest ran it; a partner sees only its own organisation's.",
    )
    tlp_sent = serializers.CharField(
        source="shown_tlp",
        allow_null=True,
        read_only=True,
        help_text="The TLP the value was sent at; a partner sees it only for the tools it provides.",
    )

    class Meta:
        model = Enrichment
        fields: ClassVar[list[str]] = [
            "id",
            "observable",
            "observable_type",
            "observable_value",
            "enricher",
            "enricher_title",
            "provider",
            "requested_by",
            "trigger",
            "submission",
            "tlp_sent",
            "status",
            "result",
            "error",
            "duration_ms",
            "created_at",
        ]
        read_only_fields = fields

    def get_requested_by(self, enrichment: Enrichment) -> str | None:
        if enrichment.requested_by is None:
            return None
        viewer = self.context.get("request")
        if viewer is not None and not has_perm(viewer.user, Perm.ORGANISATION_VIEW_ALL):
            return "host staff"
        return enrichment.requested_by.username


class _ConsultedViewSet(SelectorViewSet):
    """Results name their observables: the phone numbers and e-mail addresses a response shows
    are logged as consulted personal data (``personal_data_consulted``); other reads write nothing."""

    def consulted(self, results: Any) -> None:
        personal_data_consulted(
            actor=principal_of(self.request),
            observables=[r.observable for r in results],
            purpose=Purpose.INVESTIGATION,
            via="api",
        )

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        if page is not None and not getattr(self, "swagger_fake_view", False):
            self.consulted(page)
        return page


class EnrichmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _ConsultedViewSet):
    """Stored enrichment results on observables you may see."""

    serializer_class = EnrichmentSerializer
    filterset_class = EnrichmentFilter
    ordering_fields: ClassVar[list[str]] = ["created_at"]
    ordering = ["-created_at", "-id"]
    model = Enrichment
    list_selector = staticmethod(selectors.enrichment_list)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enrichment = self.get_object()
        self.consulted([enrichment])
        return Response(self.get_serializer(enrichment).data)


class EnrichRequestSerializer(serializers.Serializer[Any]):
    enricher = serializers.CharField(help_text="The enricher's name or id.")


class ObservableEnrichmentViewSet(mixins.ListModelMixin, _ConsultedViewSet):
    """One observable's enrichment results; analysts run an enricher on it (``POST``)."""

    serializer_class = EnrichmentSerializer
    filterset_class = EnrichmentFilter
    ordering_fields: ClassVar[list[str]] = ["created_at"]
    ordering = ["-created_at", "-id"]
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.ANALYSIS_WORK}
    model = Enrichment

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Enrichment.objects.none()
        principal = principal_of(self.request)
        observable = selectors.observable_get(principal=principal, pk=self.kwargs["observable_id"])
        return selectors.enrichment_list(principal=principal, observable=observable)

    @extend_schema(
        request=EnrichRequestSerializer,
        responses={
            201: EnrichmentSerializer,
            403: ErrorSerializer,
        },
    )
    def create(self, request: Request, observable_id: int) -> Response:
        """Run an enricher now; the result (``ok`` or ``failed`` with the reason) is stored and returned.
        403 when the observable's TLP is above the enricher's ceiling: nothing is sent."""
        actor = principal_of(request)
        observable = selectors.observable_get(principal=actor, pk=observable_id)
        data = validated(EnrichRequestSerializer, request.data)
        enricher = referenced("enricher", selectors.enricher_get, principal=actor, pk=data["enricher"])
        stored = observable_enrich(actor=actor, observable=observable, enricher=enricher)
        enrichment = selectors.enrichment_list(principal=actor, observable=observable).get(pk=stored.pk)
        self.consulted([enrichment])
        body = EnrichmentSerializer(enrichment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)
