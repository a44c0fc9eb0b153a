"""API routes of partnerships, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.partners import api

app_name = "partners-api"

router = SimpleRouter()
router.register("applications", api.ApplicationViewSet, basename="application")
router.register("agreements", api.AgreementViewSet, basename="agreement")
router.register("partnerships", api.PartnershipViewSet, basename="partnership")

urlpatterns = [path("directory/", api.DirectoryView.as_view(), name="directory"), *router.urls]
