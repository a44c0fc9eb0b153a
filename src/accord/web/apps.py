"""Application config for :mod:`accord.web`."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    """Base templates, login, dashboard and the shared UI pieces."""

    name = "accord.web"
    label = "web"
    verbose_name = "Accord web UI"
