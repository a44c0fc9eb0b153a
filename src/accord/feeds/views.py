"""Feed management for admins: the list with how each pull went, adding, pulling now,
enabling, disabling and removing. Thin: the feed selectors read, the feed service decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError
from accord.core.roles import Perm, has_perm
from accord.core.ui import AuthedRequest, found
from accord.feeds import selectors
from accord.feeds.forms import FeedForm
from accord.feeds.services import feed_add, feed_pull, feed_remove, feed_update

__all__ = ["feed_action", "feed_list"]


def _admin(request: AuthedRequest) -> None:
    if not has_perm(request.user, Perm.PLATFORM_ADMIN):
        raise PermissionDenied("Feeds are managed by platform administrators.")


@login_required
def feed_list(request: AuthedRequest) -> HttpResponse:
    _admin(request)
    form = FeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feed = feed_add(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Feed {feed.name} added. Pull it now, or let the worker do it.")
            return redirect("feeds:feed-list")
    feeds = selectors.feed_list(principal=request.user)
    return render(request, "feeds/feed_list.html", {"feeds": feeds, "form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def feed_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    _admin(request)
    feed = found(lambda: selectors.feed_get(principal=request.user, pk=pk))
    try:
        if action == "pull":
            result = feed_pull(actor=request.user, feed=feed)
            if result.ok:
                messages.success(
                    request,
                    f"{feed.name}: {len(result.submissions)} submission(s), {result.objects} objects."
                    + result.left_out_note,
                )
                for line in result.refused:
                    messages.warning(request, f"{feed.name} skipped what was refused: {line}")
            else:
                messages.error(request, f"{feed.name} failed and kept its last good state: {result.error}")
        elif action in ("enable", "disable"):
            feed_update(actor=request.user, feed=feed, enabled=action == "enable")
            messages.success(request, f"Feed {feed.name} {action}d.")
        elif action == "remove":
            feed_remove(actor=request.user, feed=feed)
            messages.success(request, f"Feed {feed.name} removed; what it brought in stays.")
        else:
            messages.error(request, f"Unknown action '{action}'.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("feeds:feed-list")
