"""Template context of every page: the bell's unread count."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from accord.notifications.selectors import unread_count

__all__ = ["inbox"]


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications`` for the signed-in person (one indexed count, made only when a page
    shows the bell), ``None`` when no bell is shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or bool(getattr(request, "second_factor_pending", False)):
        return {"unread_notifications": None}
    # Counted once however often the page reads it (the template's test and its value each call it).
    return {"unread_notifications": cache(lambda: unread_count(principal=user))}
