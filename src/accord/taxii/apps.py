"""Application config for :mod:`accord.taxii`."""

from django.apps import AppConfig


class TaxiiConfig(AppConfig):
    """TAXII 2.1 over the shared-object store: collections as data, reads through the policy."""

    name = "accord.taxii"
    label = "taxii"
    verbose_name = "TAXII 2.1"

    def ready(self) -> None:
        """Webhooks receive newly visible objects and withdrawals through this app's reads (the
        policy decides once), looked for again whenever a change of who may receive what is
        published. A visibility change's publication dates the collection joins and departures it
        carries."""
        from accord.notifications.objects import register_object_source, register_withdrawal_source
        from accord.sharing.services import visibility_published
        from accord.sharing.services.visibility import register_dated_rows
        from accord.taxii.models import Departure, Membership
        from accord.taxii.webhooks import webhook_objects, webhook_withdrawals

        register_object_source(webhook_objects)
        register_withdrawal_source(webhook_withdrawals)
        register_dated_rows(Membership, "joined_at")
        register_dated_rows(Departure, "left_at")
        visibility_published.connect(_webhooks_after_change, dispatch_uid="taxii.webhooks_after_change")

    def initialise(self) -> None:
        """``accord init``: the standard collections."""
        from accord.taxii.services import collections_sync

        collections_sync()


def _webhooks_after_change(sender: object, *, change_id: int, **kwargs: object) -> None:
    """A change was published (after its commit, outside any transaction): queue the webhook
    deliveries it calls for (withdrawals, late arrivals), as a task of its own."""
    from accord.notifications.tasks import webhooks_after_change

    webhooks_after_change.enqueue(change_id)
