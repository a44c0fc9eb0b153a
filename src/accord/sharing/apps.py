"""Application config for :mod:`accord.sharing`."""

from django.apps import AppConfig


class SharingConfig(AppConfig):
    """The shared-object store: STIX objects with their provenance and handling conditions."""

    name = "accord.sharing"
    label = "sharing"
    verbose_name = "Information sharing"
