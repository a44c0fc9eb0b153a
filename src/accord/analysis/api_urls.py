"""API routes of the analysis app, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.analysis import api
from accord.core.routers import PublicIdRouter

app_name = "analysis-api"

# named by public ids: a correlation by its observable's
public = PublicIdRouter()
public.register("correlations", api.CorrelationViewSet, basename="correlation")
public.register("sightings", api.SightingViewSet, basename="sighting")
router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("exclusion-lists", api.ExclusionListViewSet, basename="exclusion-list")
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = [
    path("warning-lists/", api.WarningListView.as_view(), name="warning-lists"),
    path("trends/", api.TrendsView.as_view(), name="trends"),
    path("gradings/", api.GradingView.as_view(), name="gradings"),
    # any text reaches the view (``public_id``), so a malformed id gets the answer of a missing one
    path("scores/<public_id:pk>/", api.ScoreView.as_view(), name="score"),
    *public.urls,
    *router.urls,
]
