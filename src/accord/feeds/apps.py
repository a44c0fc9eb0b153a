"""Application config for :mod:`accord.feeds`."""

from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """Remote sources pulled into submissions: TAXII collections, MISP feeds, CSV files."""

    name = "accord.feeds"
    label = "feeds"
    verbose_name = "Feeds"
