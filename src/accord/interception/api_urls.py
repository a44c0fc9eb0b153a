"""API routes of payment interception, mounted under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

from accord.interception.api import BankDirectoryViewSet, InstitutionViewSet, InterceptionViewSet

app_name = "interception-api"

router = SimpleRouter()
router.register("interceptions/institutions", InstitutionViewSet, basename="institution")
router.register("interceptions/directory", BankDirectoryViewSet, basename="bank-directory")
router.register("interceptions", InterceptionViewSet, basename="interception")

urlpatterns = router.urls
