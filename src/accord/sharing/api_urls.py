"""API routes of the sharing app, mounted under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

from accord.sharing import api

app_name = "sharing-api"

router = SimpleRouter()
router.register("submissions", api.SubmissionViewSet, basename="submission")

urlpatterns = router.urls
