"""API routes of the sharing app, mounted under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

from accord.sharing import api

app_name = "sharing-api"

router = SimpleRouter()
router.register("submissions", api.SubmissionViewSet, basename="submission")
router.register("objects", api.StixObjectViewSet, basename="object")
router.register("observables", api.ObservableViewSet, basename="observable")

urlpatterns = router.urls
