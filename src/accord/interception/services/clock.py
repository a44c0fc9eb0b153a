"""The deadlines: a periodic job escalates every request whose acknowledgement or first outcome
is late, once per deadline, to the addressee, the requesting unit and the programme."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accord.core.models import Organisation
from accord.interception.choices import RequestStatus
from accord.interception.models import InterceptionRequest
from accord.interception.services._common import _audit, _tell

__all__ = ["interceptions_escalate"]


@transaction.atomic
def interceptions_escalate(*, now: datetime | None = None) -> list[str]:
    """Escalate what is late at ``now`` (a round job of ``accord worker``; ``accord interceptions
    escalate``); the references escalated. Each deadline escalates once."""
    now = now or timezone.now()
    host = Organisation.objects.filter(is_host=True).first()
    escalated: list[str] = []
    late_ack = InterceptionRequest.objects.select_for_update(of=("self",)).filter(
        status=RequestStatus.SENT, ack_due__lt=now, ack_escalated_at__isnull=True
    )
    for request in late_ack.select_related("addressee", "requester").order_by("pk"):
        request.ack_escalated_at = now
        request.save(update_fields=["ack_escalated_at"])
        _audit(None, "escalate", request, deadline="acknowledgement", due=request.ack_due.isoformat())
        _tell(
            request,
            "escalated",
            [request.addressee, request.requester, *([host] if host else [])],
            deadline="acknowledgement",
        )
        escalated.append(request.reference)
    late_outcome = InterceptionRequest.objects.select_for_update(of=("self",)).filter(
        status__in=(RequestStatus.SENT, RequestStatus.ACKNOWLEDGED),
        outcome_due__lt=now,
        outcome_escalated_at__isnull=True,
    )
    for request in late_outcome.select_related("addressee", "requester").order_by("pk"):
        request.outcome_escalated_at = now
        request.save(update_fields=["outcome_escalated_at"])
        _audit(None, "escalate", request, deadline="first outcome", due=request.outcome_due.isoformat())
        _tell(
            request,
            "escalated",
            [request.addressee, request.requester, *([host] if host else [])],
            deadline="first outcome",
        )
        escalated.append(request.reference)
    return escalated
