"""Application config for :mod:`accord.governance`."""

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The expert group and regional working groups, their meetings and recommendations, the
    good-practices library, joint operations and the annual conference."""

    name = "accord.governance"
    label = "governance"
    verbose_name = "Governance and operations"

    def ready(self) -> None:
        """Follow the analysis app's merges: an operation's campaign link moves to the campaign
        that absorbed the one it named."""
        from accord.analysis.signals import campaigns_merged

        campaigns_merged.connect(_follow_merge, dispatch_uid="governance.operation_campaigns_follow_merge")


def _follow_merge(sender: object, *, survivor: int, absorbed: list[int], **kwargs: object) -> None:
    from accord.governance.services import operation_campaigns_follow_merge

    operation_campaigns_follow_merge(survivor=survivor, absorbed=list(absorbed))
