"""Application config for :mod:`accord.core`."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Regions, countries, organisations, people, roles, API tokens and the audit chain."""

    name = "accord.core"
    label = "core"
    verbose_name = "Accord core"

    def ready(self) -> None:
        from accord.core import signals  # noqa: F401  (connects the authentication audit hooks)
