"""Application config for :mod:`accord.governance`."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The expert group and regional working groups, their meetings and recommendations, the
    good-practices library and the annual conference."""

    name = "accord.governance"
    label = "governance"
    verbose_name = "Governance"

    def initialise(self) -> None:
        """``accord init``: the expert group and the five regional working groups."""
        from accord.governance.services import groups_ensure

        groups_ensure()
