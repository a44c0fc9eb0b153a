"""Application config for :mod:`accord.analysis`."""

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    """What analysts make of the partners' data, always through the policy."""

    name = "accord.analysis"
    label = "analysis"
    verbose_name = "Analysis"

    def ready(self) -> None:
        from accord.analysis.benign import known_benign
        from accord.exports.benign import register_benign_check

        register_benign_check(known_benign)

    def initialise(self) -> None:
        """``accord init``: the warning-list index, built once per home."""
        from accord.analysis.warninglists import index

        index()
