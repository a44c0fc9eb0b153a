"""Sharing UI: upload with progress, one's submissions and what they refused, browsing shared data.

Thin: the form checks shape, the ingest service decides, selectors read through the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError, NotFound
from accord.core.roles import Perm, has_perm
from accord.core.ui import PAGE_SIZE, AuthedRequest, found, paginate
from accord.policy import principal_context
from accord.sharing import selectors
from accord.sharing.choices import SubmissionStatus
from accord.sharing.filters import StixObjectFilter
from accord.sharing.forms import AddressForm, ExtendRetentionForm, RestoreForm, SubmissionForm
from accord.sharing.progress import progress_of
from accord.sharing.services import (
    object_address,
    object_restore,
    object_retention_extend,
    object_revoke,
    personal_data_consulted,
    submission_create,
    submission_run,
    submission_runs_in_request,
    submission_start,
)

__all__ = [
    "object_address_confirm",
    "object_detail",
    "object_extend_confirm",
    "object_list",
    "object_restore_confirm",
    "object_revoke_confirm",
    "submission_begin",
    "submission_detail",
    "submission_list",
    "submit",
]


@login_required
def submit(request: AuthedRequest) -> HttpResponse:
    """Upload a file; small ones are ingested at once, large ones queued. Then see how it went.

    Through htmx the page stays while the file is read: the upload answers with the submission's
    status, which the page polls (the ingest's own progress) while a second request reads it
    (:func:`submission_begin`); the page then goes to the submission. Without scripts the upload
    reads a small file at once and goes to the submission's page."""
    if not has_perm(request.user, Perm.SHARING_SUBMIT):
        raise PermissionDenied("Your role does not share data.")
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            submission, created = submission_create(
                actor=request.user,
                organisation=request.user.organisation,
                stream=data["file"],
                filename=data["file"].name,
                format=data["format"] or "auto",
                tlp=data["tlp"] or None,
                agreement=data["agreement"] or None,
                strict=data["strict"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if created:
                submission_start(submission=submission, later=bool(request.htmx))
            url = reverse("sharing:submission-detail", args=[submission.pk])
            if request.htmx and created:
                context = {
                    "submission": submission,
                    "progress": progress_of(submission),
                    "begin": submission_runs_in_request(submission),
                }
                return render(request, "sharing/_upload_running.html", context)
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    return render(request, "sharing/submit.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def submission_begin(request: AuthedRequest, pk: int) -> HttpResponse:
    """Read one's own quick submission still queued, now (the share page's second request, or
    the submission's page opened before it ran); then go to the submission's page."""
    submission = found(lambda: selectors.submission_get(principal=request.user, pk=pk))
    if not has_perm(request.user, Perm.SHARING_SUBMIT) or submission.organisation_id != request.user.organisation_id:
        raise PermissionDenied("Only the organisation that sent a submission starts it.")
    submission_run(submission=submission)
    return _go_to(request, submission)


def _go_to(request: AuthedRequest, submission: Any) -> HttpResponse:
    url = reverse("sharing:submission-detail", args=[submission.pk])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _label(obj: Any) -> str:
    """What a reader looks for first in an object: its name, its value, its pattern, else its id."""
    body = obj.body if isinstance(obj.body, dict) else {}
    for key in ("name", "value", "pattern", "hashes"):
        if body.get(key):
            return str(body[key])
    return str(obj.stix_id)


@login_required
def submission_list(request: AuthedRequest) -> HttpResponse:
    qs = selectors.submission_list(principal=request.user)
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    page, query = paginate(request, qs)
    return render(request, "sharing/submission_list.html", {"page": page, "query": query, "status": status})


@login_required
def submission_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A submission's progress (polled while it runs; once it has ended the poll brings the whole
    page), counts, what it stored (a page at a time, ``stored``) and what it refused (``page``)."""
    try:
        submission = selectors.submission_get(principal=request.user, pk=pk)
        refused, query = paginate(request, selectors.refusal_list(principal=request.user, pk=pk))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    running = submission.status in (SubmissionStatus.QUEUED, SubmissionStatus.PROCESSING)
    if request.htmx:
        if not running:
            return _go_to(request, submission)
        context = {"submission": submission, "progress": progress_of(submission), "page": refused, "query": query}
        return render(request, "sharing/_submission_status.html", context)
    stored = Paginator(selectors.submission_objects(principal=request.user, pk=pk), PAGE_SIZE).get_page(
        request.GET.get("stored")
    )
    personal_data_consulted(actor=request.user, objects=stored, purpose="investigation", via="web")
    stored_query = request.GET.copy()
    stored_query.pop("stored", None)
    own = submission.organisation_id == request.user.organisation_id and has_perm(request.user, Perm.SHARING_SUBMIT)
    context = {
        "submission": submission,
        "progress": progress_of(submission),
        "page": refused,
        "query": query,
        "stored": stored,
        "stored_rows": [(o, _label(o)) for o in stored],
        "stored_query": stored_query.urlencode(),
        "begin": own and submission_runs_in_request(submission),
    }
    return render(request, "sharing/submission_detail.html", context)


@login_required
def object_list(request: AuthedRequest) -> HttpResponse:
    """Shared data as far as the policy lets this person see it."""
    purpose = request.GET.get("purpose", "investigation")
    try:
        qs = selectors.object_list(principal=request.user, purpose=purpose)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    filterset = StixObjectFilter(request.GET, queryset=qs, request=request)
    page, query = paginate(request, filterset.qs)
    personal_data_consulted(actor=request.user, objects=page, purpose=purpose, via="web")
    blocklists = [("ipv4", "IPv4"), ("ipv6", "IPv6"), ("domain", "Domains"), ("url", "URLs"), ("sha256", "SHA-256")]
    return render(
        request,
        "sharing/object_list.html",
        {"filter": filterset, "page": page, "query": query, "blocklists": blocklists},
    )


@login_required
def object_detail(request: AuthedRequest, key: str) -> HttpResponse:
    versions = found(lambda: selectors.object_get(principal=request.user, key=key))
    context = principal_context(request.user)
    personal_data_consulted(actor=request.user, objects=versions, purpose="investigation", via="web", context=context)
    shown = [(v, selectors.redacted(v, context, "investigation")) for v in versions]
    own = _own(request, versions)
    page = {
        "versions": shown,
        "latest": versions[0],
        "revocable": _revocable(request, versions),
        "restorable": any(v.revoked for v in own),
        "addressable": bool(own),
        "extendable": any(v.expires_at is not None for v in own),
    }
    return render(request, "sharing/object_detail.html", page)


def _own(request: AuthedRequest, versions: list[Any]) -> list[Any]:
    """The versions this person's organisation shared, if their role shares data: what the
    originator's services (restore, address, keep longer) act on."""
    if not has_perm(request.user, Perm.SHARING_SUBMIT):
        return []
    return [v for v in versions if v.organisation_id == request.user.organisation_id]


def _revocable(request: AuthedRequest, versions: list[Any]) -> bool:
    """Whether this person may revoke the object: it is their organisation's, and not all revoked."""
    return has_perm(request.user, Perm.SHARING_SUBMIT) and any(
        v.organisation_id == request.user.organisation_id and not v.revoked for v in versions
    )


@login_required
def object_revoke_confirm(request: AuthedRequest, key: str) -> HttpResponse:
    """Revoke one's own object, after a page that says what revoking does: ``GET`` (or a
    ``POST`` without ``confirm=yes``) asks, a confirmed ``POST`` revokes every version."""
    versions = found(lambda: selectors.object_get(principal=request.user, key=key))
    if not _revocable(request, versions):
        raise PermissionDenied("Only the organisation that shared an object may revoke it.")
    latest = versions[0]
    reason = request.POST.get("reason", "")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            count = object_revoke(actor=request.user, stix_id=latest.stix_id, reason=reason)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{latest.stix_id} revoked ({count} version{'s' if count != 1 else ''}).")
            return redirect("sharing:object-list")
    own = [v for v in versions if v.organisation_id == request.user.organisation_id and not v.revoked]
    context = {"latest": latest, "versions": own, "reason": reason}
    return render(request, "sharing/object_revoke.html", context)


def _originator_page(
    request: AuthedRequest,
    key: str,
    form_class: Any,
    template: str,
    act: Callable[[str, dict[str, Any]], int],
    done: Callable[[int], str],
    **form_kwargs: Any,
) -> HttpResponse:
    """A page of an originator's act on its object: ``GET`` (or a ``POST`` without
    ``confirm=yes``) says what it will do, carrying what was typed; a confirmed, valid ``POST``
    calls ``act(stix_id, data)`` (a service, whose refusal is shown next to the field it names)
    and returns to the object saying ``done(how many)``."""
    versions = found(lambda: selectors.object_get(principal=request.user, key=key))
    own = _own(request, versions)
    if not own:
        raise PermissionDenied("Only the organisation that shared an object may do this, and a role that shares data.")
    latest = versions[0]
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, **form_kwargs)
    if posted and request.POST.get("confirm") == "yes" and form.is_valid():
        try:
            count = act(latest.stix_id, form.cleaned_data)
        except ApplicationError as exc:
            field = next(iter(exc.details), None) if isinstance(exc.details, dict) else None
            form.add_error(field if field in form.fields else None, exc.message.removeprefix(f"{field}: "))
        else:
            messages.success(request, done(count))
            return redirect("sharing:object-detail", latest.stix_id)
    return render(request, template, {"latest": latest, "versions": own, "form": form})


@login_required
def object_restore_confirm(request: AuthedRequest, key: str) -> HttpResponse:
    """Undo the revocation of one's own object (every revoked version), after a page saying
    that it is shared again with everyone its terms allow."""

    def act(stix_id: str, data: dict[str, Any]) -> int:
        return object_restore(actor=request.user, stix_id=stix_id, reason=data["reason"])

    def done(count: int) -> str:
        if not count:
            return "Nothing to restore: no version was revoked."
        return f"Restored {count} version(s): shared again; TAXII pollers allowed it receive it on their next poll."

    return _originator_page(request, key, RestoreForm, "sharing/object_restore.html", act, done)


@login_required
def object_address_confirm(request: AuthedRequest, key: str) -> HttpResponse:
    """Address one's own object to more organisations, after a page saying that they receive it."""

    def act(stix_id: str, data: dict[str, Any]) -> int:
        return object_address(actor=request.user, stix_id=stix_id, organisations=list(data["organisations"]))

    def done(count: int) -> str:
        if not count:
            return "It was addressed to all of them already."
        return (
            f"Addressed to {count} more organisation(s): they receive it from now on, TAXII pollers on their next poll."
        )

    choices = selectors.addressee_choices(principal=request.user)
    return _originator_page(request, key, AddressForm, "sharing/object_address.html", act, done, choices=choices)


@login_required
def object_extend_confirm(request: AuthedRequest, key: str) -> HttpResponse:
    """Keep one's own object longer, after a page saying until when and what that brings back."""

    def act(stix_id: str, data: dict[str, Any]) -> int:
        return object_retention_extend(actor=request.user, stix_id=stix_id, until=data["until"], reason=data["reason"])

    def done(count: int) -> str:
        if not count:
            return "Nothing changed: no version's retention ended before that date."
        return f"Kept {count} version(s) longer: its readers receive it until the new date."

    return _originator_page(request, key, ExtendRetentionForm, "sharing/object_extend.html", act, done)
