"""REST API of analysis: correlations, campaigns (graph, names, notes, merges, splits), local
exclusion lists and the warning lists, sightings, reports, trends, scores and grading; one
module per sub-domain. Thin: services change state, selectors read."""

from __future__ import annotations

from accord.analysis.api.campaigns import CampaignViewSet
from accord.analysis.api.correlations import CorrelationViewSet
from accord.analysis.api.exclusions import ExclusionListViewSet, WarningListView
from accord.analysis.api.reports import ReportViewSet
from accord.analysis.api.scoring import GradingView, ScoreView, TrendsView
from accord.analysis.api.sightings import SightingViewSet

__all__ = [
    "CampaignViewSet",
    "CorrelationViewSet",
    "ExclusionListViewSet",
    "GradingView",
    "ReportViewSet",
    "ScoreView",
    "SightingViewSet",
    "TrendsView",
    "WarningListView",
]
