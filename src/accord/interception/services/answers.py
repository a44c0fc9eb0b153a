"""Answering a request: acknowledgement, outcomes (partial ones add up; funds gone onward raise
the next request of the chain in one step), withdrawal, the link to a joint operation, and the
log of who consulted the personal and financial data a request holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.errors import Forbidden, NotFound
from accord.core.guards import invalid, one_of, required_text
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.interception.beneficiary import check_amount, check_beneficiary, check_currency, check_moment
from accord.interception.choices import AMOUNT_OUTCOMES, REQUEST_WORKFLOW, OutcomeKind, RequestStatus
from accord.interception.models import InterceptionOutcome, InterceptionRequest
from accord.interception.services._common import _addressee_acts, _audit, _raiser_acts, _seen, _tell
from accord.interception.services.raising import _raise
from accord.operations.models import Operation
from accord.operations.selectors import operation_get

__all__ = [
    "interception_acknowledge",
    "interception_link_operation",
    "interception_report",
    "interception_withdraw",
    "interceptions_consulted",
]


def _locked(request: InterceptionRequest) -> InterceptionRequest:
    return (
        InterceptionRequest.objects.select_for_update(of=("self",))
        .select_related("addressee", "requester", "raised_by", "root")
        .get(pk=request.pk)
    )


def _open(request: InterceptionRequest) -> None:
    if request.status == RequestStatus.WITHDRAWN:
        raise invalid("status", f"{request.reference} was withdrawn.")


def _acknowledge(actor: User | None, request: InterceptionRequest, now: datetime) -> None:
    request.acknowledged_at = now
    REQUEST_WORKFLOW.record(
        actor=actor,
        obj=request,
        to=RequestStatus.ACKNOWLEDGED,
        action="interception.acknowledge",
        object_type="interception.request",
        details={"reference": request.reference, "late": now > request.ack_due},
        update_fields=["status", "acknowledged_at"],
    )


@transaction.atomic
def interception_acknowledge(
    *, actor: User | None, request: InterceptionRequest, now: datetime | None = None
) -> InterceptionRequest:
    """The addressee has the request in hand: the first clock stops."""
    now = now or timezone.now()
    request = _locked(request)
    _addressee_acts(actor, request)
    _open(request)
    REQUEST_WORKFLOW.check(request.status, RequestStatus.ACKNOWLEDGED, reference=request.reference)
    _acknowledge(actor, request, now)
    _tell(request, "acknowledged", [request.raised_by])
    return request


def _reported(request: InterceptionRequest, currency: str) -> Decimal:
    total = request.outcomes.filter(kind__in=AMOUNT_OUTCOMES, currency=currency).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


@transaction.atomic
def interception_report(
    *,
    actor: User | None,
    request: InterceptionRequest,
    kind: str,
    amount: Any = None,
    currency: str = "",
    note: str = "",
    onward: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> InterceptionOutcome:
    """Report an outcome: an amount frozen or recalled, funds gone onward (``onward``: the next
    account, and when the money left; the next request is raised in the same step), the account
    closed, or nothing found. Amounts are in the request's currency unless another is named, and
    what is reported in one currency never exceeds the transfer in it; nothing is converted."""
    now = now or timezone.now()
    request = _locked(request)
    _addressee_acts(actor, request)
    _open(request)
    one_of("kind", kind, OutcomeKind)
    checked: Decimal | None = None
    code = ""
    if kind in AMOUNT_OUTCOMES:
        checked = check_amount("amount", amount)
        code = check_currency("currency", currency) if currency else request.currency
        if code == request.currency and _reported(request, code) + checked > request.amount:
            left = request.amount - _reported(request, code)
            raise invalid(
                "amount",
                f"{checked} {code} is more than the {left} {code} of the transfer not yet accounted for.",
                f"At most {left}.",
            )
    elif amount not in (None, ""):
        raise invalid("amount", f"an outcome '{kind}' carries no amount.", "Empty.")
    if kind != OutcomeKind.GONE and onward:
        raise invalid("onward", "only funds already gone have an onward transfer.")
    if kind == OutcomeKind.GONE and not onward:
        raise invalid("onward", "say where the funds went: the onward transfer raises the next request.")
    if request.status == RequestStatus.SENT:
        _acknowledge(actor, request, now)
    next_request = None
    if kind == OutcomeKind.GONE:
        assert onward is not None and checked is not None  # noqa: S101 - checked above
        next_request = _onward(actor, request, onward, checked, code, now)
    outcome = InterceptionOutcome.objects.create(
        request=request,
        kind=kind,
        amount=checked,
        currency=code,
        onward=next_request,
        note=note.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    if request.first_outcome_at is None:
        request.first_outcome_at = now
        request.save(update_fields=["first_outcome_at"])
    if request.status == RequestStatus.ACKNOWLEDGED:
        request.status = RequestStatus.ANSWERED
        request.save(update_fields=["status"])
    _audit(
        actor,
        "outcome",
        request,
        kind=kind,
        amount=str(checked) if checked is not None else None,
        currency=code,
        onward=next_request.reference if next_request is not None else None,
        late=now > request.outcome_due,
    )
    _tell(request, "outcome", [request.raised_by, request.requester], outcome=outcome)
    return outcome


def _onward(
    actor: User | None,
    request: InterceptionRequest,
    onward: dict[str, Any],
    amount: Decimal,
    currency: str,
    now: datetime,
) -> InterceptionRequest:
    """The next request of the chain: the requesting unit's case, raised by the addressee that saw
    the funds leave, for the amount that left."""
    fields = {key: onward.get(key, "") for key in ("account_number", "bic", "wallet", "wallet_currency", "exchange")}
    try:
        beneficiary = check_beneficiary(
            account_kind=onward.get("account_kind", ""), iban=onward.get("iban", ""), **fields
        )
        moment = check_moment("transferred_at", onward.get("transferred_at"), now)
    except Exception as exc:
        message = getattr(exc, "message", str(exc))
        raise invalid("onward", f"the onward transfer: {message}") from exc
    if moment < request.transferred_at:
        raise invalid("onward", "the onward transfer is dated before the transfer it followed.")
    return _raise(
        actor=actor,
        requester=request.requester,
        raised_by=request.addressee,
        beneficiary=beneficiary,
        amount=amount,
        currency=currency,
        transferred_at=moment,
        victim_bank=request.victim_bank,
        crime_type=request.crime_type,
        case_reference=request.case_reference,
        legal_basis=request.legal_basis,
        now=now,
        parent=request,
    )


@transaction.atomic
def interception_withdraw(*, actor: User | None, request: InterceptionRequest, reason: str) -> InterceptionRequest:
    """The raiser withdraws a request (a mistake, the funds returned): it stays, marked so, never deleted."""
    request = _locked(request)
    _raiser_acts(actor, request)
    reason = required_text("reason", reason)
    REQUEST_WORKFLOW.check(request.status, RequestStatus.WITHDRAWN, reference=request.reference)
    request.withdrawn_reason = reason
    REQUEST_WORKFLOW.record(
        actor=actor,
        obj=request,
        to=RequestStatus.WITHDRAWN,
        action="interception.withdraw",
        object_type="interception.request",
        details={"reference": request.reference},
        justification=reason,
        update_fields=["status", "withdrawn_reason"],
    )
    _tell(request, "withdrawn", [request.addressee])
    return request


@transaction.atomic
def interception_link_operation(
    *, actor: User, request: InterceptionRequest, operation: int | None
) -> InterceptionRequest:
    """Link the request to the joint operation of id ``operation`` that the actor sees (``None``
    unlinks): the operation's outcome totals then include what was frozen and recalled under it."""
    request = _locked(request)
    _seen(actor, request)
    if not (has_perm(actor, Perm.GOVERNANCE_MANAGE) or actor.organisation_id == request.requester_id):
        raise Forbidden("Only the requesting unit or the programme's managers link a request to an operation.")
    found: Operation | None = None
    if operation is not None:
        try:
            found = operation_get(principal=actor, pk=operation)
        except NotFound:
            raise invalid(
                "operation", f"no operation {operation} that you may see.", "An operation you take part in."
            ) from None
    request.operation = found
    request.save(update_fields=["operation"])
    _audit(actor, "link_operation", request, operation=operation)
    return request


def interceptions_consulted(*, actor: User, requests: Iterable[InterceptionRequest], via: str) -> None:
    """Log that ``actor`` read the personal and financial data of ``requests`` (web, api, cli),
    as every consultation of personal data is logged (``personal_data.consulted``)."""
    references = sorted({r.reference for r in requests})
    if not references:
        return
    audit_record(
        actor=actor,
        action="personal_data.consulted",
        object_type="interception.request",
        organisation=actor.organisation,
        details={"via": via, "purpose": "investigation", "interceptions": references},
    )
