"""API routes of the core app, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.core import api

app_name = "core"

router = SimpleRouter()
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("people", api.PersonViewSet, basename="person")
router.register("tokens", api.TokenViewSet, basename="token")
router.register("audit-events", api.AuditEventViewSet, basename="audit-event")

urlpatterns = [path("me/", api.MeView.as_view(), name="me"), *router.urls]
