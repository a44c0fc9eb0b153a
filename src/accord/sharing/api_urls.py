"""API routes of the sharing app, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.core.routers import PublicIdRouter
from accord.sharing import api, api_explain

app_name = "sharing-api"

public = PublicIdRouter()
public.register("submissions", api.SubmissionViewSet, basename="submission")
public.register("observables", api.ObservableViewSet, basename="observable")
# an object is named by its STIX id or its public id (``sharing.selectors.object_get``)
router = SimpleRouter()
router.register("objects", api.StixObjectViewSet, basename="object")

urlpatterns = [
    *public.urls,
    *router.urls,
    path("policy/explain/", api_explain.ExplainView.as_view(), name="explain"),
]
