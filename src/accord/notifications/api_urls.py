"""API routes of notifications, mounted under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.notifications import api

app_name = "notifications-api"

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("webhooks", api.WebhookViewSet, basename="webhook")

urlpatterns = [
    path(
        "webhooks/<int:webhook_id>/deliveries/",
        api.WebhookDeliveryViewSet.as_view({"get": "list"}),
        name="webhook-delivery-list",
    ),
    *router.urls,
]
