"""Records addressed to named organisations (TLP:RED-like): payment-interception requests and the
like, which hold personal and financial data about one case.

Such a record reaches the people of the organisations it names while their organisation may
receive shared data at all (rule 1: in good standing, an agreement in force), and the hosting
organisation's staff, who run the programme and are told of what nobody else can act on. Nobody
else learns it exists. ``in_audience`` decides for one record, ``audience_visible`` filters a
queryset in SQL by the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from accord.policy.principal import PrincipalContext

__all__ = ["audience_visible", "in_audience"]

_M = TypeVar("_M", bound=Model)


def in_audience(ctx: PrincipalContext, organisation_ids: Iterable[int | None]) -> bool:
    """May the asker see a record addressed to ``organisation_ids``?"""
    if ctx.is_anonymous:
        return False
    if ctx.is_host:
        return True
    return ctx.eligible and ctx.organisation_id in set(organisation_ids)


def audience_visible(ctx: PrincipalContext, queryset: QuerySet[_M], fields: Iterable[str]) -> QuerySet[_M]:
    """The rows of ``queryset`` whose organisation ``fields`` (foreign keys) name the asker's
    organisation, as :func:`in_audience` decides."""
    if ctx.is_anonymous:
        return queryset.none()
    if ctx.is_host:
        return queryset
    if not ctx.eligible:
        return queryset.none()
    named = Q()
    for field in fields:
        named |= Q(**{f"{field}_id": ctx.organisation_id})
    filtered: Any = queryset.filter(named)
    return filtered  # type: ignore[no-any-return]
