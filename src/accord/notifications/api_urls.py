"""API routes of notifications, mounted under ``/api/v1/``."""

from rest_framework.routers import SimpleRouter

from accord.notifications import api

app_name = "notifications-api"

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("webhooks", api.WebhookViewSet, basename="webhook")

urlpatterns = router.urls
