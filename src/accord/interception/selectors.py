"""Reads of payment interception, through the policy's named-organisation audience: a request
reaches the unit whose case it is, the organisation that raised it and its addressee (while
they may receive shared data), and the programme's staff. Hidden and missing are the same 404."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.selectors import get_visible
from accord.interception.choices import OutcomeKind, RequestStatus
from accord.interception.models import Institution, InterceptionOutcome, InterceptionRequest
from accord.operations.models import Operation
from accord.policy import Action, audience_visible, principal_context, visible
from accord.sharing.models import StixObject

__all__ = [
    "AUDIENCE",
    "Waiting",
    "institution_list",
    "intercepted_funds",
    "interception_chain",
    "interception_get",
    "interception_list",
    "interception_seen_in_shared",
    "interceptions_waiting",
]

# The organisations a request names: its audience.
AUDIENCE = ("requester", "raised_by", "addressee")


def interception_list(*, principal: User) -> QuerySet[InterceptionRequest]:
    """The requests the principal may see, newest first."""
    qs = InterceptionRequest.objects.select_related("requester", "raised_by", "addressee", "parent", "operation")
    return audience_visible(principal_context(principal), qs, AUDIENCE)


def interception_get(*, principal: User, pk: Any) -> InterceptionRequest:
    """One request by its reference (``ICP-2026-7KQ2M9XB``; the row id too, for the programme's
    own tools), with its outcomes."""
    qs = interception_list(principal=principal).prefetch_related(
        Prefetch("outcomes", queryset=InterceptionOutcome.objects.select_related("onward", "onward__addressee"))
    )
    if isinstance(pk, str) and not pk.isdigit():
        found = qs.filter(reference=pk.upper()).first()
        if found is None:
            raise NotFound(f"No interception request {pk} (or you may not see it).")
        return found
    return get_visible(qs, pk, "interception request")


def interception_chain(*, principal: User, request: InterceptionRequest) -> list[InterceptionRequest]:
    """The requests of the chain ``request`` belongs to that the principal may see, in order,
    with their outcomes (a bank further down the chain sees its own part only)."""
    rows = (
        interception_list(principal=principal)
        .filter(root_id=request.root_id or request.pk)
        .prefetch_related("outcomes")
        .order_by("raised_at", "pk")
    )
    return list(rows)


def interception_seen_in_shared(*, principal: User, request: InterceptionRequest) -> QuerySet[StixObject]:
    """Shared objects the principal may see that mention the request's beneficiary account, other
    than the request's own: a mule account that partners have reported too."""
    from accord.interception.beneficiary import WALLET_CURRENCIES

    if request.iban:
        kind, value = "iban", request.iban
    elif request.wallet:
        kind, value = WALLET_CURRENCIES.get(request.wallet_currency, ""), request.wallet
    else:
        return StixObject.objects.none()
    candidates = StixObject.objects.filter(observables__type=kind, observables__value=value)
    if request.stix_id:
        candidates = candidates.exclude(stix_id=request.stix_id)
    seen = visible(principal_context(principal), candidates, Action.VIEW)
    return seen.select_related("organisation").order_by("-modified")


def institution_list(*, principal: User) -> QuerySet[Institution]:
    """The routing's directory of partner banks and exchanges (signed-in people only)."""
    return Institution.objects.select_related("organisation")


def intercepted_funds(operation: Operation) -> dict[str, dict[str, Decimal]]:
    """What was frozen and recalled under the requests linked to ``operation`` and the onward
    requests of their chains (a case linked by its first request brings its whole money trail),
    per currency (the operations' outcome totals include it: :mod:`accord.operations.funds`)."""
    rows = (
        InterceptionOutcome.objects.filter(
            Q(request__operation=operation) | Q(request__root__operation=operation),
            kind__in=(OutcomeKind.FROZEN, OutcomeKind.RECALLED),
        )
        .exclude(request__status=RequestStatus.WITHDRAWN)
        .values("currency", "kind")
        .annotate(total=Sum("amount"))
    )
    funds: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"frozen": Decimal(0), "recovered": Decimal(0)})
    for row in rows:
        key = "frozen" if row["kind"] == OutcomeKind.FROZEN else "recovered"
        funds[row["currency"]][key] += row["total"] or Decimal(0)
    return dict(sorted(funds.items()))


def outcome_totals(request: InterceptionRequest) -> list[dict[str, Any]]:
    """The request's outcomes added up per kind and currency (never converted)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for outcome in request.outcomes.all():
        if outcome.amount is not None:
            sums[(outcome.kind, outcome.currency)] += outcome.amount
    labels = dict(OutcomeKind.choices)
    return [
        {"kind": kind, "label": labels[kind], "currency": currency, "amount": amount}
        for (kind, currency), amount in sorted(sums.items())
    ]


@dataclass(frozen=True)
class Waiting:
    """A request that waits for its addressee, and how late it is (``None``: not yet due)."""

    request: InterceptionRequest
    waiting_for: str
    due: datetime
    late_by: timedelta | None

    @property
    def late(self) -> str:
        """How late, as people say it (``3 h 05 min``); empty when not yet due."""
        if self.late_by is None:
            return ""
        minutes = int(self.late_by.total_seconds() // 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02} min" if hours else f"{minutes} min"


def interceptions_waiting(*, principal: User, now: datetime | None = None) -> list[Waiting]:
    """What waits for an answer among the requests the principal sees: those addressed to its
    organisation (the programme's staff: every one), most late first."""
    now = now or timezone.now()
    qs = interception_list(principal=principal).filter(status__in=(RequestStatus.SENT, RequestStatus.ACKNOWLEDGED))
    if not principal.organisation.is_host:
        qs = qs.filter(addressee_id=principal.organisation_id)
    found = []
    for request in qs[:200]:
        sent = request.status == RequestStatus.SENT
        due = request.ack_due if sent else request.outcome_due
        found.append(
            Waiting(request, "acknowledgement" if sent else "first outcome", due, now - due if now > due else None)
        )
    return sorted(found, key=lambda w: w.due)
