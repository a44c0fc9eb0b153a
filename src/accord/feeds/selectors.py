"""Reads of feeds: platform administrators see every feed, everyone else none.

A hidden feed and a missing one give the same ``NotFound``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.feeds.models import Feed

__all__ = ["feed_get", "feed_list"]


def feed_list(*, principal: User) -> QuerySet[Feed]:
    """The feeds with their organisation, agreement and last submission, for the feeds page."""
    if not has_perm(principal, Perm.PLATFORM_ADMIN):
        return Feed.objects.none()
    return Feed.objects.select_related("organisation", "agreement", "last_submission")


def feed_get(*, principal: User, pk: Any) -> Feed:
    """One feed by id."""
    return get_visible(feed_list(principal=principal), pk, "feed")
