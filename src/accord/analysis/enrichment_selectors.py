"""Reads for enrichment: enrichers, the observables a person may enrich or see enriched, the
TLP an observable carries for sending, and stored results, always bounded by the policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.analysis.models import Enricher, Enrichment
from accord.core.choices import Tlp
from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.policy.decision import visible, withheld_links
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.selectors import observable_list

__all__ = [
    "enricher_get",
    "enricher_list",
    "enrichment_list",
    "observable_get",
    "observable_list_for",
    "observable_tlp",
    "observable_tlps",
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


def observable_get(*, principal: User | None, pk: Any) -> Observable:
    """An observable the principal may see (through at least one object the policy lets them
    view, and not withheld by a redaction); hidden and missing give the same 404."""
    return get_visible(_observables(principal), pk, "observable")


def observable_tlps(*, principal: User | None, observable_ids: list[int]) -> dict[int, str]:
    """For each observable, the least restrictive TLP among the live (not revoked, not expired)
    objects that mention it and that the principal may see; observables that no such object
    mentions are absent. ``principal=None`` (ingest, CLI) counts every live object.

    This is the TLP an enricher's ceiling is compared with: the value is known at that TLP, so
    sending it to a tool cleared for that TLP discloses nothing more than the object does.
    """
    now = timezone.now()
    live = Q(stix_object__revoked=False) & (
        Q(stix_object__expires_at__isnull=True) | Q(stix_object__expires_at__gt=now)
    )
    links = ObjectObservable.objects.filter(live, observable_id__in=observable_ids)  # a join, not a subquery
    if principal is not None:
        links = links.filter(stix_object__in=visible(principal, StixObject.objects.all()).values("pk"))
        links = links.exclude(withheld_links(principal))
    rows = links.values_list("observable_id", "stix_object__tlp")
    least: dict[int, str] = {}
    for observable_id, tlp in rows.distinct():
        if observable_id not in least or Tlp.rank(tlp) < Tlp.rank(least[observable_id]):
            least[observable_id] = tlp
    return least


def observable_tlp(*, principal: User | None, observable: Observable) -> str | None:
    """The TLP ``observable`` carries for ``principal`` (see :func:`observable_tlps`), or ``None``."""
    return observable_tlps(principal=principal, observable_ids=[observable.pk]).get(observable.pk)


def enrichment_list(*, principal: User | None, observable: Observable | None = None) -> QuerySet[Enrichment]:
    """Stored results on observables the principal may see (of one observable, when given)."""
    qs = Enrichment.objects.select_related("enricher", "provider", "requested_by", "observable")
    if observable is not None:
        return qs.filter(observable=observable)
    if principal is None:
        return qs
    return qs.filter(observable__in=_observables(principal).values("pk"))
