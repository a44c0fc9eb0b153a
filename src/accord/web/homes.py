"""The home page of each role: what a partner, an analyst, a programme manager and an auditor
come to Accord for, each figure read through its app's selectors (so through the policy for
shared data) and each count computed by the very filter its link applies, so that a count and
the list it opens never disagree.

A person sees the panels of every role their capabilities give: a partner's organisation gets
the partner's home; host staff the manager's, the analyst's and the auditor's panels their
capabilities allow (an administrator all three). Every panel runs a fixed number of queries,
whatever the amount of data (pinned by ``tests/web/test_homes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accord.analysis import selectors as analysis
from accord.analysis.filters import CampaignFilter, CorrelationFilter
from accord.analysis.models import IntelReport
from accord.core import selectors as core
from accord.core.choices import Region
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.governance import selectors as governance
from accord.governance.choices import MeetingStatus
from accord.governance.filters import RecommendationFilter
from accord.operations import selectors as operations
from accord.operations.choices import OperationStatus
from accord.operations.filters import OperationFilter
from accord.partners import selectors as partners
from accord.partners.choices import OPEN_APPLICATION_STATUSES, AgreementStatus, ApplicationStatus
from accord.partners.filters import AgreementFilter, ApplicationFilter
from accord.policy import principal_context
from accord.programme import selectors as programme
from accord.programme.filters import SecondmentFilter
from accord.sharing import selectors as sharing
from accord.sharing.choices import SubmissionStatus
from accord.sharing.filters import StixObjectFilter
from accord.taxii import selectors as taxii
from accord.taxii.api import API_ROOT

__all__ = ["Figure", "home_context"]

# A count past this is shown as "1,000+": counting every row of a large store on each visit
# would make the home as slow as the store is big.
COUNT_CAP = 1000
EXPIRY_WINDOWS = (30, 60, 90)
SOON_DAYS = 30
RECENT_DAYS = 7
TAIL_CHECKED = 500


@dataclass(frozen=True)
class Figure:
    """One count on a home page and the list it counts (``url``: the list with its filter)."""

    label: str
    count: int
    url: str
    capped: bool = False
    testid: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _url(name: str, params: dict[str, Any] | None = None, *args: Any) -> str:
    base = reverse(name, args=args)
    return f"{base}?{urlencode(params, doseq=True)}" if params else base


def _capped(qs: Any) -> tuple[int, bool]:
    """A count, stopping at ``COUNT_CAP`` (one bounded query)."""
    n = qs.order_by()[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


def _counted(label: str, filterset: Any, url: str, *, cap: bool = False, testid: str = "") -> Figure:
    """A figure counted by the same filterset (same parameters) its link applies."""
    if cap:
        n, capped = _capped(filterset.qs)
        return Figure(label, n, url, capped, testid)
    return Figure(label, filterset.qs.order_by().count(), url, False, testid)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def previous_visit(user: User) -> datetime | None:
    """When the person last signed in before this session (the audit chain's login events)."""
    logins = list(core.own_login_times(principal=user)[:2])  # this session's login, then the one before
    return logins[1] if len(logins) > 1 else None


# -- partner -------------------------------------------------------------------------------------


def partner_panels(request: HttpRequest, user: User) -> dict[str, Any]:
    now = timezone.now()
    today = timezone.localdate()
    own = user.organisation_id
    agreements = list(partners.agreement_list(principal=user).order_by("status", "reference"))
    for agreement in agreements:
        until = agreement.current_version.valid_until if agreement.current_version else None
        agreement.days_left = (until - now).days if until else None  # type: ignore[attr-defined]

    submissions = sharing.submission_list(principal=user).order_by("-created_at")
    by_status = dict(submissions.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    submission_figures = [
        Figure(s.label, by_status.get(s.value, 0), _url("sharing:submission-list", {"status": s.value}))
        for s in SubmissionStatus
    ]

    # A first visit looks back a week from midnight: the link stays the same all day.
    week_ago = (now - timedelta(days=RECENT_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    since = previous_visit(user) or week_ago
    params = {"added_after": _iso(since)}
    others = StixObjectFilter(
        params, queryset=sharing.object_list(principal=user).exclude(organisation_id=own), principal=user
    )
    new_intel = _counted(
        "new objects shared with you since your last visit",
        others,
        _url("sharing:object-list", params),
        cap=True,
        testid="count-new-intelligence",
    )

    correlations = _counted(
        "of your values also reported by another source",
        CorrelationFilter({}, queryset=analysis.correlation_list(principal=user)),
        _url("analysis:correlation-list"),
        cap=True,
        testid="count-correlations",
    )
    sightings = list(analysis.sighting_list(principal=user).exclude(organisation_id=own)[:5])
    helped = list(analysis.campaigns_with_members_of(principal=user, organisation_id=own)[:5])

    year_ago = (now - timedelta(days=365)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    monthly = analysis.own_contribution_by_month(principal=user, since=year_ago.date())
    per_month = [(m, monthly.get(f"{m:%Y-%m}", 0)) for m in _last_months(today, 12)]
    peak = max((n for _, n in per_month), default=0) or 1
    contribution = [{"month": m, "count": n, "share": round(100 * n / peak)} for m, n in per_month]
    score = analysis.contributions(principal=user, since=year_ago, until=now)

    meetings = list(
        governance.meeting_list(principal=user)
        .filter(starts_at__gte=now, status=MeetingStatus.SCHEDULED)
        .order_by("starts_at")[:5]
    )
    sessions = list(
        programme.session_list(principal=user).filter(start__gte=today, cancelled=False).order_by("start", "pk")[:5]
    )
    discovery = request.build_absolute_uri(reverse("taxii:discovery"))
    collections = [
        {
            "title": access.collection.title,
            "url": request.build_absolute_uri(reverse("taxii:collection", args=[API_ROOT, access.collection.pk])),
            "detail": reverse("taxii-ui:collection-detail", args=[access.collection.pk]),
            "can_read": access.can_read,
            "can_write": access.can_write,
        }
        for access in taxii.collection_list(principal=user)
    ]
    return {
        "agreements": agreements,
        "submissions": list(submissions[:5]),
        "submission_figures": submission_figures,
        "new_intel": new_intel,
        "since": since,
        "correlations": correlations,
        "sightings": sightings,
        "helped": helped,
        "contribution": contribution,
        "score": score[0] if score else None,
        "meetings": meetings,
        "sessions": sessions,
        "discovery": discovery,
        "collections": collections,
        "can_submit": has_perm(user, Perm.SHARING_SUBMIT),
    }


def _last_months(today: date, n: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _ in range(n):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


# -- analyst -------------------------------------------------------------------------------------


def analyst_panels(user: User) -> dict[str, Any]:
    now = timezone.now()
    since = _iso(now - timedelta(days=RECENT_DAYS))
    new_correlations = _counted(
        f"new correlations in the last {RECENT_DAYS} days",
        CorrelationFilter({"correlated_after": since}, queryset=analysis.correlation_list(principal=user)),
        _url("analysis:correlation-list", {"correlated_after": since}),
        cap=True,
        testid="count-new-correlations",
    )
    new_campaigns = _counted(
        f"new campaigns in the last {RECENT_DAYS} days",
        CampaignFilter({"created_after": since}, queryset=analysis.campaign_list(principal=user)),
        _url("analysis:campaign-list", {"created_after": since}),
        cap=True,
        testid="count-new-campaigns",
    )
    ungraded = _counted(
        "objects not yet graded",
        StixObjectFilter({"graded": "false"}, queryset=sharing.object_list(principal=user), principal=user),
        _url("sharing:object-list", {"graded": "false"}),
        cap=True,
        testid="count-ungraded",
    )
    drafts_qs = analysis.report_list(principal=user).filter(status=IntelReport.Status.DRAFT)
    drafts = Figure(
        "reports in draft",
        drafts_qs.count(),
        _url("analysis:report-list", {"status": IntelReport.Status.DRAFT}),
        testid="count-draft-reports",
    )
    recent_campaigns = list(analysis.campaign_list(principal=user)[:5])
    # whole months (this one and the two before): read from the kept counts alone
    first = _last_months(timezone.localdate(), 3)[0]
    since_month = datetime(first.year, first.month, 1, tzinfo=UTC)
    until_month = (now.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    by_crime: dict[str, int] = {}
    for (crime, _, _), count in analysis.crime_region_month(
        principal=user, since=since_month, until=until_month
    ).items():
        by_crime[crime] = by_crime.get(crime, 0) + count
    top = sorted(by_crime.items(), key=lambda item: (-item[1], item[0]))[:6]
    peak = max((n for _, n in top), default=0) or 1
    return {
        "analyst_figures": [new_correlations, new_campaigns, ungraded, drafts],
        "draft_reports": list(drafts_qs.order_by("-updated_at")[:5]),
        "recent_campaigns": recent_campaigns,
        "crime_trend": [{"crime_type": c, "count": n, "share": round(100 * n / peak)} for c, n in top],
        "top_correlated": analysis.top_correlated(principal=user, limit=5),
    }


# -- programme manager ---------------------------------------------------------------------------


def manager_panels(user: User) -> dict[str, Any]:
    today = timezone.localdate()
    soon = today + timedelta(days=SOON_DAYS)
    applications = partners.application_list(principal=user)
    stages = [
        _counted(
            ApplicationStatus(status).label,
            ApplicationFilter({"status": [status]}, queryset=applications),
            _url("partners:application-list", {"status": status}),
            testid=f"count-applications-{status}",
        )
        for status in OPEN_APPLICATION_STATUSES
    ]
    agreements = partners.agreement_list(principal=user)
    expiring = [
        _counted(
            f"within {days} days",
            AgreementFilter({"status": [AgreementStatus.ACTIVE], "expires_within": days}, queryset=agreements),
            _url("partners:agreement-list", {"status": AgreementStatus.ACTIVE, "expires_within": days}),
            testid=f"count-expiring-{days}",
        )
        for days in EXPIRY_WINDOWS
    ]
    expiring_list = list(
        AgreementFilter(
            {"status": [AgreementStatus.ACTIVE], "expires_within": EXPIRY_WINDOWS[-1]}, queryset=agreements
        ).qs.order_by("current_version__valid_until")[:8]
    )
    secondments = programme.secondment_list(principal=user)
    moving = [
        _counted(
            f"starting in the next {SOON_DAYS} days",
            SecondmentFilter(p := {"starts_after": str(today), "starts_before": str(soon)}, queryset=secondments),
            _url("programme:secondment-list", p),
            testid="count-secondments-starting",
        ),
        _counted(
            f"ending in the next {SOON_DAYS} days",
            SecondmentFilter(
                q := {"ends_after": str(today), "ends_before": str(soon), "status": ["active"]}, queryset=secondments
            ),
            _url("programme:secondment-list", q),
            testid="count-secondments-ending",
        ),
    ]
    sessions = list(
        programme.session_list(principal=user).filter(start__gte=today, cancelled=False).order_by("start", "pk")[:6]
    )
    for session in sessions:
        session.fill = round(100 * session.seats_taken / session.capacity) if session.capacity else 0  # type: ignore[attr-defined]
    overdue = _counted(
        "overdue recommendations",
        RecommendationFilter({"overdue": "true"}, queryset=governance.recommendation_list(principal=user)),
        _url("governance:recommendation-list", {"overdue": "true"}),
        testid="count-overdue-recommendations",
    )
    operation_qs = operations.operation_list(principal=user)
    ongoing = [
        _counted(
            OperationStatus(status).label.lower(),
            OperationFilter({"status": [status]}, queryset=operation_qs),
            _url("operations:operation-list", {"status": status}),
            testid=f"count-operations-{status}",
        )
        for status in (OperationStatus.PLANNING, OperationStatus.ACTIVE)
    ]
    shown_operations = [
        {"operation": op, "totals": operations.operation_totals(operation=op)}
        for op in operation_qs.exclude(status=OperationStatus.PLANNING).order_by("-start_date", "pk")[:4]
    ]
    return {
        "stages": stages,
        "expiring": expiring,
        "expiring_list": expiring_list,
        "moving": moving,
        "upcoming_sessions": sessions,
        "overdue": overdue,
        "overdue_list": list(
            RecommendationFilter({"overdue": "true"}, queryset=governance.recommendation_list(principal=user))
            .qs.select_related("group")
            .order_by("due_date")[:5]
        ),
        "ongoing": ongoing,
        "shown_operations": shown_operations,
        "regions": _regions(user, today),
    }


def _regions(user: User, today: date) -> list[dict[str, Any]]:
    """Activity by region: organisations, training sessions this year, and operations' outcome."""
    counts = core.dashboard_counts(principal=user)
    year = today.replace(month=1, day=1)
    sessions = dict(
        programme.session_list(principal=user)
        .filter(start__gte=year, cancelled=False)
        .order_by()
        .values_list("region")
        .annotate(n=Count("pk", distinct=True))
        .values_list("region", "n")
    )
    members = dict(
        programme.officer_list(principal=user)
        .filter(enrolments__status__in=["attended", "completed"], enrolments__session__start__gte=year)
        .order_by()
        .values_list("region")
        .annotate(n=Count("pk", distinct=True))
        .values_list("region", "n")
    )
    return [
        {
            "code": row["code"],
            "label": row["label"],
            "organisations": row["count"],
            "sessions": sessions.get(row["code"], 0),
            "officers": members.get(row["code"], 0),
        }
        for row in counts["regions"]
    ]


# -- auditor -------------------------------------------------------------------------------------


def auditor_panels(user: User) -> dict[str, Any]:
    events = core.audit_event_list(principal=user)
    head, tail = core.audit_chain_tail(principal=user, size=TAIL_CHECKED)
    day_ago = _iso(timezone.now() - timedelta(days=1))
    watched = [
        ("failed sign-ins in the last day", "auth.login_failed"),
        ("sign-in locks in the last day", "auth.locked"),
        ("agreement changes in the last day", "agreement."),
    ]
    figures = [
        Figure(
            label,
            events.filter(action__startswith=action, at__gte=day_ago).count(),
            _url("web:audit-list", {"action": action, "since": day_ago}),
            testid=f"count-audit-{action.rstrip('.').replace('.', '-')}",
        )
        for label, action in watched
    ]
    return {
        "recent_events": list(events.order_by("-seq")[:12]),
        "head": head,
        "tail": tail,
        "tail_size": TAIL_CHECKED,
        "audit_figures": figures,
    }


# -- all together --------------------------------------------------------------------------------


def home_context(request: HttpRequest, user: User) -> dict[str, Any]:
    """The panels of every role ``user``'s capabilities give."""
    context: dict[str, Any] = {"counts": core.dashboard_counts(principal=user), "regions_all": Region}
    if not principal_context(user).is_host:
        context["partner"] = partner_panels(request, user)
        return context
    if has_perm(user, Perm.PARTNERSHIP_MANAGE):
        context["manager"] = manager_panels(user)
    if has_perm(user, Perm.ANALYSIS_WORK):
        context["analyst"] = analyst_panels(user)
    if has_perm(user, Perm.AUDIT_VIEW):
        context["auditor"] = auditor_panels(user)
    return context
