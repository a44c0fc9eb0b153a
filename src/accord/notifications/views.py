"""Notification pages: the inbox, one's preferences, one's organisation's webhooks and their
delivery logs. Thin: selectors read, the services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError
from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, attempt, found, listing, paginate
from accord.notifications import selectors
from accord.notifications.filters import DeliveryFilter, NotificationFilter
from accord.notifications.forms import PreferencesForm, WebhookForm
from accord.notifications.services import (
    notification_read,
    notifications_read_all,
    preferences_set,
    webhook_create,
    webhook_delete,
    webhook_test,
    webhook_update,
)

__all__ = [
    "inbox",
    "mark_read",
    "open_notification",
    "preferences",
    "read_all",
    "webhook_detail",
    "webhook_list",
]


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    """One's notifications, newest first, filtered by event type and read or not."""
    filterset = NotificationFilter(request.GET, queryset=selectors.notification_list(principal=request.user))
    return listing(request, "notifications/inbox.html", filterset, status=400 if filterset.errors else 200)


@login_required
@require_POST
def mark_read(request: AuthedRequest, pk: int) -> HttpResponse:
    notification = found(lambda: selectors.notification_get(principal=request.user, pk=pk))
    unread = request.POST.get("unread") == "yes"
    notification_read(actor=request.user, notification=notification, read=not unread)
    return redirect(_back(request))


@login_required
def open_notification(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark it read and go to the thing it is about."""
    notification = found(lambda: selectors.notification_get(principal=request.user, pk=pk))
    if notification.unread:
        notification_read(actor=request.user, notification=notification)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None) or not target.startswith("/"):
        return redirect("notifications:inbox")
    return redirect(target)


@login_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    marked = notifications_read_all(actor=request.user, event_type=request.POST.get("event_type", ""))
    messages.success(request, f"{marked} notification{'' if marked == 1 else 's'} marked read.")
    return redirect(_back(request))


def _back(request: AuthedRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/notifications/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return "/notifications/"


@login_required
def preferences(request: AuthedRequest) -> HttpResponse:
    """Where one is told of each event type, and whether e-mails come at once or daily."""
    current = selectors.preference_list(principal=request.user)
    rows = current["event_types"]
    form = PreferencesForm(
        request.POST or None,
        rows=rows,
        initial={"digest": current["digest"]} | {r["event_type"]: r["channel"] for r in rows},
    )
    if request.method == "POST":
        if form.is_valid() and attempt(
            request,
            lambda: preferences_set(actor=request.user, channels=form.channels(), digest=form.cleaned_data["digest"]),
            "Your notification settings are saved.",
            form,
        ):
            return redirect("notifications:preferences")
    fields = [(form[r["event_type"]], r) for r in rows]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "fields": fields},
        status=400 if form.errors else 200,
    )


@login_required
def webhook_list(request: AuthedRequest) -> HttpResponse:
    """One's organisation's webhooks, and (contributors) the form to add one."""
    manage = has_perm(request.user, Perm.SHARING_SUBMIT)
    form = WebhookForm(request.POST or None)
    secret = ""
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Contributors manage their organisation's webhooks.")
        created: list[str] = []
        if form.is_valid() and attempt(
            request,
            lambda: created.append(webhook_create(actor=request.user, **form.cleaned_data)[1]),
            f"Webhook {form.cleaned_data.get('name', '')} added.",
            form,
        ):
            secret = created[0]
            form = WebhookForm()
    page, query = paginate(request, selectors.webhook_list(principal=request.user))
    return render(
        request,
        "notifications/webhook_list.html",
        {"page": page, "query": query, "form": form, "manage": manage, "secret": secret},
        status=400 if form.errors else 200,
    )


_ACTIONS = {"enable", "disable", "test", "delete"}


@login_required
def webhook_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One webhook and its delivery log; turn it off or on, send a test event, remove it (after
    a confirmation saying what goes)."""
    webhook = found(lambda: selectors.webhook_get(principal=request.user, pk=pk))
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op not in _ACTIONS:
            messages.error(request, f"Unknown action '{op}'.")
            return redirect("notifications:webhook-detail", pk=pk)
        if op == "delete" and request.POST.get("confirm") != "yes":
            return render(request, "notifications/webhook_confirm.html", {"webhook": webhook})
        try:
            if op == "delete":
                webhook_delete(actor=request.user, webhook=webhook)
                messages.success(request, f"Webhook {webhook.name} removed.")
                return redirect("notifications:webhook-list")
            if op == "test":
                webhook_test(actor=request.user, webhook=webhook)
                messages.success(request, "A test event is on its way; its delivery shows below.")
            else:
                webhook_update(actor=request.user, webhook=webhook, enabled=op == "enable")
                messages.success(request, f"Webhook {webhook.name} turned {'on' if op == 'enable' else 'off'}.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("notifications:webhook-detail", pk=pk)
    filterset = DeliveryFilter(request.GET, queryset=selectors.delivery_list(principal=request.user, webhook=webhook))
    manage = has_perm(request.user, Perm.SHARING_SUBMIT) and webhook.organisation_id == request.user.organisation_id
    return listing(
        request,
        "notifications/webhook_detail.html",
        filterset,
        status=400 if filterset.errors else 200,
        webhook=webhook,
        manage=manage,
        admin=has_perm(request.user, Perm.PLATFORM_ADMIN),
    )
