"""Application config for :mod:`accord.operations`."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Joint operations, their phases, participants, linked intelligence and outcomes."""

    name = "accord.operations"
    label = "operations"
    verbose_name = "Joint operations"

    def ready(self) -> None:
        """Follow the analysis app's merges: an operation's campaign link moves to the campaign
        that absorbed the one it named. Make operations' TAXII collections a kind TAXII serves,
        read by the operation's participants."""
        from accord.analysis.signals import campaigns_merged
        from accord.taxii.choices import CollectionKind
        from accord.taxii.kinds import register_collection_kind

        campaigns_merged.connect(_follow_merge, dispatch_uid="governance.operation_campaigns_follow_merge")
        register_collection_kind(CollectionKind.OPERATION, readers=True)


def _follow_merge(sender: object, *, survivor: int, absorbed: list[int], **kwargs: object) -> None:
    from accord.operations.services import operation_campaigns_follow_merge

    operation_campaigns_follow_merge(survivor=survivor, absorbed=list(absorbed))
