"""Sharing UI: upload with progress, one's submissions and what they refused, browsing shared data.

Thin: the form checks shape, the ingest service decides, selectors read through the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
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
from accord.formats.choices import ObservableType
from accord.policy import principal_context
from accord.sharing import selectors
from accord.sharing.choices import SubmissionStatus
from accord.sharing.filters import StixObjectFilter
from accord.sharing.forms import AddressForm, ExtendRetentionForm, FreeTextForm, RestoreForm, SubmissionForm
from accord.sharing.freetext import Candidate, draft_dumps, draft_loads, extract
from accord.sharing.progress import progress_of
from accord.sharing.services import (
    freetext_commit,
    freetext_problems,
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
from accord.sharing.words import body_facts, property_label, stix_type_label

__all__ = [
    "freetext",
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
def freetext(request: AuthedRequest) -> HttpResponse:
    """Free text reviewed before it is shared (MISP's free-text import): paste or upload text
    (``op=extract``), see every value found with its type, sentence and warning-list hit, untick
    or retype, then share what is kept (``op=commit``). Nothing is stored before the commit: the
    values found travel in the review form as a signed draft."""
    if not has_perm(request.user, Perm.SHARING_SUBMIT):
        raise PermissionDenied("Your role does not share data.")
    if request.method == "POST" and request.POST.get("op") == "commit":
        return _freetext_commit(request)
    form = FreeTextForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        candidates, total = extract(data["text"])
        draft = draft_dumps(candidates, tlp=data["tlp"], agreement=data["agreement"], filename=data.get("filename", ""))
        rows = [_ReviewRow(n, c, True, c.type, c.value) for n, c in enumerate(candidates, start=1)]
        return _review(request, rows, draft, total=total, tlp=data["tlp"])
    return render(request, "sharing/freetext.html", {"form": form}, status=400 if form.errors else 200)


@dataclass
class _ReviewRow:
    """One value of a review as the form shows it: its number, what was found, whether it is
    kept, its type and value as the person left them, and what is wrong with them."""

    number: int
    found: Candidate
    keep: bool
    type: str
    value: str
    error: str = ""


def _review(
    request: AuthedRequest, rows: list[_ReviewRow], draft: str, *, total: int, tlp: str, error: str = ""
) -> HttpResponse:
    context = {
        "rows": rows,
        "draft": draft,
        "total": total,
        "shown": len(rows),
        "tlp": tlp,
        "types": ObservableType.choices,
        "error": error,
        "benign": sum(1 for row in rows if row.found.benign),
    }
    return render(request, "sharing/freetext_review.html", context, status=400 if error else 200)


def _freetext_commit(request: AuthedRequest) -> HttpResponse:
    """Share what the review kept, or show the review again saying what is wrong."""
    token = request.POST.get("draft", "")
    try:
        candidates, settings = draft_loads(token)
    except ApplicationError as exc:
        context = {"form": FreeTextForm(), "draft_error": exc.message.removeprefix("draft: ")}
        return render(request, "sharing/freetext.html", context, status=400)
    rows = [
        _ReviewRow(
            number,
            found,
            request.POST.get(f"keep-{number}") == "on",
            request.POST.get(f"type-{number}", found.type),
            request.POST.get(f"value-{number}", found.value).strip(),
        )
        for number, found in enumerate(candidates, start=1)
    ]
    kept = [row for row in rows if row.keep]
    tlp = str(settings.get("tlp") or "")
    for index, message in freetext_problems([(row.type, row.value, "") for row in kept]).items():
        kept[index - 1].error = message
    error = ""
    if not kept:
        error = "Tick at least one value to share."
    elif any(row.error for row in kept):
        error = "Some values you kept are not valid: correct or untick them. Nothing was stored."
    if not error:
        try:
            submission = freetext_commit(
                actor=request.user,
                organisation=request.user.organisation,
                rows=[(row.type, row.value, row.found.context) for row in kept],
                filename=str(settings.get("filename") or ""),
                tlp=tlp or None,
                agreement=str(settings.get("agreement") or "") or None,
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"{len(kept)} of {len(rows)} values sent to be shared.")
            return redirect("sharing:submission-detail", pk=submission.pk)
    return _review(request, rows, token, total=len(rows), tlp=tlp, error=error)


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
        "stored_rows": selectors.object_rows(principal=request.user, objects=list(stored)),
        "stored_query": stored_query.urlencode(),
        "begin": own and submission_runs_in_request(submission),
    }
    return render(request, "sharing/submission_detail.html", context)


@login_required
def object_list(request: AuthedRequest) -> HttpResponse:
    """Shared data as far as the policy lets this person see it: a row per object version with
    what an analyst reads first (its name or value, type, source as attribution allows, TLP,
    tags, when seen, how many of its values other objects mention), filtered and paged."""
    purpose = request.GET.get("purpose", "investigation")
    try:
        qs = selectors.object_list(principal=request.user, purpose=purpose)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    context = principal_context(request.user)
    filterset = StixObjectFilter(request.GET, queryset=qs, request=request, context=context)
    organisations = selectors.nameable_organisations(principal=request.user).values_list("pk", "name")
    filterset.form.fields["organisation"].label = "Shared by"
    filterset.form.fields["organisation"].widget = forms.Select(choices=[("", "Any organisation"), *organisations])
    page, query = paginate(request, filterset.qs, capped=True)
    personal_data_consulted(actor=request.user, objects=page, purpose=purpose, via="web", context=context)
    rows = selectors.object_rows(principal=request.user, objects=list(page), purpose=purpose, context=context)
    blocklists = [("ipv4", "IPv4"), ("ipv6", "IPv6"), ("domain", "Domains"), ("url", "URLs"), ("sha256", "SHA-256")]
    return render(
        request,
        "sharing/object_list.html",
        {"filter": filterset, "page": page, "rows": rows, "query": query, "blocklists": blocklists},
    )


@login_required
def object_detail(request: AuthedRequest, key: str) -> HttpResponse:
    """One object in words: its properties, what it names (links to the objects one may see),
    its observables, markings and handling, provenance, the policy's reason, its versions."""
    shown = found(lambda: selectors.object_page(principal=request.user, key=key))
    versions = [row.obj for row in shown["rows"]]
    personal_data_consulted(actor=request.user, objects=versions, purpose="investigation", via="web")
    latest = shown["latest"]
    own = _own(request, versions)
    context = {
        **shown,
        "facts": body_facts(latest.body),
        "older": [(row, body_facts(row.body)) for row in shown["rows"][1:]],
        "withheld": [property_label(name) for name in latest.decision.redactions],
        "subject_withheld": "x_accord_data_subject" in latest.decision.redactions,
        "type_label": stix_type_label(latest.obj.type),
        "revocable": _revocable(request, versions),
        "restorable": any(v.revoked for v in own),
        "addressable": bool(own),
        "extendable": any(v.expires_at is not None for v in own),
    }
    return render(request, "sharing/object_detail.html", context)


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
