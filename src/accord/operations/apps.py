"""Application config for :mod:`accord.operations`."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Joint operations, their phases, participants, linked intelligence and outcomes."""

    name = "accord.operations"
    label = "operations"
    verbose_name = "Joint operations"

    def ready(self) -> None:
        """Follow the analysis app's merges: an operation's campaign link moves to the campaign
        that absorbed the one it named."""
        from accord.analysis.signals import campaigns_merged

        campaigns_merged.connect(_follow_merge, dispatch_uid="governance.operation_campaigns_follow_merge")


def _follow_merge(sender: object, *, survivor: int, absorbed: list[int], **kwargs: object) -> None:
    from accord.operations.services import operation_campaigns_follow_merge

    operation_campaigns_follow_merge(survivor=survivor, absorbed=list(absorbed))
