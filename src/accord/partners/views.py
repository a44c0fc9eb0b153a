"""Partnership UI: the public application form and directory, vetting, agreements, invitations.

Thin: forms check shape, services decide, selectors read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from accord.core.choices import Region, Sector
from accord.core.errors import ApplicationError
from accord.core.ratelimit import client_ip, rate_limit_hit
from accord.core.roles import Perm, has_perm
from accord.core.selectors import organisation_get
from accord.core.services import person_set_password
from accord.core.ui import AuthedRequest, found, listing
from accord.partners import selectors, services
from accord.partners.choices import APPLICATION_ACTIONS, APPLICATION_TRANSITIONS, AgreementKind, ChecklistItem
from accord.partners.filters import AgreementFilter, ApplicationFilter
from accord.partners.forms import (
    ActivateForm,
    AgreementForm,
    AmendForm,
    ApplicationForm,
    ChecklistForm,
    CommentForm,
    DocumentForm,
    ReasonForm,
    TransitionForm,
)

__all__ = [
    "InvitationView",
    "agreement_create",
    "agreement_detail",
    "agreement_document",
    "agreement_list",
    "application_detail",
    "application_list",
    "apply",
    "partnership_action",
    "directory",
]


def _run(request: HttpRequest, form: Any, call: Callable[[], Any], success: str) -> bool:
    """Call a service; a business error lands on the form (or in the messages) instead of a 500."""
    try:
        call()
    except ApplicationError as exc:
        if form is not None:
            form.add_error(None, exc.message)
        else:
            messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def apply(request: HttpRequest) -> HttpResponse:
    """The public application form (no login)."""
    form = ApplicationForm(request.POST or None)
    if request.method == "POST":
        if not rate_limit_hit("application", client_ip(request), settings.ACCORD_APPLICATION_RATE):
            form.add_error(None, "Too many applications from your address; please try again in an hour.")
            return render(request, "partners/apply.html", {"form": form}, status=429)
        if form.is_valid():
            try:
                application = services.application_submit(**form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return render(request, "partners/apply_done.html", {"application": application}, status=201)
    return render(request, "partners/apply.html", {"form": form}, status=400 if form.errors else 200)


def directory(request: HttpRequest) -> HttpResponse:
    """The public partner directory, grouped by sector."""
    partners = list(selectors.directory_list())
    region = request.GET.get("region", "")
    if region:
        partners = [p for p in partners if p.region == region]
    groups: dict[str, list[Any]] = {}
    for partner in partners:
        groups.setdefault(partner.get_sector_display() or partner.get_kind_display(), []).append(partner)
    return render(
        request,
        "partners/directory.html",
        {"groups": sorted(groups.items()), "regions": Region.choices, "region": region, "sectors": Sector},
    )


class InvitationView(PasswordResetConfirmView):
    """An invited person sets a password through the one-time link e-mailed to them."""

    template_name = "partners/invitation.html"
    success_url = reverse_lazy("web:dashboard")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        person = self.user
        assert person is not None  # noqa: S101 - form_valid runs only for a valid link
        person_set_password(actor=None, person=person, password=form.cleaned_data["new_password1"])
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        login(self.request, person, backend="accord.core.authentication.ThrottledModelBackend")
        messages.success(self.request, "Welcome to Accord: your password is set.")
        return redirect(self.success_url)


def _can_manage(request: AuthedRequest) -> bool:
    return has_perm(request.user, Perm.PARTNERSHIP_MANAGE)


@login_required
def application_list(request: AuthedRequest) -> HttpResponse:
    filterset = ApplicationFilter(request.GET, queryset=selectors.application_list(principal=request.user))
    return listing(request, "partners/application_list.html", filterset)


def _application_change(
    request: AuthedRequest,
    application: Any,
    form: Any,
    service: Callable[..., Any],
    success: Callable[[dict[str, Any]], str],
    *,
    inline: bool = True,
) -> bool:
    """A change posted on the application page, made by ``service`` when ``form`` is valid; a
    business error lands on the form (``inline``) or in the messages."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    return _run(
        request,
        form if inline else None,
        lambda: service(actor=request.user, application=application, **data),
        success(data),
    )


@login_required
def application_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    application = found(lambda: selectors.application_get(principal=request.user, pk=pk))
    manage = _can_manage(request)
    comment_form, transition_form = CommentForm(), TransitionForm()
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Programme managers only.")
        op = request.POST.get("op")
        done = False
        if op == "transition":
            transition_form = TransitionForm(request.POST)
            done = _application_change(
                request,
                application,
                transition_form,
                services.application_transition,
                lambda data: f"Application moved to {data['to'].replace('_', ' ')}.",
            )
        elif op == "check":
            done = _application_change(
                request,
                application,
                ChecklistForm(request.POST),
                services.application_check,
                lambda data: "Checklist updated.",
                inline=False,
            )
        elif op == "comment":
            comment_form = CommentForm(request.POST)
            done = _application_change(
                request, application, comment_form, services.application_comment, lambda data: "Comment added."
            )
        if done:
            return redirect("partners:application-detail", pk=application.pk)
    checklist = [(item, application.checklist.get(item.value, {})) for item in ChecklistItem]
    context = {
        "application": application,
        "checklist": checklist,
        "history": selectors.application_history(application=application),
        "transitions": [(to, APPLICATION_ACTIONS[to]) for to in APPLICATION_TRANSITIONS[application.status]],
        "comment_form": comment_form,
        "transition_form": transition_form,
        "manage": manage,
    }
    return render(request, "partners/application_detail.html", context, status=400 if transition_form.errors else 200)


@login_required
def agreement_list(request: AuthedRequest) -> HttpResponse:
    filterset = AgreementFilter(request.GET, queryset=selectors.agreement_list(principal=request.user))
    return listing(request, "partners/agreement_list.html", filterset, manage=_can_manage(request))


@login_required
def agreement_create(request: AuthedRequest) -> HttpResponse:
    if not _can_manage(request):
        raise PermissionDenied("Programme managers only.")
    form = AgreementForm(request.POST or None, initial={"organisation": request.GET.get("organisation")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created: list[Any] = []
        terms = form.terms() if data["kind"] == AgreementKind.DATA_SHARING else {}
        if _run(
            request,
            form,
            lambda: created.append(
                services.agreement_create(
                    actor=request.user,
                    organisation=data["organisation"],
                    kind=data["kind"],
                    title=data["title"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    terms=terms,
                )
            ),
            "Agreement drafted.",
        ):
            return redirect("partners:agreement-detail", pk=created[0].pk)
    return render(request, "partners/agreement_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def agreement_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    agreement = found(lambda: selectors.agreement_get(principal=request.user, pk=pk))
    manage = _can_manage(request)
    version = agreement.current_version
    amend_initial = {name: getattr(version, name) for name in AmendForm.base_fields if hasattr(version, name)}
    amend_form = AmendForm(initial=amend_initial)
    document_form, reason_form = DocumentForm(), ReasonForm()
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Programme managers only.")
        op = request.POST.get("op", "")
        done = False
        if op in _IRREVERSIBLE:
            return _agreement_confirm(request, agreement, op)
        if op == "suspend":
            reason_form = ReasonForm(request.POST)
            if reason_form.is_valid():
                done = _run(
                    request,
                    reason_form,
                    lambda: services.agreement_suspend(
                        actor=request.user, agreement=agreement, **reason_form.cleaned_data
                    ),
                    "Agreement suspended.",
                )
        elif op == "amend":
            amend_form = AmendForm(request.POST)
            if amend_form.is_valid():
                data = amend_form.cleaned_data
                terms = amend_form.terms() if agreement.kind == AgreementKind.DATA_SHARING else {}
                done = _run(
                    request,
                    amend_form,
                    lambda: services.agreement_amend(
                        actor=request.user,
                        agreement=agreement,
                        change_note=data["change_note"],
                        valid_from=data["valid_from"],
                        valid_until=data["valid_until"],
                        clear_valid_until=data["valid_until"] is None,
                        terms=terms,
                    ),
                    "Amendment recorded as a new version.",
                )
        elif op == "document":
            document_form = DocumentForm(request.POST, request.FILES)
            if document_form.is_valid():
                upload = document_form.cleaned_data["document"]
                done = _run(
                    request,
                    document_form,
                    lambda: services.agreement_attach_document(
                        actor=request.user, agreement=agreement, name=upload.name, stream=upload
                    ),
                    "Signed document stored.",
                )
        if done:
            return redirect("partners:agreement-detail", pk=agreement.pk)
    context = {
        "agreement": agreement,
        "version": version,
        "versions": agreement.versions.all(),
        "manage": manage,
        "amend_form": amend_form,
        "document_form": document_form,
        "reason_form": reason_form,
        "is_dsa": agreement.kind == AgreementKind.DATA_SHARING,
    }
    failed = any(f.errors for f in (amend_form, document_form, reason_form))
    return render(request, "partners/agreement_detail.html", context, status=400 if failed else 200)


# What cannot be taken back once done: each asks for a confirmation that says what will happen.
_IRREVERSIBLE = {"activate": "activated", "terminate": "terminated"}


def _agreement_confirm(request: AuthedRequest, agreement: Any, op: str) -> HttpResponse:
    """The confirmation step of activating or terminating: the first ``POST`` (from the
    agreement's page) shows what will happen, with the reason as typed; only a ``POST`` carrying
    ``confirm=yes`` calls the service. An error shows this page again, nothing typed lost."""
    form = (ActivateForm if op == "activate" else ReasonForm)(request.POST)
    version = agreement.current_version
    is_dsa = agreement.kind == AgreementKind.DATA_SHARING
    if request.POST.get("confirm") == "yes" and form.is_valid():
        service = getattr(services, f"agreement_{op}")
        if _run(
            request,
            form,
            lambda: service(actor=request.user, agreement=agreement, **form.cleaned_data),
            f"{agreement.reference} {_IRREVERSIBLE[op]}.",
        ):
            return redirect("partners:agreement-detail", pk=agreement.pk)
    context = {
        "agreement": agreement,
        "version": version,
        "op": op,
        "form": form,
        "is_dsa": is_dsa,
        "unsigned": is_dsa and version is not None and not version.document,
        "may_override": has_perm(request.user, Perm.PLATFORM_ADMIN),
    }
    return render(request, "partners/agreement_confirm.html", context, status=400 if form.errors else 200)


@login_required
def agreement_document(request: AuthedRequest, pk: int) -> FileResponse:
    agreement = found(lambda: selectors.agreement_get(principal=request.user, pk=pk))
    version = agreement.current_version
    if version is None or not version.document:
        raise Http404("No signed document yet.")
    return FileResponse(
        version.document.open("rb"), as_attachment=True, filename=version.document_name, content_type="application/pdf"
    )


@login_required
@require_POST
def partnership_action(request: AuthedRequest, pk: int) -> HttpResponse:
    """Suspend, reinstate or terminate a partnership from the organisation's page."""
    op = request.POST.get("op", "")
    if op not in {"suspend", "reinstate", "terminate"}:
        raise Http404("Unknown action.")
    organisation = found(lambda: organisation_get(principal=request.user, pk=pk))
    service = getattr(services, f"organisation_{op}")
    _run(
        request,
        None,
        lambda: service(actor=request.user, organisation=organisation, reason=request.POST.get("reason", "")),
        f"Partnership {op}d.",
    )
    return redirect("web:organisation-detail", pk=pk)
