"""Application config for :mod:`accord.exports`."""

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Exports: the API, the ``accord export`` command and the UI's export buttons."""

    name = "accord.exports"
    label = "exports"
    verbose_name = "Exports"
