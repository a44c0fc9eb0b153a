"""Application config for :mod:`accord.notifications`."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Inbox, e-mail and webhooks: one service tells people and partner systems what needs them."""

    name = "accord.notifications"
    label = "notifications"
    verbose_name = "Notifications"
