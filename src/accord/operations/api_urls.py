"""API routes of joint operations, mounted under ``/api/v1/``: the path they had under
governance, so API clients keep working."""

from rest_framework.routers import SimpleRouter

from accord.operations.api import OperationViewSet

app_name = "operations-api"

router = SimpleRouter()
router.register("governance/operations", OperationViewSet, basename="operation")

urlpatterns = router.urls
