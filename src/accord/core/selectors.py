"""Every read of core data, bounded by what the principal may see.

A missing row and a hidden one raise the same :class:`~accord.core.errors.NotFound`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from accord.core.audit import ChainReport, audit_verify
from accord.core.choices import OrganisationStatus, Region
from accord.core.errors import NotFound
from accord.core.models import ApiToken, AuditChainHead, AuditEvent, Organisation, User
from accord.core.roles import Perm, has_perm

_M = TypeVar("_M", bound=Model)

__all__ = [
    "organisation_named",
    "audit_chain_tail",
    "audit_event_list",
    "dashboard_counts",
    "get_visible",
    "organisation_get",
    "organisation_list",
    "own_login_times",
    "person_get",
    "person_list",
    "token_get",
    "token_list",
]


def organisation_list(*, principal: User) -> QuerySet[Organisation]:
    """All organisations for programme staff; a partner sees its own."""
    qs = Organisation.objects.all()
    if has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        return qs
    return qs.filter(pk=principal.organisation_id)


def organisation_named(name: str) -> Organisation | None:
    """The organisation called ``name`` (its name, else its short name): how the CLI names one."""
    return Organisation.objects.filter(name=name).first() or Organisation.objects.filter(short_name=name).first()


def organisation_get(*, principal: User, pk: Any) -> Organisation:
    return get_visible(organisation_list(principal=principal), pk, "organisation")


def person_list(*, principal: User) -> QuerySet[User]:
    """Everybody for programme staff; partner staff see their colleagues."""
    qs = User.objects.select_related("organisation")
    if has_perm(principal, Perm.PERSON_VIEW_ALL):
        return qs
    return qs.filter(organisation_id=principal.organisation_id)


def person_get(*, principal: User, pk: Any) -> User:
    return get_visible(person_list(principal=principal), pk, "person")


def token_list(*, principal: User) -> QuerySet[ApiToken]:
    """One's own API tokens (secrets are never readable)."""
    return ApiToken.objects.filter(user=principal)


def token_get(*, principal: User, pk: Any) -> ApiToken:
    return get_visible(token_list(principal=principal), pk, "token")


def audit_event_list(*, principal: User) -> QuerySet[AuditEvent]:
    """The audit chain, for auditors and administrators only."""
    if not has_perm(principal, Perm.AUDIT_VIEW):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor", "organisation")


def audit_chain_tail(*, principal: User, size: int) -> tuple[AuditChainHead | None, ChainReport | None]:
    """The chain's head and the check of its last ``size`` links (bounded time, whatever the
    chain's length; ``accord audit verify`` walks it all), for auditors and administrators."""
    if not has_perm(principal, Perm.AUDIT_VIEW):
        return None, None
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None or not head.last_seq:
        return head, None
    start = max(1, head.last_seq - size + 1)
    anchor = AuditEvent.objects.filter(seq=start).values_list("hash", flat=True).first()
    return head, audit_verify(since=(start, anchor or ""))


def own_login_times(*, principal: User) -> QuerySet[Any]:
    """When the person signed in, latest first (their own ``auth.login`` events: what "since
    your last visit" is measured from)."""
    return (
        AuditEvent.objects.filter(action="auth.login", actor_id=principal.pk)
        .order_by("-seq")
        .values_list("at", flat=True)
    )


def dashboard_counts(*, principal: User) -> dict[str, Any]:
    """The live figures on the dashboard, over what the principal may see (three queries)."""
    orgs = organisation_list(principal=principal)
    totals = orgs.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=OrganisationStatus.ACTIVE)),
        vetting=Count("pk", filter=Q(status__in=[OrganisationStatus.APPLICANT, OrganisationStatus.VETTING])),
        suspended=Count("pk", filter=Q(status__in=[OrganisationStatus.SUSPENDED, OrganisationStatus.TERMINATED])),
    )
    by_region = dict(orgs.values_list("region").annotate(n=Count("pk")).values_list("region", "n"))
    people = person_list(principal=principal).filter(is_active=True).count()
    return {
        "organisations": totals,
        "regions": [{"code": r.value, "label": r.label, "count": by_region.get(r.value, 0)} for r in Region],
        "people": people,
        "tokens": token_list(principal=principal).filter(revoked_at=None, expires_at__gt=timezone.now()).count(),
        "generated_at": timezone.now(),
    }


def get_visible(qs: QuerySet[_M], pk: Any, what: str) -> _M:
    """One row of a visible queryset, or the same NotFound whether missing or hidden."""
    try:
        return qs.get(pk=int(pk))
    except (ValueError, TypeError, ObjectDoesNotExist):
        raise NotFound(f"No {what} with id {pk} (or you may not see it).") from None
