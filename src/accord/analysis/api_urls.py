"""API routes of the analysis app, mounted under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

app_name = "analysis-api"

router = SimpleRouter()

urlpatterns = [*router.urls]
