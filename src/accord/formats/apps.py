"""Application config for :mod:`accord.formats`."""

from django.apps import AppConfig


class FormatsConfig(AppConfig):
    """Format readers behind one base class, registered in one place."""

    name = "accord.formats"
    label = "formats"
    verbose_name = "Formats"

    def ready(self) -> None:
        from accord.formats import csvfile, stix  # noqa: F401  (each registers its reader)
