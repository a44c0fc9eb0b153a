"""Reads of joint operations, bounded by what the principal may see (hidden = missing = 404).

Host staff see every operation; others those their organisation takes part in, and of their
linked intelligence only what :mod:`accord.policy` lets them see.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from accord.analysis.models import Campaign, CampaignMember
from accord.analysis.selectors import campaign_list
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.core.selectors import get_visible
from accord.operations.choices import OUTCOME_COUNTS
from accord.operations.funds import funds_from_sources
from accord.operations.models import Operation, OperationOutcome
from accord.policy import Action, principal_context, visible
from accord.sharing.models import StixObject

__all__ = [
    "operation_campaigns",
    "operation_get",
    "operation_list",
    "operation_objects",
    "operation_totals",
]


def _staff(principal: User) -> bool:
    return has_perm(principal, Perm.ORGANISATION_VIEW_ALL)


def operation_list(*, principal: User) -> QuerySet[Operation]:
    """Host staff see every operation; others those their organisation takes part in."""
    qs = Operation.objects.select_related("lead", "collection").prefetch_related("participants")
    if _staff(principal):
        return qs
    return qs.filter(participants=principal.organisation_id)


def operation_get(*, principal: User, pk: Any) -> Operation:
    qs = operation_list(principal=principal).prefetch_related("phases", "object_links")
    if isinstance(pk, str) and not pk.isdigit():
        found = qs.filter(codename=pk).first()
        if found is not None:
            return found
    return get_visible(qs, pk, "operation")


def operation_objects(*, principal: User, operation: Operation) -> QuerySet[StixObject]:
    """The operation's linked intelligence: the latest version of each object linked to it or
    now a member of a campaign linked to it, as far as the policy lets the principal see it (a
    participant sees only what its agreements allow). The same objects as its TAXII collection
    holds, which serves them by the policy's ``export`` action instead of ``view``."""
    linked = operation.object_links.values("stix_id")
    members = CampaignMember.objects.filter(campaign__operation_links__operation=operation).values("stix_object_id")
    candidates = StixObject.objects.filter(Q(stix_id__in=linked) | Q(pk__in=members))
    seen = visible(principal_context(principal), candidates, Action.VIEW)
    newer = seen.filter(stix_id=OuterRef("stix_id"), modified__gt=OuterRef("modified"))
    latest: QuerySet[StixObject] = seen.filter(~Exists(newer)).select_related("organisation")
    return latest.order_by("type", "stix_id")


def operation_campaigns(*, principal: User, operation: Operation) -> QuerySet[Any]:
    """The campaigns linked to the operation that the principal may see something of (as the
    analysis app decides, :func:`accord.analysis.selectors.campaign_list`), with what it sees of
    them (``seen_objects``, ``seen_organisations``); a linked campaign none of whose members it
    may see is not shown, not even by name. A partner sees its own campaigns holding a member of
    a linked one (the analysts' link names their global campaign, which it does not see)."""
    linked = operation.campaign_links.values("campaign_id")
    rows = campaign_list(principal=principal)
    if rows.model is Campaign:
        return rows.filter(pk__in=linked).order_by("name", "pk")
    members = CampaignMember.objects.filter(campaign_id__in=linked).values("stix_object_id")
    return rows.filter(members__stix_object_id__in=members).distinct().order_by("name", "pk")


def operation_totals(*, operation: Operation) -> dict[str, Any]:
    """The outcome totals of an operation: every count summed, funds per currency (never
    converted). ``funds`` includes what other apps bring (funds intercepted under payment-
    interception requests linked to it), which ``intercepted`` shows apart."""
    outcomes = OperationOutcome.objects.filter(operation=operation)
    totals: dict[str, Any] = {
        name: value or 0 for name, value in outcomes.aggregate(**{n: Sum(n) for n in OUTCOME_COUNTS}).items()
    }
    funds: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"frozen": Decimal(0), "recovered": Decimal(0)})
    for row in (
        outcomes.exclude(currency="").values("currency").annotate(f=Sum("funds_frozen"), r=Sum("funds_recovered"))
    ):
        funds[row["currency"]] = {"frozen": row["f"] or Decimal(0), "recovered": row["r"] or Decimal(0)}
    intercepted = funds_from_sources(operation)
    for currency, amounts in intercepted.items():
        held = funds[currency]
        funds[currency] = {key: held[key] + amounts[key] for key in ("frozen", "recovered")}
    totals["funds"] = dict(sorted(funds.items()))
    totals["intercepted"] = intercepted
    totals["outcomes"] = outcomes.count()
    return totals
