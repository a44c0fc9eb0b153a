"""Application config for :mod:`accord.core`."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Regions, countries, organisations, people, roles, API tokens and the audit chain."""

    name = "accord.core"
    label = "core"
    verbose_name = "Accord core"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.urls import register_converter

        from accord.core import signals  # noqa: F401  (connects the authentication audit hooks)
        from accord.core.public_ids import PublicIdConverter
        from accord.core.telemetry import forget_request_id, install_record_factory

        # ``<public_id:pk>`` in every app's URLs: the one place ids of shared data enter and leave
        register_converter(PublicIdConverter, "public_id")
        install_record_factory()  # request and submission ids on every log record
        request_finished.connect(forget_request_id, dispatch_uid="accord.forget_request_id")
