"""Application config for :mod:`accord.policy`."""

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """The single access decision over shared data, and its explanation."""

    name = "accord.policy"
    label = "policy"
    verbose_name = "Sharing policy"
