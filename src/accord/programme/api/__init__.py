"""REST API of secondment and training: experts, requests and their candidate ranking,
placements, courses, sessions, sponsorships, officers, enrolments, certificates and reports.

Thin: services change state, selectors read; a rule broken comes back as a 400 naming it.
"""

from __future__ import annotations

from accord.programme.api._common import (
    csv_response,
    report_csv,
)
from accord.programme.api.enrolments import (
    CertificateViewSet,
    EnrolmentViewSet,
    OfficerViewSet,
)
from accord.programme.api.experts import (
    ExpertViewSet,
    SecondmentRequestViewSet,
    SkillViewSet,
)
from accord.programme.api.reports import (
    ReportView,
)
from accord.programme.api.secondments import (
    SecondmentViewSet,
)
from accord.programme.api.training import (
    CourseViewSet,
    SponsorshipViewSet,
    TrainingSessionViewSet,
)

__all__ = [
    "CertificateViewSet",
    "csv_response",
    "report_csv",
    "CourseViewSet",
    "EnrolmentViewSet",
    "ExpertViewSet",
    "OfficerViewSet",
    "ReportView",
    "SecondmentRequestViewSet",
    "SecondmentViewSet",
    "SkillViewSet",
    "SponsorshipViewSet",
    "TrainingSessionViewSet",
]
