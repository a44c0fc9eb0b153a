"""What the interception services share: who may act, telling people, the audit event."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind, Sector
from accord.core.errors import Forbidden, NotFound
from accord.core.models import Organisation, User
from accord.core.roles import ROLE_PERMS, Perm, has_perm
from accord.interception.models import InterceptionRequest
from accord.notifications.services import notify
from accord.policy import in_audience, principal_context

AUDIT_OBJECT_TYPE = "interception.request"


def _audit(actor: User | None, action: str, request: InterceptionRequest, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=f"interception.{action}",
        obj=request,
        object_type=AUDIT_OBJECT_TYPE,
        details={"reference": request.reference, **details},
    )


def _roles_that_act() -> list[str]:
    return [str(role) for role, perms in ROLE_PERMS.items() if Perm.SHARING_SUBMIT in perms]


def _tell(request: InterceptionRequest, event: str, organisations: list[Organisation], **context: Any) -> None:
    """Tell the people of ``organisations`` who act on requests (their role may submit shared
    data) of ``event`` on ``request``, through the notification service (inbox and e-mail at
    once by default, the organisation's webhooks subscribed to it), after the change commits.
    The message names the request and links to it; what it holds is read on the platform, where
    the reading is logged."""
    link = reverse("interception:interception-detail", args=[request.reference])
    for organisation in {o.pk: o for o in organisations}.values():
        notify(
            f"interception.{event}",
            organisation=organisation,
            roles=_roles_that_act(),
            subject=request,
            context={"request": request, "organisation": organisation, **context},
            link=link,
            data={"reference": request.reference, "event": event},
        )


def _may_raise(actor: User | None, organisation: Organisation) -> None:
    """Law-enforcement units, the host, and partner banks raise requests, through people whose
    role may submit shared data, while their organisation may receive shared data at all."""
    if actor is None:
        return
    if not has_perm(actor, Perm.SHARING_SUBMIT):
        raise Forbidden(f"Your role does not allow this ({Perm.SHARING_SUBMIT}).")
    kind_ok = organisation.is_host or organisation.kind in (
        OrganisationKind.LAW_ENFORCEMENT,
        OrganisationKind.INTERNATIONAL_ORG,
    )
    if not kind_ok and organisation.sector != Sector.BANKING_FINANCE:
        raise Forbidden(
            "Only law-enforcement units, the programme and partner banks raise payment-interception requests."
        )
    ctx = principal_context(actor)
    if not ctx.eligible:
        raise Forbidden(ctx.ineligible_reason)


def _seen(actor: User | None, request: InterceptionRequest) -> None:
    """A request the actor may not see is missing for them (the same 404)."""
    if actor is None:
        return
    ids = (request.requester_id, request.raised_by_id, request.addressee_id)
    if not in_audience(principal_context(actor), ids):
        raise NotFound(f"No interception request {request.pk} (or you may not see it).")


def _addressee_acts(actor: User | None, request: InterceptionRequest) -> None:
    """Only the addressee answers a request (the programme for the requests routed to it)."""
    _seen(actor, request)
    if actor is None:
        return
    if not has_perm(actor, Perm.SHARING_SUBMIT):
        raise Forbidden(f"Your role does not allow this ({Perm.SHARING_SUBMIT}).")
    if actor.organisation_id != request.addressee_id:
        raise Forbidden(f"Only {request.addressee.name}, to whom {request.reference} is addressed, answers it.")


def _raiser_acts(actor: User | None, request: InterceptionRequest) -> None:
    """The requesting unit or the organisation that raised the step (or the programme) changes it."""
    _seen(actor, request)
    if actor is None:
        return
    if not has_perm(actor, Perm.SHARING_SUBMIT):
        raise Forbidden(f"Your role does not allow this ({Perm.SHARING_SUBMIT}).")
    if actor.organisation.is_host:
        return
    if actor.organisation_id not in (request.requester_id, request.raised_by_id):
        raise Forbidden(f"Only the organisation that raised {request.reference} may do this.")
