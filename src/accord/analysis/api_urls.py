"""API routes of the analysis app, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.analysis import api

app_name = "analysis-api"

router = SimpleRouter()
router.register("correlations", api.CorrelationViewSet, basename="correlation")
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("exclusion-lists", api.ExclusionListViewSet, basename="exclusion-list")
router.register("sightings", api.SightingViewSet, basename="sighting")

urlpatterns = [path("warning-lists/", api.WarningListView.as_view(), name="warning-lists"), *router.urls]
