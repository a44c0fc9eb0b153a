"""API routes of the analysis app, mounted under ``/api/v1/``."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from accord.analysis import enrichment_api

app_name = "analysis-api"

router = SimpleRouter()
router.register("enrichers", enrichment_api.EnricherViewSet, basename="enricher")
router.register("enrichments", enrichment_api.EnrichmentViewSet, basename="enrichment")

urlpatterns = [
    *router.urls,
    re_path(
        r"^observables/(?P<observable_id>[0-9]+)/enrichments/$",
        enrichment_api.ObservableEnrichmentViewSet.as_view({"get": "list", "post": "create"}),
        name="observable-enrichment-list",
    ),
]
