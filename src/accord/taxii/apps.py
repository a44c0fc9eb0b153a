"""Application config for :mod:`accord.taxii`."""

from django.apps import AppConfig


class TaxiiConfig(AppConfig):
    """TAXII 2.1 over the shared-object store: collections as data, reads through the policy."""

    name = "accord.taxii"
    label = "taxii"
    verbose_name = "TAXII 2.1"

    def ready(self) -> None:
        """Webhooks receive newly visible objects through this app's read (the policy decides once).
        A visibility change's publication dates the collection joins and departures it carries."""
        from accord.notifications.objects import register_object_source
        from accord.sharing.services.visibility import register_dated_rows
        from accord.taxii.models import Departure, Membership
        from accord.taxii.webhooks import webhook_objects

        register_object_source(webhook_objects)
        register_dated_rows(Membership, "joined_at")
        register_dated_rows(Departure, "left_at")

    def initialise(self) -> None:
        """``accord init``: the standard collections."""
        from accord.taxii.services import collections_sync

        collections_sync()
