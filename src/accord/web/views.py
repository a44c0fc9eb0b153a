"""The shared UI: login, dashboard with live counts, organisations, people, tokens, audit.

Views are thin: selectors read, services write, filters come from :mod:`accord.core.filters`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.core import selectors, services
from accord.core.audit import audit_verify
from accord.core.errors import ApplicationError
from accord.core.filters import AuditEventFilter, OrganisationFilter, PersonFilter
from accord.core.roles import Perm, has_perm
from accord.core.second_factor import people_with_second_factor
from accord.core.ui import AuthedRequest, found, listing, paginate
from accord.interception.selectors import interceptions_waiting
from accord.partners import selectors as partner_selectors
from accord.web.forms import TokenIssueForm
from accord.web.homes import home_context

__all__ = [
    "audit_list",
    "dashboard",
    "dashboard_counts",
    "organisation_detail",
    "organisation_list",
    "person_list",
    "token_list",
    "token_revoke",
]


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """The home of each role (:mod:`accord.web.homes`), with the payment interception requests
    waiting on the person's organisation."""
    context = home_context(request, request.user) | {"waiting": interceptions_waiting(principal=request.user)[:10]}
    return render(request, "web/dashboard.html", context)


@login_required
def dashboard_counts(request: AuthedRequest) -> HttpResponse:
    """The counts fragment, polled by htmx every few seconds."""
    return render(request, "web/_counts.html", {"counts": selectors.dashboard_counts(principal=request.user)})


@login_required
def organisation_list(request: AuthedRequest) -> HttpResponse:
    filterset = OrganisationFilter(request.GET, queryset=selectors.organisation_list(principal=request.user))
    return listing(request, "web/organisation_list.html", filterset)


@login_required
def organisation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    organisation = found(lambda: selectors.organisation_get(principal=request.user, pk=pk))
    people = selectors.person_list(principal=request.user).filter(organisation=organisation)
    agreements = partner_selectors.agreement_list(principal=request.user).filter(organisation=organisation)
    applications = partner_selectors.application_list(principal=request.user).filter(organisation=organisation)
    context = {
        "organisation": organisation,
        "people": people,
        "agreements": agreements,
        "applications": applications,
        "manage": has_perm(request.user, Perm.PARTNERSHIP_MANAGE) and not organisation.is_host,
    }
    return render(request, "web/organisation_detail.html", context)


@login_required
def person_list(request: AuthedRequest) -> HttpResponse:
    filterset = PersonFilter(request.GET, queryset=selectors.person_list(principal=request.user))
    page, query = paginate(request, filterset.qs)
    context = {"filter": filterset, "page": page, "query": query}
    if has_perm(request.user, Perm.PLATFORM_ADMIN):  # who has a second factor, and a way to reset it
        context["second_factor"] = people_with_second_factor([p.pk for p in page])
    return render(request, "web/person_list.html", context)


@login_required
def token_list(request: AuthedRequest) -> HttpResponse:
    """One's API tokens, and the form that issues a new one (its secret is shown once)."""
    issued = None
    form = TokenIssueForm(request.POST or None, role=request.user.role)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_issue(actor=request.user, user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            form = TokenIssueForm(role=request.user.role)
    tokens = selectors.token_list(principal=request.user)
    return render(
        request,
        "web/token_list.html",
        {"form": form, "tokens": tokens, "issued": issued},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        token = selectors.token_get(principal=request.user, pk=pk)
        services.token_revoke(actor=request.user, token=token)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("web:token-list")


@login_required
def audit_list(request: AuthedRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.AUDIT_VIEW):
        raise PermissionDenied("Auditors and administrators only.")
    filterset = AuditEventFilter(
        request.GET, queryset=selectors.audit_event_list(principal=request.user).order_by("-seq")
    )
    page, query = paginate(request, filterset.qs)
    report = audit_verify() if request.GET.get("verify") else None
    return render(request, "web/audit_list.html", {"filter": filterset, "page": page, "query": query, "report": report})
