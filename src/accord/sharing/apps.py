"""Application config for :mod:`accord.sharing`."""

from django.apps import AppConfig


class SharingConfig(AppConfig):
    """The shared-object store: STIX objects with their provenance and handling conditions."""

    name = "accord.sharing"
    label = "sharing"
    verbose_name = "Information sharing"

    def prepare_to_serve(self) -> None:
        """``accord serve``: what the store listeners consult (the warning lists), loaded by each
        worker before it takes requests."""
        from accord.sharing.listeners import prepare_listeners

        prepare_listeners()
