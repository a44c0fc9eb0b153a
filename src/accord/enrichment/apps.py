"""Application config for :mod:`accord.enrichment`."""

from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    """Analysis tools run on observables, under the agreements of the organisations providing them."""

    name = "accord.enrichment"
    label = "enrichment"
    verbose_name = "Enrichment"
