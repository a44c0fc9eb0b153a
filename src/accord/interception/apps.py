"""Application config for :mod:`accord.interception`."""

from django.apps import AppConfig


class InterceptionConfig(AppConfig):
    """Payment-interception requests, their routing, deadlines, outcomes and reports."""

    name = "accord.interception"
    label = "interception"
    verbose_name = "Payment interception"

    def ready(self) -> None:
        """Operations' outcome totals include the funds intercepted under requests linked to them."""
        from accord.interception import events  # noqa: F401 - registers its event types
        from accord.interception.selectors import intercepted_funds
        from accord.operations.funds import register_funds_source

        register_funds_source(intercepted_funds)
