"""API routes of enrichment, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.core.routers import PublicIdRouter
from accord.enrichment import api

app_name = "enrichment-api"

# named by public ids
public = PublicIdRouter()
public.register("enrichments", api.EnrichmentViewSet, basename="enrichment")
router = SimpleRouter()
router.register("enrichers", api.EnricherViewSet, basename="enricher")

urlpatterns = [
    path(
        "observables/<public_id:observable_id>/enrichments/",
        api.ObservableEnrichmentViewSet.as_view({"get": "list", "post": "create"}),
        name="observable-enrichment-list",
    ),
    *public.urls,
    *router.urls,
]
