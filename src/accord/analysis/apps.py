"""Application config for :mod:`accord.analysis`."""

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    """What analysts make of the partners' data, always through the policy."""

    name = "accord.analysis"
    label = "analysis"
    verbose_name = "Analysis"

    def ready(self) -> None:
        """Lend the apps below what they consult without importing analysis: the known-benign
        check of detection exports and of free-text reviews, and to TAXII the report collections and the ``campaign``
        spec key (a campaign's members). Tell the contributors of campaigns that merge."""
        from accord.analysis.benign import known_benign, reasons
        from accord.analysis.campaigns import campaign_ids_problem, campaign_objects
        from accord.analysis.notices import campaign_merge_noted
        from accord.analysis.signals import campaigns_merged
        from accord.exports.benign import register_benign_check
        from accord.sharing.freetext import register_value_check
        from accord.taxii.choices import CollectionKind
        from accord.taxii.kinds import register_collection_kind, register_spec_key

        register_benign_check(known_benign)
        register_value_check(reasons)  # the warning-list hits a free-text review shows
        # an intelligence report's collection, read by the report's recipients
        register_collection_kind(CollectionKind.REPORT, readers=True)
        register_spec_key("campaign", names=True, condition=campaign_objects, check=campaign_ids_problem)
        campaigns_merged.connect(campaign_merge_noted, dispatch_uid="analysis.campaign_merge_noted")

    def initialise(self) -> None:
        """``accord init``: the warning-list index, built once per home."""
        from accord.analysis.warninglists import index

        index()
