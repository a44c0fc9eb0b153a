"""REST API of governance, under ``/api/v1/governance/``. Thin: services change
state, selectors read, one filter per list."""

from __future__ import annotations

from accord.governance.api.conference import (
    EditionViewSet,
    HostingView,
    PaperViewSet,
    RegistrationViewSet,
    SessionViewSet,
)
from accord.governance.api.groups import GroupViewSet, MembershipViewSet
from accord.governance.api.meetings import MeetingViewSet
from accord.governance.api.practices import PracticeViewSet
from accord.governance.api.recommendations import RecommendationViewSet

__all__ = [
    "EditionViewSet",
    "GroupViewSet",
    "HostingView",
    "MeetingViewSet",
    "MembershipViewSet",
    "PaperViewSet",
    "PracticeViewSet",
    "RecommendationViewSet",
    "RegistrationViewSet",
    "SessionViewSet",
]
