"""Application config for :mod:`accord.formats`."""

from django.apps import AppConfig


class FormatsConfig(AppConfig):
    """Format readers behind one base class, registered in one place."""

    name = "accord.formats"
    label = "formats"
    verbose_name = "Formats"

    def ready(self) -> None:
        # JSON formats first: their detection is the more specific.
        from accord.formats import misp, stix  # noqa: F401, I001  (each registers its reader)
        from accord.formats import csvfile  # noqa: F401
        from accord.formats import text  # noqa: F401  (last: any UTF-8 is text)
        from accord.formats import detection, writers  # noqa: F401  (export writers register)
