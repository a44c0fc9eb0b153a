"""API routes of the analysis app, mounted under ``/api/v1/``."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from accord.analysis import api, enrichment_api

app_name = "analysis-api"

router = SimpleRouter()
router.register("correlations", api.CorrelationViewSet, basename="correlation")
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("exclusion-lists", api.ExclusionListViewSet, basename="exclusion-list")
router.register("sightings", api.SightingViewSet, basename="sighting")
router.register("reports", api.ReportViewSet, basename="report")
router.register("enrichers", enrichment_api.EnricherViewSet, basename="enricher")
router.register("enrichments", enrichment_api.EnrichmentViewSet, basename="enrichment")

urlpatterns = [
    path("warning-lists/", api.WarningListView.as_view(), name="warning-lists"),
    path("trends/", api.TrendsView.as_view(), name="trends"),
    path("gradings/", api.GradingView.as_view(), name="gradings"),
    # any id reaches the view, so that one that is no number gets the answer of a missing one
    re_path(r"^scores/(?P<pk>[^/]+)/$", api.ScoreView.as_view(), name="score"),
    re_path(
        r"^observables/(?P<observable_id>[0-9]+)/enrichments/$",
        enrichment_api.ObservableEnrichmentViewSet.as_view({"get": "list", "post": "create"}),
        name="observable-enrichment-list",
    ),
    *router.urls,
]
