"""REST API of analysis: correlations, campaigns (graph, names, notes, merges, splits), local
exclusion lists and the warning lists, sightings. Thin: services change state, selectors read."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accord.analysis import selectors, services
from accord.analysis.filters import CampaignFilter, CorrelationFilter, SightingFilter
from accord.analysis.models import (
    Campaign,
    CampaignNote,
    Correlation,
    ExclusionEntry,
    ExclusionList,
    IntelReport,
    Sighting,
)
from accord.analysis.reports import report_bundle, report_check
from accord.analysis.scoring import observable_score
from accord.analysis.selectors import trend_window
from accord.analysis.warninglists import index
from accord.core.api import SelectorViewSet, principal_of, validated
from accord.core.choices import Purpose, Tlp
from accord.core.errors import Conflict, NotFound
from accord.core.fields import PublicIdField, PublicIds
from accord.core.public_ids import encode
from accord.core.roles import Perm
from accord.formats.choices import ObservableType
from accord.policy import principal_context
from accord.sharing.services import personal_data_consulted

__all__ = [
    "CampaignViewSet",
    "CorrelationViewSet",
    "ExclusionListViewSet",
    "GradingView",
    "ReportViewSet",
    "ScoreView",
    "SightingViewSet",
    "TrendsView",
    "WarningListView",
]


class PrincipalContextMixin:
    """Puts the asker's policy context in the serializer context (``ctx``), so serializers show
    host staff what partners may not learn (totals that count objects they may not see)."""

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())  # type: ignore[misc]
        request = getattr(self, "request", None)
        if not getattr(self, "swagger_fake_view", False) and request is not None and request.user.is_authenticated:
            context["ctx"] = principal_context(principal_of(request))
        return context


class HostOnlyFields:
    """Serializer mixin: ``host_only_fields`` are left out for anyone but host staff."""

    host_only_fields: ClassVar[tuple[str, ...]] = ()
    context: dict[str, Any]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)  # type: ignore[misc]
        ctx = self.context.get("ctx")
        if ctx is None or not ctx.is_host:
            for field in self.host_only_fields:
                data.pop(field, None)
        return data


class CorrelationSerializer(HostOnlyFields, serializers.ModelSerializer[Correlation]):
    # totals, and when they last changed, count objects a partner may not see
    host_only_fields = ("organisation_count", "object_count", "over_correlating", "known_benign", "updated_at")

    observable_id = PublicIdField(source="observable.pk", read_only=True)
    type = serializers.CharField(source="observable.type", read_only=True)
    value = serializers.CharField(source="observable.value", read_only=True)
    known_benign = serializers.CharField(source="benign", read_only=True)
    correlated_at = serializers.DateTimeField(
        source="seen_correlated_at",
        read_only=True,
        allow_null=True,
        help_text="For a partner: when it and another source it may see had both reported the value.",
    )

    class Meta:
        model = Correlation
        fields: ClassVar[list[str]] = [
            "observable_id",
            "type",
            "value",
            "organisation_count",
            "object_count",
            "known_benign",
            "over_correlating",
            "correlated_at",
            "updated_at",
        ]
        read_only_fields = fields


class SourceSerializer(serializers.Serializer[Any]):
    organisation = serializers.CharField(allow_null=True, help_text="Null: the source may not be named to you.")
    objects = serializers.IntegerField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    own = serializers.BooleanField()


class CorrelationDetailSerializer(serializers.Serializer[Any]):
    observable_id = PublicIdField(source="observable.pk")
    type = serializers.CharField(source="observable.type")
    value = serializers.CharField(source="observable.value")
    correlates = serializers.BooleanField()
    known_benign = serializers.CharField()
    over_correlating = serializers.BooleanField()
    sources = SourceSerializer(many=True)
    other_sources = serializers.IntegerField(help_text="Sources you may know of but not see: no detail.")
    campaigns = serializers.ListField(child=serializers.IntegerField())


class CorrelationViewSet(PrincipalContextMixin, mixins.ListModelMixin, SelectorViewSet):
    """Observables reported by two or more organisations, as far as the asker may know.

    ``GET /correlations/<observable id>/`` says who else reported one observable."""

    model = Correlation
    serializer_class = CorrelationSerializer
    list_selector = staticmethod(selectors.correlation_list)
    filterset_class = CorrelationFilter

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The observable's id.")],
        responses=CorrelationDetailSerializer,
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        principal = principal_of(request)
        detail = selectors.correlation_detail(principal=principal, observable_id=pk)
        personal_data_consulted(
            actor=principal, observables=[detail["observable"]], purpose=Purpose.INVESTIGATION, via="api"
        )
        return Response(CorrelationDetailSerializer(detail).data)

    def paginate_queryset(self, queryset: Any) -> Any:
        """The page of a list, its phone numbers and e-mail addresses logged as consulted."""
        page = super().paginate_queryset(queryset)
        if page is not None and not getattr(self, "swagger_fake_view", False):
            personal_data_consulted(
                actor=principal_of(self.request),
                observables=[row.observable for row in page],
                purpose=Purpose.INVESTIGATION,
                via="api",
            )
        return page


class CampaignNoteSerializer(serializers.ModelSerializer[CampaignNote]):
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = CampaignNote
        fields: ClassVar[list[str]] = ["id", "text", "author", "created_at"]
        read_only_fields: ClassVar[list[str]] = ["id", "author", "created_at"]


class CampaignSerializer(HostOnlyFields, serializers.ModelSerializer[Campaign]):
    """A campaign as the asker sees it (:func:`accord.analysis.selectors.campaign_list`): for a
    partner every figure comes from the members it sees; host staff also get the totals."""

    host_only_fields = ("objects_count", "observables_count", "organisations_count", "regions", "updated_at")

    objects_seen = serializers.IntegerField(source="seen_objects", read_only=True)
    organisations_seen = serializers.IntegerField(source="seen_organisations", read_only=True)
    first_seen = serializers.DateTimeField(source="seen_first", read_only=True, allow_null=True)
    last_seen = serializers.DateTimeField(source="seen_last", read_only=True, allow_null=True)
    crime_types = serializers.ListField(child=serializers.CharField(), source="seen_crime_types", read_only=True)
    created_at = serializers.DateTimeField(
        source="seen_created",
        read_only=True,
        help_text="For a partner: when the first object it sees of the campaign was shared.",
    )
    notes = CampaignNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "description",
            "named",
            "first_seen",
            "last_seen",
            "objects_seen",
            "organisations_seen",
            "objects_count",
            "observables_count",
            "organisations_count",
            "regions",
            "crime_types",
            "created_at",
            "updated_at",
            "notes",
        ]
        read_only_fields = fields


class CampaignUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class MergeSerializer(serializers.Serializer[Any]):
    campaigns = serializers.ListField(child=serializers.IntegerField(), min_length=2)
    reason = serializers.CharField(max_length=500)


class SplitSerializer(serializers.Serializer[Any]):
    observables = serializers.ListField(child=PublicIdField(), min_length=1, help_text="Observables' ids.")
    reason = serializers.CharField(max_length=500)


class NoteSerializer(serializers.Serializer[Any]):
    text = serializers.CharField()


class CampaignViewSet(PrincipalContextMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, SelectorViewSet):
    """Campaigns: connected components of objects sharing observables that may link."""

    model = Campaign
    serializer_class = CampaignSerializer
    list_selector = staticmethod(selectors.campaign_list)
    get_selector = staticmethod(selectors.campaign_get)
    filterset_class = CampaignFilter
    action_perms: ClassVar[dict[str, Perm]] = {
        "partial_update": Perm.ANALYSIS_WORK,
        "merge": Perm.ANALYSIS_WORK,
        "split": Perm.ANALYSIS_WORK,
        "notes": Perm.ANALYSIS_WORK,
    }

    def get_queryset(self) -> Any:
        rows = super().get_queryset()
        # a partner's own campaigns carry no analysts' notes (selectors.campaign_list)
        return rows.prefetch_related("notes__author") if rows.model is Campaign else rows

    @extend_schema(request=CampaignUpdateSerializer, responses=CampaignSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        services.campaign_update(
            actor=principal_of(request), campaign=campaign, **validated(CampaignUpdateSerializer, request.data)
        )
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def graph(self, request: Request, pk: str) -> Response:
        """Nodes (objects and the observables joining them) and edges, as far as you may see."""
        campaign = self.get_object()
        principal = principal_of(request)
        graph = selectors.campaign_graph(principal=principal, campaign=campaign)
        services.campaign_graph_consulted(actor=principal, graph=graph, via="api")
        return Response(graph)

    @extend_schema(request=NoteSerializer, responses=CampaignNoteSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        note = services.campaign_annotate(
            actor=principal_of(request), campaign=campaign, **validated(NoteSerializer, request.data)
        )
        return Response(CampaignNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MergeSerializer, responses=CampaignSerializer)
    @action(detail=False, methods=["post"])
    def merge(self, request: Request) -> Response:
        data = validated(MergeSerializer, request.data)
        merged = services.campaign_merge(
            actor=principal_of(request), campaign_ids=data["campaigns"], reason=data["reason"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=merged.pk)).data)

    @extend_schema(request=SplitSerializer, responses=CampaignSerializer(many=True))
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        data = validated(SplitSerializer, request.data)
        pieces = services.campaign_split(
            actor=principal_of(request), campaign=campaign, observable_ids=data["observables"], reason=data["reason"]
        )
        rows = self.get_queryset().filter(pk__in=[p.pk for p in pieces])
        return Response(self.get_serializer(rows, many=True).data)


class ExclusionEntrySerializer(serializers.ModelSerializer[ExclusionEntry]):
    class Meta:
        model = ExclusionEntry
        fields: ClassVar[list[str]] = ["id", "type", "pattern", "comment", "created_at"]
        read_only_fields: ClassVar[list[str]] = ["id", "created_at"]


class ExclusionListSerializer(serializers.ModelSerializer[ExclusionList]):
    entries = ExclusionEntrySerializer(many=True, read_only=True)

    class Meta:
        model = ExclusionList
        fields: ClassVar[list[str]] = ["id", "name", "description", "created_at", "entries"]
        read_only_fields: ClassVar[list[str]] = ["id", "created_at", "entries"]


class EntryInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ObservableType.choices)
    pattern = serializers.CharField(max_length=2048)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ExclusionListViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, SelectorViewSet
):
    """The programme's own known-benign lists: values and patterns that never correlate, never
    link campaigns and never go into detection exports."""

    model = ExclusionList
    serializer_class = ExclusionListSerializer
    list_selector = staticmethod(selectors.exclusion_list_list)
    action_perms: ClassVar[dict[str, Perm]] = {
        "list": Perm.ANALYSIS_WORK,
        "retrieve": Perm.ANALYSIS_WORK,
        "create": Perm.ANALYSIS_WORK,
        "destroy": Perm.ANALYSIS_WORK,
        "entries": Perm.ANALYSIS_WORK,
        "entry": Perm.ANALYSIS_WORK,
    }

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("entries")

    def create(self, request: Request) -> Response:
        data = validated(ExclusionListSerializer, request.data)
        made = services.exclusion_list_create(
            actor=principal_of(request), name=data["name"], description=data.get("description", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=made.pk)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        services.exclusion_list_delete(actor=principal_of(request), exclusion_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=EntryInputSerializer, responses=ExclusionEntrySerializer)
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str) -> Response:
        data = validated(EntryInputSerializer, request.data)
        entry = services.exclusion_entry_add(actor=principal_of(request), exclusion_list=self.get_object(), **data)
        return Response(ExclusionEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"entries/(?P<entry_id>\d+)")
    def entry(self, request: Request, pk: str, entry_id: str) -> Response:
        found = self.get_object().entries.filter(pk=int(entry_id)).first()
        if found is None:
            raise NotFound(f"No entry {entry_id} on this list.")
        services.exclusion_entry_remove(actor=principal_of(request), entry=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WarningListView(APIView):
    """The MISP warning lists Accord consults (bundled with ``pymispwarninglists``)."""

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return Response({"results": index().lists()})


class SightingSerializer(PublicIds, serializers.ModelSerializer[Sighting]):
    """A sighting with the value as it was seen (never anything of a stored observable, so that a
    reporter learns nothing of whether the value was in the store)."""

    organisation = serializers.SerializerMethodField()

    class Meta:
        model = Sighting
        fields: ClassVar[list[str]] = [
            "id",
            "type",
            "value",
            "organisation",
            "first_seen",
            "last_seen",
            "count",
            "country",
            "region",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    def get_organisation(self, sighting: Sighting) -> str | None:
        ctx = self.context.get("ctx")
        if ctx is None or selectors.may_name_sighter(ctx, sighting):
            return sighting.organisation.name
        return None


class SightingInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ObservableType.choices)
    value = serializers.CharField(max_length=2048)
    seen_at = serializers.DateTimeField(required=False)
    last_seen = serializers.DateTimeField(required=False)
    count = serializers.IntegerField(required=False, default=1)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SightingViewSet(PrincipalContextMixin, mixins.ListModelMixin, mixins.CreateModelMixin, SelectorViewSet):
    """Sightings: who saw an observable, when; the originators' feedback."""

    model = Sighting
    serializer_class = SightingSerializer
    list_selector = staticmethod(selectors.sighting_list)
    filterset_class = SightingFilter
    action_perms: ClassVar[dict[str, Perm]] = {"create": Perm.SHARING_SUBMIT}

    @extend_schema(request=SightingInputSerializer, responses=SightingSerializer)
    def create(self, request: Request) -> Response:
        sighting = services.sighting_record(
            actor=principal_of(request), **validated(SightingInputSerializer, request.data)
        )
        return Response(self.get_serializer(sighting).data, status=status.HTTP_201_CREATED)


class ReportSerializer(HostOnlyFields, serializers.ModelSerializer[IntelReport]):
    # recipients see the report, not the analysts' workings
    host_only_fields = ("dissemination", "audience_organisations", "campaigns", "objects", "created_by")

    audience_organisations = serializers.SerializerMethodField()
    campaigns = serializers.SerializerMethodField()
    objects = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    taxii_collection = serializers.SerializerMethodField()

    class Meta:
        model = IntelReport
        fields: ClassVar[list[str]] = [
            "id",
            "stix_id",
            "title",
            "summary",
            "assessment",
            "tlp",
            "audience",
            "audience_organisations",
            "audience_regions",
            "campaigns",
            "objects",
            "status",
            "dissemination",
            "created_by",
            "created_at",
            "updated_at",
            "disseminated_at",
            "taxii_collection",
        ]
        read_only_fields = fields

    def get_taxii_collection(self, report: IntelReport) -> str | None:
        """The id of the TAXII collection its recipients read it from, once disseminated."""
        return str(report.collection_id) if report.collection_id else None

    def get_audience_organisations(self, report: IntelReport) -> list[int]:
        return sorted(report.audience_organisations.values_list("pk", flat=True))

    def get_campaigns(self, report: IntelReport) -> list[int]:
        return sorted(report.campaigns.values_list("pk", flat=True))

    def get_objects(self, report: IntelReport) -> list[str]:
        return sorted(set(report.objects_included.values_list("stix_id", flat=True)))


class ReportInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField()
    assessment = serializers.CharField(required=False, allow_blank=True, default="")
    tlp = serializers.CharField(required=False, default=Tlp.AMBER)
    audience = serializers.CharField()
    audience_organisations = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    audience_regions = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    campaigns = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    objects = serializers.ListField(child=serializers.CharField(), required=False, default=list)


def _report_arguments(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["campaign_ids"] = data.pop("campaigns", [])
    data["object_ids"] = data.pop("objects", [])
    return data


class ReportViewSet(PrincipalContextMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, SelectorViewSet):
    """Intelligence reports: drafted by analysts from campaigns and objects, checked against every
    source's agreement for the audience, disseminated as STIX 2.1 and as a printable page."""

    model = IntelReport
    serializer_class = ReportSerializer
    list_selector = staticmethod(selectors.report_list)
    get_selector = staticmethod(selectors.report_get)
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.ANALYSIS_WORK,
        "partial_update": Perm.ANALYSIS_WORK,
        "check": Perm.ANALYSIS_WORK,
        "disseminate": Perm.ANALYSIS_WORK,
    }

    @extend_schema(request=ReportInputSerializer, responses=ReportSerializer)
    def create(self, request: Request) -> Response:
        data = _report_arguments(validated(ReportInputSerializer, request.data))
        report = services.report_save(actor=principal_of(request), **data)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportInputSerializer, responses=ReportSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        current = {
            "title": report.title,
            "summary": report.summary,
            "assessment": report.assessment,
            "tlp": report.tlp,
            "audience": report.audience,
            "audience_organisations": list(report.audience_organisations.values_list("pk", flat=True)),
            "audience_regions": report.audience_regions,
            "campaigns": list(report.campaigns.values_list("pk", flat=True)),
            "objects": list(report.objects_included.values_list("stix_id", flat=True)),
        }
        data = _report_arguments(validated(ReportInputSerializer, current | dict(request.data)))
        report = services.report_save(actor=principal_of(request), report=report, **data)
        return Response(self.get_serializer(report).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def check(self, request: Request, pk: str) -> Response:
        """What would go to the audience now, and what would be blocked and why (changes nothing)."""
        return Response(report_check(self.get_object()))

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def disseminate(self, request: Request, pk: str) -> Response:
        report = services.report_disseminate(actor=principal_of(request), report=self.get_object())
        return Response(self.get_serializer(report).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def bundle(self, request: Request, pk: str) -> Response:
        """The report as a STIX 2.1 bundle, each object as the policy gives it to you."""
        report = self.get_object()
        if report.status != IntelReport.Status.DISSEMINATED:
            raise Conflict("status: a draft has no bundle yet; disseminate it first.")
        reader = principal_of(request)
        bundle = report_bundle(report, reader)
        services.report_bundle_consulted(actor=reader, report=report, bundle=bundle, via="api")
        return Response(bundle)


class TrendsView(APIView):
    """Counts by crime type × region × month, top correlations, new campaigns, contributions."""

    @extend_schema(
        parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
        responses=dict,
    )
    def get(self, request: Request) -> Response:
        since, until = trend_window(request.query_params.get("since"), request.query_params.get("until"))
        trends = selectors.trends(principal=principal_of(request), since=since, until=until)
        # the observables by their public ids, as everywhere else the API names them
        trends["top_correlated"] = [
            row | {"observable_id": encode(row["observable_id"])} for row in trends["top_correlated"]
        ]
        return Response(trends)


class ScoreView(APIView):
    """The confidence score of one observable, with what made it (``docs/analysis.md``)."""

    @extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)], responses=dict)
    def get(self, request: Request, pk: str) -> Response:
        principal = principal_of(request)
        observable = selectors.observable_for_score(principal=principal, pk=pk)
        return Response(observable_score(principal=principal, observable=observable).as_dict())


class GradingSerializer(serializers.Serializer[Any]):
    object = serializers.CharField(help_text="The STIX id; every version is graded.")
    reliability = serializers.CharField(required=False, help_text="Source reliability A–D or X.")
    credibility = serializers.IntegerField(required=False, help_text="Information credibility 1–4.")
    reason = serializers.CharField(max_length=500)


class GradingView(APIView):
    """An analyst grades an object: reliability overriding the source's grade, credibility."""

    action_perms: ClassVar[dict[str, Perm]] = {"post": Perm.ANALYSIS_WORK}

    @extend_schema(request=GradingSerializer, responses=dict)
    def post(self, request: Request) -> Response:
        data = validated(GradingSerializer, request.data)
        count = services.object_grade(
            actor=principal_of(request),
            stix_id=data["object"],
            reliability=data.get("reliability"),
            credibility=data.get("credibility"),
            reason=data["reason"],
        )
        return Response({"graded_versions": count})
