"""Reads of the shared-object store, bounded by what the principal may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.sharing.models import Submission

__all__ = ["submission_get", "submission_list"]


def submission_list(*, principal: User) -> QuerySet[Submission]:
    """Host staff see every submission; a partner sees its own organisation's."""
    qs = Submission.objects.select_related("organisation", "agreement", "submitted_by")
    if has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        return qs
    return qs.filter(organisation_id=principal.organisation_id)


def submission_get(*, principal: User, pk: Any) -> Submission:
    return get_visible(submission_list(principal=principal), pk, "submission")
