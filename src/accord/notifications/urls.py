"""UI routes of notifications."""

from django.urls import path

from accord.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read-all/", views.read_all, name="read-all"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/webhooks/", views.webhook_list, name="webhook-list"),
    path("notifications/webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open"),
    path("notifications/<int:pk>/read/", views.mark_read, name="read"),
]
