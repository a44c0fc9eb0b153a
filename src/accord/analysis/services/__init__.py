"""The analysis app's writes: rebuilds, local exclusion lists, campaign decisions, sightings,
intelligence reports, grading and partners' kept rows, one module per sub-domain.

Every service checks the actor's role, enforces its rules, changes everything or nothing, and
appends one audit event in the same transaction.
"""

from __future__ import annotations

from accord.analysis.services.aggregates import aggregates_rebuild
from accord.analysis.services.campaigns import (
    analysis_rebuild,
    campaign_annotate,
    campaign_graph_consulted,
    campaign_merge,
    campaign_split,
    campaign_update,
)
from accord.analysis.services.exclusions import (
    exclusion_entry_add,
    exclusion_entry_remove,
    exclusion_list_create,
    exclusion_list_delete,
)
from accord.analysis.services.grading import object_grade
from accord.analysis.services.readers import readers_keep_up
from accord.analysis.services.reports import report_bundle_consulted, report_disseminate, report_save
from accord.analysis.services.sightings import sighting_record

__all__ = [
    "aggregates_rebuild",
    "analysis_rebuild",
    "campaign_annotate",
    "campaign_graph_consulted",
    "campaign_merge",
    "campaign_split",
    "campaign_update",
    "exclusion_entry_add",
    "exclusion_entry_remove",
    "exclusion_list_create",
    "exclusion_list_delete",
    "object_grade",
    "readers_keep_up",
    "report_bundle_consulted",
    "report_disseminate",
    "report_save",
    "sighting_record",
]
