"""Reads for enrichment: enrichers, the observables a person may enrich or see enriched, the
TLP at which a value may go to a tool, and stored results, always bounded by the policy."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.analysis.reports import OrganisationPrincipal
from accord.core.choices import Tlp
from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.enrichment.choices import EnrichmentTrigger
from accord.enrichment.models import Enricher, Enrichment
from accord.policy import Action, principal_context, visible, withheld_links
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.selectors import observable_list

__all__ = [
    "enricher_get",
    "enricher_list",
    "enrichment_list",
    "observable_get",
    "observable_list_for",
    "observable_list_with_results",
    "observable_tlp",
    "observable_tlps",
    "sendable_tlps",
]


def enricher_list(*, principal: User | None) -> QuerySet[Enricher]:
    """Host staff see every configured enricher; a partner sees the tools its organisation provides."""
    qs = Enricher.objects.select_related("organisation", "agreement__current_version")
    if principal is None or has_perm(principal, Perm.ORGANISATION_VIEW_ALL):
        return qs
    return qs.filter(organisation_id=principal.organisation_id)


def enricher_get(*, principal: User | None, pk: Any) -> Enricher:
    """One enricher by id or name; the same 404 when missing or not visible."""
    qs = enricher_list(principal=principal)
    if isinstance(pk, str) and not pk.isdigit():
        found = qs.filter(name=pk).first()
        if found is None:
            raise NotFound(f"No enricher called {pk} (or you may not see it).")
        return found
    return get_visible(qs, pk, "enricher")


def _observables(principal: User | None) -> QuerySet[Observable]:
    if principal is None:  # the system (CLI, ingest): everything
        return Observable.objects.all()
    return observable_list(principal=principal)


def observable_list_for(*, principal: User | None) -> QuerySet[Observable]:
    """Observables the principal may see (every one for the system)."""
    return _observables(principal)


def observable_list_with_results(*, principal: User) -> QuerySet[Observable]:
    """:func:`observable_list_for`, each with how many enrichment results it has (``results``),
    counted for the rows a page shows (a subquery), never grouped over every observable first."""
    results = Enrichment.objects.filter(observable_id=OuterRef("pk")).order_by().values("observable_id")
    return _observables(principal).annotate(results=Coalesce(Subquery(results.annotate(n=Count("pk")).values("n")), 0))


def observable_get(*, principal: User | None, pk: Any) -> Observable:
    """An observable the principal may see (through at least one object the policy lets them
    view, and not withheld by a redaction); hidden and missing give the same 404."""
    return get_visible(_observables(principal), pk, "observable")


def observable_tlps(
    *,
    principal: Any,
    observable_ids: list[int],
    action: str = Action.VIEW,
    submission_id: int | None = None,
) -> dict[int, str]:
    """For each observable, the least restrictive TLP among the live (not revoked, not expired)
    objects that mention it and that the principal may have by ``action`` (links withheld from it
    by a redaction left out); observables that no such object mentions are absent.
    ``principal=None`` (ingest, CLI) counts every live object; ``submission_id`` only the objects
    that submission stored.

    The value is known to the principal at that TLP, so passing it on at that TLP discloses
    nothing more than the object does.
    """
    now = timezone.now()
    live = Q(stix_object__revoked=False) & (
        Q(stix_object__expires_at__isnull=True) | Q(stix_object__expires_at__gt=now)
    )
    links = ObjectObservable.objects.filter(live, observable_id__in=observable_ids)  # a join, not a subquery
    if submission_id is not None:
        links = links.filter(stix_object__submission_id=submission_id)
    if principal is not None:
        ctx = principal_context(principal)
        links = links.filter(stix_object__in=visible(ctx, StixObject.objects.all(), action).values("pk"))
        links = links.exclude(withheld_links(ctx))
    rows = links.values_list("observable_id", "stix_object__tlp")
    least: dict[int, str] = {}
    for observable_id, tlp in rows.distinct():
        if observable_id not in least or Tlp.rank(tlp) < Tlp.rank(least[observable_id]):
            least[observable_id] = tlp
    return least


def observable_tlp(*, principal: User | None, observable: Observable) -> str | None:
    """The TLP ``observable`` carries for ``principal`` (see :func:`observable_tlps`), or ``None``."""
    return observable_tlps(principal=principal, observable_ids=[observable.pk]).get(observable.pk)


def sendable_tlps(
    *, enricher: Enricher, observable_ids: list[int], actor: User | None = None, submission_id: int | None = None
) -> dict[int, str]:
    """The one rule of what may go to an enricher: for each value that may, the TLP it goes at
    (the enricher's ceiling is then compared with it); a value absent may not go at all.

    A partner's tool is a recipient outside the platform: a value goes to it only if its
    provider organisation may receive, by the policy and as an export, a live object that
    mentions it (TLP, the originator's onward-sharing kinds and regions and redactions, the
    provider's own data-sharing agreement), and the TLP is counted over those objects only. The
    hosting organisation's own tools run inside the platform: what the asking person may see
    (every live object when the system asks, on ingest or from the CLI). On ingest the value goes
    because that submission mentions it, so only the submission's objects count.
    """
    organisation = enricher.organisation
    if organisation.is_host:
        return observable_tlps(principal=actor, observable_ids=observable_ids, submission_id=submission_id)
    return observable_tlps(
        principal=OrganisationPrincipal(organisation),
        observable_ids=observable_ids,
        action=Action.EXPORT,
        submission_id=submission_id,
    )


def enrichment_list(*, principal: User | None, observable: Observable | None = None) -> QuerySet[Enrichment]:
    """Stored results on observables the principal may see (of one observable, when given), each
    with ``shown_submission`` and ``shown_tlp``: what of its provenance the principal may read.

    Host staff (and the system) read every result whole. For a partner a result must follow only
    from what it may see, so that an object it may not see behaves exactly as if it were absent:
    a result of an ingest is shown when that submission stored an object the partner may see
    that mentions the value; one an analyst asked for, when it is no older than the first
    arrival of such an object. The submission is named only when the partner's organisation
    made it, and the TLP the value was sent at only for the tools the partner provides (it was
    counted over objects the partner may not see).
    """
    qs = Enrichment.objects.select_related("enricher", "provider", "requested_by", "observable")
    if observable is not None:
        qs = qs.filter(observable=observable)
    ctx = principal_context(principal) if principal is not None else None
    if ctx is None or ctx.is_host:
        return qs.annotate(shown_submission=F("submission_id"), shown_tlp=F("tlp_sent"))
    # Either condition below needs a link the partner may see: the observable is one it may see.
    seen = ObjectObservable.objects.filter(
        observable_id=OuterRef("observable_id"),
        stix_object__in=visible(ctx, StixObject.objects.all()).values("pk"),
    ).exclude(withheld_links(ctx))
    of_seen_submission = Exists(seen.filter(stix_object__submission_id=OuterRef("submission_id")))
    first_seen = Subquery(seen.order_by("stix_object__added_at").values("stix_object__added_at")[:1])
    qs = qs.filter(
        (Q(trigger=EnrichmentTrigger.INGEST) & of_seen_submission)
        | (Q(trigger=EnrichmentTrigger.REQUEST) & Q(created_at__gte=first_seen))
    )
    organisation = ctx.organisation_id or 0
    return qs.annotate(
        shown_submission=Case(
            When(submission__organisation_id=organisation, then=F("submission_id")),
            default=Value(None),
            output_field=IntegerField(),
        ),
        shown_tlp=Case(
            When(provider_id=organisation, then=F("tlp_sent")), default=Value(None), output_field=CharField()
        ),
    )
