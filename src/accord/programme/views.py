"""Programme UI: the partner portal (our experts, secondments, sponsorships, officers) and the
programme managers' pages (requests with candidate ranking, approvals, course catalogue,
session planning, enrolments and attendance, reports), plus the public certificate check.

Thin: forms check shape, services decide, selectors read.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accord.core.errors import ApplicationError, NotFound
from accord.core.ratelimit import client_ip, rate_limit_hit
from accord.core.regions import country_name
from accord.core.roles import Perm, has_perm
from accord.core.templatetags.labels import money
from accord.core.templatetags.labels import region as region_label
from accord.core.ui import AuthedRequest, found, listing
from accord.programme import selectors, services
from accord.programme.api import csv_response
from accord.programme.certificates import certificate_response
from accord.programme.choices import SECONDMENT_TRANSITIONS, EnrolmentStatus, SecondmentPurpose
from accord.programme.filters import (
    CourseFilter,
    ExpertFilter,
    OfficerFilter,
    SecondmentFilter,
    SecondmentRequestFilter,
    SponsorshipFilter,
    TrainingSessionFilter,
)
from accord.programme.forms import (
    AttendanceForm,
    CertificateCheckForm,
    CourseForm,
    ExpertForm,
    NominateForm,
    OfficerForm,
    RequestForm,
    SessionForm,
    SponsorshipForm,
    parse_languages,
    parse_windows,
)

__all__ = [
    "certificate_download",
    "certificate_verify",
    "course_list",
    "expert_create",
    "expert_detail",
    "expert_list",
    "home",
    "officer_list",
    "report_csv_download",
    "reports",
    "request_create",
    "request_detail",
    "request_list",
    "secondment_detail",
    "secondment_list",
    "session_create",
    "session_detail",
    "session_list",
    "sponsorship_list",
]

# What the buttons that move a placement say.
SECONDMENT_ACTIONS = {
    "approved": "Approve",
    "active": "Mark active",
    "completed": "Mark completed",
    "cancelled": "Cancel",
}


def _manage(request: AuthedRequest) -> bool:
    return has_perm(request.user, Perm.PROGRAMME_MANAGE)


def _contribute(request: AuthedRequest) -> bool:
    return _manage(request) or has_perm(request.user, Perm.PROGRAMME_CONTRIBUTE)


def _run(request: HttpRequest, form: Any, call: Callable[[], Any], success: str) -> Any:
    """Call a service; a business error lands on the form (or in the messages) instead of a 500.
    Returns what the service returned, or None when it refused."""
    try:
        result = call()
    except ApplicationError as exc:
        if form is not None:
            form.add_error(None, exc.message)
        else:
            messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result if result is not None else True


def _get(selector: Callable[..., Any], request: AuthedRequest, pk: Any) -> Any:
    return found(lambda: selector(principal=request.user, pk=pk))


def _status(form: Any) -> int:
    return 400 if form is not None and form.errors else 200


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """The programme's front page: what a partner has here, or the manager's work queues."""
    user = request.user
    context = {
        "manage": _manage(request),
        "experts": selectors.expert_list(principal=user).filter(is_active=True).count(),
        "open_requests": selectors.request_list(principal=user).filter(status="open").count(),
        "secondments": selectors.secondment_list(principal=user).filter(status__in=["approved", "active"]).count(),
        "proposed": selectors.secondment_list(principal=user).filter(status="proposed").count(),
        "sessions": selectors.session_list(principal=user).filter(cancelled=False).count(),
        "sponsorships": selectors.sponsorship_list(principal=user).count(),
        "officers": selectors.officer_list(principal=user).count(),
    }
    return render(request, "programme/home.html", context)


# --- Experts --------------------------------------------------------------------------------------


@login_required
def expert_list(request: AuthedRequest) -> HttpResponse:
    filterset = ExpertFilter(request.GET, queryset=selectors.expert_list(principal=request.user))
    skill_names = dict(selectors.skill_list(principal=request.user).values_list("code", "label"))
    return listing(
        request, "programme/expert_list.html", filterset, contribute=_contribute(request), skill_names=skill_names
    )


def _expert_save(request: AuthedRequest, form: ExpertForm, expert: Any) -> Any:
    data = form.cleaned_data
    fields = {
        "full_name": data["full_name"],
        "email": data["email"],
        "job_title": data["job_title"],
        "skills": form.skills(),
        "languages": parse_languages(data["languages"]),
        "clearance_level": data["clearance_level"],
        "clearance_expires": data["clearance_expires"],
        "availability": parse_windows(data["availability"]),
    }
    if expert is None:
        organisation = data["organisation"] or request.user.organisation
        return services.expert_create(actor=request.user, organisation=organisation, **fields)
    return services.expert_update(actor=request.user, expert=expert, is_active=data["is_active"], **fields)


def _expert_initial(expert: Any) -> dict[str, Any]:
    """The form's fields from a profile: skills per level field, languages and windows as text."""
    return {
        "full_name": expert.full_name,
        "email": expert.email,
        "job_title": expert.job_title,
        "languages": ", ".join(f"{entry['language']}:{entry['proficiency']}" for entry in expert.languages),
        "clearance_level": expert.clearance_level,
        "clearance_expires": expert.clearance_expires,
        "availability": "\n".join(f"{w['start']}..{w['end']}" for w in expert.availability),
        "is_active": expert.is_active,
        **{f"skill_{code}": level for code, level in expert.skills.items()},
    }


@login_required
def expert_create(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Add an expert (partner contributors for their organisation, programme managers for
    any), or edit one when ``pk`` is given."""
    if not _contribute(request):
        raise PermissionDenied("Partner contributors and programme managers only.")
    expert = _get(selectors.expert_get, request, pk) if pk is not None else None
    initial = _expert_initial(expert) if expert is not None else None
    form = ExpertForm(request.POST or None, initial=initial)
    del form.fields["organisation" if expert is not None else "is_active"]
    if request.method == "POST" and form.is_valid():
        saved = _run(request, form, lambda: _expert_save(request, form, expert), "Expert profile saved.")
        if saved:
            return redirect("programme:expert-detail", pk=saved.pk)
    context = {"form": form, "expert": expert}
    return render(request, "programme/expert_form.html", context, status=_status(form))


@login_required
def expert_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    expert = _get(selectors.expert_get, request, pk)
    placements = selectors.secondment_list(principal=request.user).filter(expert=expert)
    context = {"expert": expert, "placements": placements, "contribute": _contribute(request)}
    return render(request, "programme/expert_detail.html", context)


# --- Requests and secondments ---------------------------------------------------------------------


@login_required
def request_list(request: AuthedRequest) -> HttpResponse:
    filterset = SecondmentRequestFilter(request.GET, queryset=selectors.request_list(principal=request.user))
    return listing(request, "programme/request_list.html", filterset, manage=_manage(request))


@login_required
def request_create(request: AuthedRequest) -> HttpResponse:
    if not _manage(request):
        raise PermissionDenied("Programme managers only.")
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ("title", "unit", "project", "purpose", "location_city")}
        created = _run(
            request,
            form,
            lambda: services.request_create(
                actor=request.user,
                location_country=data["location_country"],
                start=data["start"],
                end=data["end"],
                required_skills=form.skills(),
                languages=parse_languages(data["languages"]),
                clearance=data["clearance"],
                description=data["description"],
                **fields,
            ),
            "Secondment request raised.",
        )
        if created:
            return redirect("programme:request-detail", pk=created.pk)
    return render(request, "programme/request_form.html", {"form": form}, status=_status(form))


@login_required
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A request, its placements and, for programme managers, the ranked candidates with a
    button to propose each eligible one."""
    secondment_request = _get(selectors.request_get, request, pk)
    manage = _manage(request)
    if request.method == "POST" and request.POST.get("op") == "status":
        if not manage:
            raise PermissionDenied("Programme managers only.")
        status = request.POST.get("status", "")
        _run(
            request,
            None,
            lambda: services.request_set_status(
                actor=request.user, secondment_request=secondment_request, status=status
            ),
            f"Request {status}.",
        )
        return redirect("programme:request-detail", pk=pk)
    if request.method == "POST":
        if not _contribute(request):
            raise PermissionDenied("Partner contributors and programme managers only.")
        expert = _get(selectors.expert_get, request, request.POST.get("expert"))
        created = _run(
            request,
            None,
            lambda: services.secondment_propose(
                actor=request.user, secondment_request=secondment_request, expert=expert
            ),
            f"{expert.full_name} proposed.",
        )
        if created:
            return redirect("programme:secondment-detail", pk=created.pk)
        return redirect("programme:request-detail", pk=pk)
    candidates = (
        selectors.request_candidates(principal=request.user, secondment_request=secondment_request) if manage else []
    )
    own_experts = [] if manage else selectors.expert_list(principal=request.user).filter(is_active=True)
    context = {
        "req": secondment_request,
        "manage": manage,
        "contribute": _contribute(request),
        "candidates": candidates,
        "own_experts": own_experts,
        "placements": selectors.secondment_list(principal=request.user).filter(request=secondment_request),
    }
    return render(request, "programme/request_detail.html", context)


@login_required
def secondment_list(request: AuthedRequest) -> HttpResponse:
    filterset = SecondmentFilter(request.GET, queryset=selectors.secondment_list(principal=request.user))
    return listing(request, "programme/secondment_list.html", filterset)


@login_required
def secondment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    secondment = _get(selectors.secondment_get, request, pk)
    reason = ""
    if request.method == "POST":
        to, reason = request.POST.get("to", ""), request.POST.get("reason", "")
        if _run(
            request,
            None,
            lambda: services.secondment_transition(actor=request.user, secondment=secondment, to=to, reason=reason),
            f"{secondment.reference}: {to}.",
        ):
            return redirect("programme:secondment-detail", pk=pk)
    manage = _manage(request)
    allowed = SECONDMENT_TRANSITIONS[secondment.status]
    actions = [(to, SECONDMENT_ACTIONS[to]) for to in allowed if manage or (to == "cancelled" and _contribute(request))]
    # A refused move shows the page again with the reason as typed.
    context = {"secondment": secondment, "actions": actions, "reason": reason}
    return render(request, "programme/secondment_detail.html", context, status=400 if request.method == "POST" else 200)


# --- Training -------------------------------------------------------------------------------------


@login_required
def course_list(request: AuthedRequest) -> HttpResponse:
    """The catalogue, with the form that adds a course for programme managers."""
    form = CourseForm(request.POST or None) if _manage(request) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Programme managers only.")
        if form.is_valid() and _run(
            request, form, lambda: services.course_create(actor=request.user, **form.cleaned_data), "Course added."
        ):
            return redirect("programme:course-list")
    filterset = CourseFilter(request.GET, queryset=selectors.course_list(principal=request.user))
    return listing(request, "programme/course_list.html", filterset, form=form, status=_status(form))


@login_required
def session_list(request: AuthedRequest) -> HttpResponse:
    filterset = TrainingSessionFilter(request.GET, queryset=selectors.session_list(principal=request.user))
    return listing(request, "programme/session_list.html", filterset, manage=_manage(request))


@login_required
def session_create(request: AuthedRequest) -> HttpResponse:
    if not _manage(request):
        raise PermissionDenied("Programme managers only.")
    form = SessionForm(request.POST or None, initial={"course": request.GET.get("course")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["trainer_experts"] = list(data["trainer_experts"])
        data["trainer_staff"] = list(data["trainer_staff"])
        created = _run(request, form, lambda: services.session_create(actor=request.user, **data), "Session planned.")
        if created:
            return redirect("programme:session-detail", pk=created.pk)
    return render(request, "programme/session_form.html", {"form": form}, status=_status(form))


def _session_post(request: AuthedRequest, session: Any) -> None:
    """The session page's actions: nominate, confirm, withdraw, attendance sheet, complete."""
    op = request.POST.get("op", "")
    user = request.user
    if op == "nominate":
        form = NominateForm(request.POST, officers=selectors.officer_list(principal=user))
        if not form.is_valid():
            messages.error(request, "Choose an officer to nominate.")
            return
        officer = form.cleaned_data["officer"]
        _run(
            request,
            None,
            lambda: services.enrolment_nominate(
                actor=user, session=session, officer=officer, waitlist=form.cleaned_data["waitlist"]
            ),
            f"{officer.full_name} nominated.",
        )
        return
    if op == "attendance":
        rows = _attendance_rows(request)
        for data in rows:
            enrolment = _get(selectors.enrolment_get, request, data["enrolment"])
            if enrolment.session_id != session.pk:
                raise Http404("Not an enrolment of this session.")

            def record(enrolment: Any = enrolment, data: dict[str, Any] = data) -> Any:
                score = data["score"] if data["attended"] else None
                return services.enrolment_record_attendance(
                    actor=user, enrolment=enrolment, attended=data["attended"], score=score
                )

            if not _run(request, None, record, f"Attendance of {enrolment.officer.full_name} recorded."):
                return
        return
    enrolment = _get(selectors.enrolment_get, request, request.POST.get("enrolment"))
    if enrolment.session_id != session.pk:
        raise Http404("Not an enrolment of this session.")
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "confirm": (lambda: services.enrolment_confirm(actor=user, enrolment=enrolment), "Seat confirmed."),
        "withdraw": (lambda: services.enrolment_withdraw(actor=user, enrolment=enrolment), "Enrolment withdrawn."),
        "complete": (
            lambda: services.enrolment_complete(actor=user, enrolment=enrolment),
            "Completed; certificate issued.",
        ),
    }
    if op not in calls:
        raise Http404("Unknown action.")
    call, success = calls[op]
    _run(request, None, call, success)


def _attendance_rows(request: AuthedRequest) -> list[dict[str, Any]]:
    """The attendance sheet: ``enrolment``, ``attended_<id>`` and ``score_<id>`` per row."""
    rows = []
    for pk in request.POST.getlist("enrolment"):
        form = AttendanceForm(
            {"enrolment": pk, "attended": request.POST.get(f"attended_{pk}"), "score": request.POST.get(f"score_{pk}")}
        )
        if not form.is_valid():
            messages.error(request, f"Row {pk}: the score is a whole number from 0 to 100.")
            return []
        rows.append(form.cleaned_data)
    return rows


@login_required
def session_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A session: its enrolment list, nomination, confirmation, the attendance sheet and
    certificates."""
    session = _get(selectors.session_get, request, pk)
    if request.method == "POST":
        _session_post(request, session)
        return redirect("programme:session-detail", pk=pk)
    enrolments = list(selectors.enrolment_list(principal=request.user).filter(session=session))
    officers = selectors.officer_list(principal=request.user).exclude(
        enrolments__session=session, enrolments__status__in=[s for s in EnrolmentStatus.values if s != "withdrawn"]
    )
    sheet = [e for e in enrolments if e.status in ("confirmed", "attended", "no_show")]
    context = {
        "session": session,
        "enrolments": enrolments,
        "sheet": sheet,
        "manage": _manage(request),
        "contribute": _contribute(request),
        "nominate_form": NominateForm(officers=officers),
        "sponsorships": selectors.sponsorship_list(principal=request.user).filter(session=session),
        "nominations_open": not session.cancelled and session.start > timezone.localdate(),
    }
    return render(request, "programme/session_detail.html", context)


@login_required
def sponsorship_list(request: AuthedRequest) -> HttpResponse:
    """Sponsorships (a partner's own), with the form that records one for programme managers."""
    form = SponsorshipForm(request.POST or None) if _manage(request) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Programme managers only.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            session_pk = data.pop("session")
            try:
                data["session"] = selectors.session_get(principal=request.user, pk=session_pk) if session_pk else None
            except NotFound as exc:
                form.add_error("session", exc.message)
            else:
                for name in ("amount", "estimated_value"):
                    data[name] = data[name] or None
                if _run(request, form, lambda: services.sponsorship_create(actor=request.user, **data), "Recorded."):
                    return redirect("programme:sponsorship-list")
    filterset = SponsorshipFilter(request.GET, queryset=selectors.sponsorship_list(principal=request.user))
    return listing(request, "programme/sponsorship_list.html", filterset, form=form, status=_status(form))


@login_required
def officer_list(request: AuthedRequest) -> HttpResponse:
    """A unit's officers (all, for the programme), with the form that registers one."""
    form = OfficerForm(request.POST or None) if _contribute(request) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Partner contributors and programme managers only.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            organisation = data.pop("organisation") or request.user.organisation
            if _run(
                request,
                form,
                lambda: services.officer_create(actor=request.user, organisation=organisation, **data),
                "Officer registered.",
            ):
                return redirect("programme:officer-list")
    filterset = OfficerFilter(request.GET, queryset=selectors.officer_list(principal=request.user))
    return listing(request, "programme/officer_list.html", filterset, form=form, status=_status(form))


# --- Certificates ---------------------------------------------------------------------------------


@login_required
def certificate_download(request: AuthedRequest, pk: int) -> HttpResponse:
    certificate = _get(selectors.certificate_get, request, pk)
    return certificate_response(certificate)


def certificate_verify(request: HttpRequest, code: str = "") -> HttpResponse:
    """The public check (no login), at ``/certificates/verify/`` (a form) or at the address the
    certificate's QR code carries: valid or not, the course and the date, and whether the holder's
    name the checker typed matches; the stored name is never shown. Checks are rate-limited per
    address (``ACCORD_CERTIFICATE_CHECK_RATE``): a holder's name cannot be guessed by trying."""
    data = request.POST if request.method == "POST" else {"code": code} if code else None
    form = CertificateCheckForm(data)
    context: dict[str, Any] = {"form": form, "code": code, "result": None, "checked": False}
    if data is None or not form.is_valid():
        return render(request, "programme/certificate_verify.html", context, status=400 if form.errors else 200)
    if not rate_limit_hit("certificate-check", client_ip(request), settings.ACCORD_CERTIFICATE_CHECK_RATE):
        form.add_error(None, "Too many checks from your address; please try again in an hour.")
        return render(request, "programme/certificate_verify.html", context, status=429)
    context["checked"] = True
    try:
        context["result"] = selectors.certificate_verify(form.cleaned_data["code"], form.cleaned_data["holder"])
    except NotFound:
        return render(request, "programme/certificate_verify.html", context, status=404)
    return render(request, "programme/certificate_verify.html", context)


# --- Reports --------------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() else None


def _chart(report: selectors.Report, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bars for a report's measure, as widths in percent of the largest (drawn with CSS)."""
    values = [Decimal(str(row[report.measure] or 0)) for row in rows]
    top = max(values, default=Decimal(0)) or Decimal(1)
    return [
        {
            "label": " · ".join(_cell(name, row) for name in report.label),
            "value": value,
            "width": float(value / top * 100),
        }
        for row, value in zip(rows, values, strict=True)
    ]


@login_required
def reports(request: AuthedRequest) -> HttpResponse:
    """Every report as a table with a bar chart, and its CSV download."""
    year = _year(request)
    try:
        tables = [
            {
                "report": report,
                "rows": rows,
                "chart": _chart(report, rows),
                "headers": [REPORT_HEADERS.get(c, c.replace("_", " ").capitalize()) for c in report.columns],
                "cells": [[_cell(c, row) for c in report.columns] for row in rows],
            }
            for report in selectors.REPORTS.values()
            for rows in [selectors.REPORT_SELECTORS[report.name](principal=request.user, year=year)]
        ]
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(request, "programme/reports.html", {"tables": tables, "year": year or ""})


# A report's columns in words on the page (the CSV download keeps the machine names).
REPORT_HEADERS = {"in_kind_estimated": "In kind (estimated value)", "person_months": "Person-months"}
MONEY_COLUMNS = ("financial", "in_kind_estimated")


def _cell(column: str, row: dict[str, Any]) -> str:
    """One report cell as people read it: regions and countries by name, money with separators."""
    value = row.get(column)
    if column == "region":
        return region_label(str(value or ""))
    if column == "country":
        return country_name(str(value or ""))
    if column == "purpose":
        return str(dict(SecondmentPurpose.choices).get(str(value), value))
    if column in MONEY_COLUMNS:
        return money(value, row.get("currency", ""))
    return "" if value is None else str(value)


@login_required
def report_csv_download(request: AuthedRequest, name: str) -> HttpResponse:
    report = selectors.REPORTS.get(name)
    if report is None:
        raise Http404("No such report.")
    try:
        rows = selectors.REPORT_SELECTORS[name](principal=request.user, year=_year(request))
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    return csv_response(name, report.columns, rows)
