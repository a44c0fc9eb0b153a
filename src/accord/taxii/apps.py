"""Application config for :mod:`accord.taxii`."""

from django.apps import AppConfig


class TaxiiConfig(AppConfig):
    """TAXII 2.1 over the shared-object store: collections as data, reads through the policy."""

    name = "accord.taxii"
    label = "taxii"
    verbose_name = "TAXII 2.1"

    def initialise(self) -> None:
        """``accord init``: the standard collections."""
        from accord.taxii.services import collections_sync

        collections_sync()
