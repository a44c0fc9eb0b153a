"""Governance UI: group pages (members, meetings calendar, recommendations board), meeting
pages, the follow-up list, the good-practices library and conference pages.

Thin: forms check shape, services decide, selectors read. A refused change is shown as a
message naming the rule; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.core.errors import NotFound
from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, attempt, found, listing, paginate, submit
from accord.governance import selectors, services
from accord.governance.choices import (
    RECOMMENDATION_TRANSITIONS,
    RecommendationStatus,
)
from accord.governance.filters import (
    EditionFilter,
    MeetingFilter,
    MembershipFilter,
    PracticeFilter,
    RecommendationFilter,
    RegistrationFilter,
)
from accord.governance.forms import (
    ActionItemForm,
    AttendanceForm,
    CancelForm,
    DocumentForm,
    MeetingEditForm,
    MeetingForm,
    MembershipEndForm,
    MembershipForm,
    MinutesForm,
    PaperForm,
    PaperReviewForm,
    PracticeForm,
    RecommendationForm,
    RegistrationForm,
    SessionForm,
    TransitionForm,
)

__all__ = [
    "edition_detail",
    "edition_list",
    "group_detail",
    "group_list",
    "meeting_detail",
    "meeting_list",
    "practice_list",
    "recommendation_list",
    "recommendation_transition",
]


def _manage(request: AuthedRequest) -> bool:
    return has_perm(request.user, Perm.GOVERNANCE_MANAGE)


def _calendar(meetings: Any) -> list[tuple[str, list[Any]]]:
    """Meetings grouped by month, soonest first."""
    ordered = sorted(meetings, key=lambda m: m.starts_at)
    return [(month, list(items)) for month, items in groupby(ordered, key=lambda m: f"{m.starts_at:%B %Y}")]


@login_required
def group_list(request: AuthedRequest) -> HttpResponse:
    groups = selectors.group_list(principal=request.user).order_by("kind", "name")
    return render(request, "governance/group_list.html", {"groups": groups})


@login_required
def group_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    """Members, the meetings calendar and the recommendations board of one group; managers
    add and end memberships and schedule meetings."""
    group = found(lambda: selectors.group_get(principal=request.user, pk=slug))
    manage = _manage(request)
    member_form = MembershipForm(initial={"term_start": timezone.localdate()}, prefix="member")
    meeting_form = MeetingForm(initial={"groups": [group.pk]})
    seats = selectors.membership_list(principal=request.user).filter(group=group)
    end_form = MembershipEndForm(memberships=seats, initial={"term_end": timezone.localdate()}, prefix="end")
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Programme managers only.")
        if request.POST.get("op") == "member":
            member_form = MembershipForm(request.POST, prefix="member")
            if submit(request, member_form, services.membership_add, "Member added.", group=group):
                return redirect("governance:group-detail", slug=group.slug)
        elif request.POST.get("op") == "meeting":
            meeting_form = MeetingForm(request.POST)
            created: list[Any] = []
            if meeting_form.is_valid() and attempt(
                request,
                lambda: created.append(services.meeting_schedule(actor=request.user, **meeting_form.cleaned())),
                "Meeting scheduled.",
            ):
                return redirect("governance:meeting-detail", pk=created[0].pk)
        elif request.POST.get("op") == "end":
            end_form = MembershipEndForm(request.POST, memberships=seats, prefix="end")
            if submit(request, end_form, services.membership_end, "Membership ended.", inline=True):
                return redirect("governance:group-detail", slug=group.slug)
    members = MembershipFilter(request.GET, queryset=seats)
    page, query = paginate(request, members.qs.order_by("role", "person__last_name", "pk"))
    meetings = selectors.meeting_list(principal=request.user).filter(groups=group)
    followup = selectors.recommendation_followup(principal=request.user, group=group)
    context = {
        "group": group,
        "filter": members,
        "page": page,
        "query": query,
        "calendar": _calendar(meetings),
        "followup": followup,
        "board": [(RecommendationStatus(s), followup["board"][s]) for s in RecommendationStatus.values],
        "transitions": RECOMMENDATION_TRANSITIONS,
        "manage": manage,
        "member_form": member_form,
        "meeting_form": meeting_form,
        "end_form": end_form,
        "today": timezone.localdate(),
    }
    return render(request, "governance/group_detail.html", context)


@login_required
def meeting_list(request: AuthedRequest) -> HttpResponse:
    filterset = MeetingFilter(request.GET, queryset=selectors.meeting_list(principal=request.user))
    return listing(request, "governance/meeting_list.html", filterset)


@login_required
def meeting_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A meeting: agenda, attendance, minutes (Markdown rendered safely), documents,
    recommendations and their action items; managers change or cancel the meeting, record
    minutes, attendance, documents, recommendations and action items, and invite."""
    meeting = found(lambda: selectors.meeting_get(principal=request.user, pk=pk))
    manage = _manage(request)
    groups = meeting.groups.all()
    rec_form = RecommendationForm(groups=groups)
    forms = {
        "edit_form": MeetingEditForm(
            initial={
                "title": meeting.title,
                "starts_at": timezone.localtime(meeting.starts_at),
                "ends_at": timezone.localtime(meeting.ends_at),
                "city": meeting.city,
                "country": meeting.country,
                "themes": "\n".join(meeting.themes),
                "agenda": "\n".join(meeting.agenda),
            },
            prefix="edit",
        ),
        "cancel_form": CancelForm(prefix="cancel"),
        "document_form": DocumentForm(prefix="doc"),
        "action_form": ActionItemForm(prefix="action"),
    }
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Programme managers only.")
        op = request.POST.get("op")
        done = False
        if op == "minutes":
            form = MinutesForm(request.POST)
            done = submit(request, form, services.meeting_set_minutes, "Minutes saved.", meeting=meeting)
        elif op == "attendance":
            attendance = AttendanceForm(request.POST)
            done = submit(request, attendance, services.attendance_record, "Attendance recorded.", meeting=meeting)
        elif op == "invite":
            done = attempt(
                request, lambda: services.meeting_invite(actor=request.user, meeting=meeting), "Invitations sent."
            )
        elif op == "recommendation":
            rec_form = RecommendationForm(request.POST, groups=groups)
            done = submit(
                request, rec_form, services.recommendation_create, "Recommendation recorded.", meeting=meeting
            )
        elif op in _MEETING_OPS:
            done = _MEETING_OPS[op](request, meeting, forms)
        if done:
            return redirect("governance:meeting-detail", pk=meeting.pk)
    context = {
        "meeting": meeting,
        "groups": groups,
        "manage": manage,
        "minutes_form": MinutesForm(initial={"minutes": meeting.minutes}),
        "attendance_form": AttendanceForm(),
        "rec_form": rec_form,
        "transitions": RECOMMENDATION_TRANSITIONS,
        **forms,
    }
    return render(request, "governance/meeting_detail.html", context)


def _meeting_edit(request: AuthedRequest, meeting: Any, forms: dict[str, Any]) -> bool:
    form = forms["edit_form"] = MeetingEditForm(request.POST, prefix="edit")
    return form.is_valid() and attempt(
        request,
        lambda: services.meeting_update(actor=request.user, meeting=meeting, **form.cleaned()),
        "Meeting updated; invitees already invited get the change.",
        form,
    )


def _meeting_cancel(request: AuthedRequest, meeting: Any, forms: dict[str, Any]) -> bool:
    form = forms["cancel_form"] = CancelForm(request.POST, prefix="cancel")
    return submit(
        request,
        form,
        services.meeting_cancel,
        "Meeting cancelled; the invitees were told.",
        inline=True,
        meeting=meeting,
    )


def _meeting_document(request: AuthedRequest, meeting: Any, forms: dict[str, Any]) -> bool:
    form = forms["document_form"] = DocumentForm(request.POST, request.FILES, prefix="doc")
    return form.is_valid() and attempt(
        request,
        lambda: services.meeting_attach_document(
            actor=request.user,
            meeting=meeting,
            title=form.cleaned_data["title"],
            stream=form.cleaned_data["file"],
            filename=form.cleaned_data["file"].name,
        ),
        "Document attached.",
        form,
    )


def _meeting_action(request: AuthedRequest, meeting: Any, forms: dict[str, Any]) -> bool:
    form = forms["action_form"] = ActionItemForm(request.POST, prefix="action")
    if not form.is_valid():
        return False
    data = dict(form.cleaned_data)
    recommendation = (
        selectors.recommendation_list(principal=request.user)
        .filter(meeting=meeting, pk=data.pop("recommendation"))
        .first()
    )
    if recommendation is None:
        form.add_error(None, "No such recommendation in this meeting.")
        return False
    return attempt(
        request,
        lambda: services.action_item_add(actor=request.user, recommendation=recommendation, **data),
        "Action item added.",
        form,
    )


def _meeting_action_done(request: AuthedRequest, meeting: Any, forms: dict[str, Any]) -> bool:
    try:
        item = selectors.action_item_get(principal=request.user, meeting=meeting, pk=request.POST.get("item", ""))
    except NotFound as exc:
        messages.error(request, exc.message)
        return False
    return attempt(request, lambda: services.action_item_complete(actor=request.user, item=item), "Action done.")


_MEETING_OPS: dict[str, Callable[[AuthedRequest, Any, dict[str, Any]], bool]] = {
    "update": _meeting_edit,
    "cancel": _meeting_cancel,
    "document": _meeting_document,
    "action": _meeting_action,
    "action_done": _meeting_action_done,
}


@login_required
def recommendation_list(request: AuthedRequest) -> HttpResponse:
    """The follow-up list: filter by region, group, status, area, overdue."""
    filterset = RecommendationFilter(request.GET, queryset=selectors.recommendation_list(principal=request.user))
    return listing(
        request,
        "governance/recommendation_list.html",
        filterset,
        manage=_manage(request),
        transitions=RECOMMENDATION_TRANSITIONS,
    )


@login_required
@require_POST
def recommendation_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a recommendation one step (from the board, the meeting page or the list)."""
    recommendation = found(lambda: selectors.recommendation_get(principal=request.user, pk=pk))
    form = TransitionForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: services.recommendation_transition(
                actor=request.user, recommendation=recommendation, **form.cleaned_data
            ),
            f"Recommendation moved to {form.cleaned_data['to'].replace('_', ' ')}.",
        )
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("governance:meeting-detail", pk=recommendation.meeting_id)


@login_required
def practice_list(request: AuthedRequest) -> HttpResponse:
    """The good-practices library: search, filter by topic, tag and TLP; members share."""
    form = PracticeForm()
    if request.method == "POST":
        form = PracticeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned()
            upload = data.pop("document")
            if attempt(
                request,
                lambda: services.practice_create(
                    actor=request.user, stream=upload, filename=upload.name if upload else "", **data
                ),
                "Shared in the library.",
            ):
                return redirect("governance:practice-list")
    filterset = PracticeFilter(request.GET, queryset=selectors.practice_list(principal=request.user))
    return listing(request, "governance/practice_list.html", filterset, form=form)


@login_required
def edition_list(request: AuthedRequest) -> HttpResponse:
    editions = EditionFilter(request.GET, queryset=selectors.edition_list(principal=request.user).order_by("-year"))
    page, query = paginate(request, editions.qs)
    return render(request, "governance/edition_list.html", {"filter": editions, "page": page, "query": query})


@login_required
def edition_detail(request: AuthedRequest, year: int) -> HttpResponse:
    """An edition: programme, call for papers, statistics by sector and region, registrations
    (staff). Anyone signed in registers and submits papers; managers review papers and add
    sessions with their speakers."""
    edition = found(lambda: selectors.edition_get(principal=request.user, pk=year))
    manage = _manage(request)
    form = RegistrationForm(
        initial={
            "name": request.user.get_full_name(),
            "email": request.user.email,
            "country": request.user.organisation.country,
        }
    )
    paper_form, review_form, session_form = (
        PaperForm(prefix="paper"),
        PaperReviewForm(prefix="review"),
        SessionForm(prefix="session"),
    )
    if request.method == "POST":
        op = request.POST.get("op", "register")
        done = False
        if op == "register":
            form = RegistrationForm(request.POST)
            done = submit(request, form, services.registration_create, "Registered.", edition=edition)
        elif op == "paper":
            paper_form = PaperForm(request.POST, prefix="paper")
            done = submit(request, paper_form, services.paper_submit, "Paper submitted.", inline=True, edition=edition)
        elif not manage:
            raise PermissionDenied("Programme managers only.")
        elif op == "review":
            review_form = PaperReviewForm(request.POST, prefix="review")
            done = review_form.is_valid() and _paper_review(request, edition, review_form)
        elif op == "session":
            session_form = SessionForm(request.POST, prefix="session")
            done = session_form.is_valid() and attempt(
                request,
                lambda: services.session_create(actor=request.user, edition=edition, **session_form.cleaned()),
                "Session added to the programme.",
                session_form,
            )
        if done:
            return redirect("governance:edition-detail", year=edition.year)
    stats = selectors.edition_statistics(edition=edition) if manage else None
    registrations = RegistrationFilter(
        request.GET, queryset=selectors.registration_list(principal=request.user).filter(edition=edition)
    )
    page, query = paginate(request, registrations.qs)
    top = max([row["registered"] for row in (stats["by_sector"] + stats["by_region"])] + [1]) if stats else 1
    context = {
        "edition": edition,
        "sessions": selectors.session_list(principal=request.user).filter(edition=edition),
        "stats": stats,
        "top": top,
        "filter": registrations,
        "page": page,
        "query": query,
        "form": form,
        "manage": manage,
        "papers": selectors.paper_list(principal=request.user).filter(edition=edition),
        "paper_form": paper_form,
        "review_form": review_form,
        "session_form": session_form,
    }
    return render(request, "governance/edition_detail.html", context)


def _paper_review(request: AuthedRequest, edition: Any, form: PaperReviewForm) -> bool:
    data = dict(form.cleaned_data)
    paper = selectors.paper_list(principal=request.user).filter(edition=edition, pk=data.pop("paper")).first()
    if paper is None:
        form.add_error(None, "No such paper for this edition.")
        return False
    return attempt(
        request, lambda: services.paper_review(actor=request.user, paper=paper, **data), "Review recorded.", form
    )
