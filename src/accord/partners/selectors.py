"""Reads of partnership data, bounded by what the principal may see (hidden = missing = 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from accord.core.models import AuditEvent, Organisation, User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible, organisation_list
from accord.partners.models import Agreement, AgreementVersion, ApplicationComment, PartnershipApplication

__all__ = [
    "agreement_get",
    "agreement_list",
    "application_get",
    "application_history",
    "application_list",
    "directory_list",
    "partnership_list",
]


def _staff(principal: User) -> bool:
    return has_perm(principal, Perm.ORGANISATION_VIEW_ALL)


def application_list(*, principal: User) -> QuerySet[PartnershipApplication]:
    """Host staff see every application. Partners see none: the vetting record (checklist
    notes, internal discussion) is the programme's own; applicants hear by e-mail."""
    qs = PartnershipApplication.objects.select_related("organisation", "decided_by")
    if _staff(principal):
        return qs
    return qs.none()


def application_history(*, application: PartnershipApplication) -> QuerySet[AuditEvent]:
    """The application's history (submission, moves, checklist, comments) from the audit chain."""
    return AuditEvent.objects.filter(
        object_type=PartnershipApplication._meta.label_lower, object_id=str(application.pk)
    ).order_by("seq")


def application_get(*, principal: User, pk: Any) -> PartnershipApplication:
    qs = application_list(principal=principal).prefetch_related(
        Prefetch("comments", queryset=ApplicationComment.objects.select_related("author"))
    )
    return get_visible(qs, pk, "application")


def agreement_list(*, principal: User) -> QuerySet[Agreement]:
    """Host staff see every agreement; a partner sees its own organisation's."""
    qs = Agreement.objects.select_related("organisation", "current_version")
    if _staff(principal):
        return qs
    return qs.filter(organisation_id=principal.organisation_id)


def agreement_get(*, principal: User, pk: Any) -> Agreement:
    qs = agreement_list(principal=principal).prefetch_related(
        Prefetch("versions", queryset=AgreementVersion.objects.select_related("created_by").order_by("-number"))
    )
    return get_visible(qs, pk, "agreement")


def partnership_list(*, principal: User) -> QuerySet[Organisation]:
    """Partner organisations (not the host) with their agreements, as far as the principal sees."""
    return (
        organisation_list(principal=principal)
        .filter(is_host=False)
        .prefetch_related(Prefetch("agreements", queryset=Agreement.objects.select_related("current_version")))
    )


def directory_list() -> QuerySet[Organisation]:
    """The public partner directory: active partners that agreed to be listed (no login)."""
    return Organisation.objects.filter(is_host=False, status="active", listed_publicly=True).order_by(
        "sector", "region", "name"
    )
