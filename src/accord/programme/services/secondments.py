"""Secondments: placement checks, proposals, transitions and their daily housekeeping."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationStatus, Role
from accord.core.errors import ValidationFailed
from accord.core.guards import invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.notifications.services import notify
from accord.partners.choices import AgreementKind, AgreementStatus
from accord.partners.models import Agreement
from accord.partners.services import _create_numbered
from accord.programme.choices import (
    HOLDING_STATUSES,
    SECONDMENT_WORKFLOW,
    ClearanceLevel,
    RequestStatus,
    SecondmentStatus,
)
from accord.programme.models import (
    Expert,
    Secondment,
    SecondmentRequest,
)
from accord.programme.services._common import (
    _may_act_for,
    _today,
    add_months,
)

# --- Secondments ----------------------------------------------------------------------------------


def _check_duration(start: date, end: date) -> None:
    months = settings.ACCORD_SECONDMENT_MAX_MONTHS
    if end >= add_months(start, months):
        raise ValidationFailed(
            f"end: a secondment lasts at most {months} months; {start} – {end} is longer.",
            details={"end": [f"At most {months} months (until {add_months(start, months)} exclusive)."]},
            code="too_long",
        )


def covering_agreement(organisation: Organisation, kind: str, start: date, end: date) -> Agreement | None:
    """The organisation's active agreement of ``kind`` in force on every day from ``start`` to
    ``end``, if any (its window begins on or before ``start`` and ends after ``end``)."""
    candidates = (
        Agreement.objects.active().filter(organisation=organisation, kind=kind).select_related("current_version")
    )
    return next((agreement for agreement in candidates if agreement_covers(agreement, start, end)), None)


def agreement_covers(agreement: Agreement, start: date, end: date) -> bool:
    """Whether an active agreement's current window holds every day from ``start`` to ``end``."""
    version = agreement.current_version
    if agreement.status != AgreementStatus.ACTIVE or version is None:
        return False
    if timezone.localdate(version.valid_from) > start:
        return False
    return version.valid_until is None or timezone.localdate(version.valid_until) > end


def _check_placement(
    expert: Expert, secondment_request: SecondmentRequest, start: date, end: date, exclude: Any = None
) -> Agreement:
    """Every rule of a placement; the covering agreement when they all hold."""
    if end < start:
        raise invalid("end", f"the period ends ({end}) before it starts ({start}).", "end ≥ start.")
    if start < secondment_request.start or end > secondment_request.end:
        raise ValidationFailed(
            f"start: the period {start} – {end} must lie within the request's "
            f"{secondment_request.start} – {secondment_request.end}.",
            details={"start": [f"Within {secondment_request.start} – {secondment_request.end}."]},
            code="outside_request",
        )
    _check_duration(start, end)
    if not expert.is_active:
        raise invalid("expert", f"{expert.full_name}'s profile is inactive.")
    organisation = expert.organisation
    if organisation.status != OrganisationStatus.ACTIVE:
        raise ValidationFailed(
            f"expert: {organisation.name} is {organisation.status}, not an active partner.",
            details={"expert": ["The sending organisation must be active."]},
            code="organisation_inactive",
        )
    agreement = covering_agreement(organisation, AgreementKind.SECONDMENT, start, end)
    if agreement is None:
        raise ValidationFailed(
            f"agreement: {organisation.name} holds no active secondment agreement in force for the whole "
            f"period {start} – {end}.",
            details={"agreement": ["An active secondment agreement covering the whole period."]},
            code="no_covering_agreement",
        )
    if secondment_request.clearance != ClearanceLevel.NONE:
        if ClearanceLevel.rank(expert.clearance_level) < ClearanceLevel.rank(secondment_request.clearance):
            raise ValidationFailed(
                f"clearance: {expert.full_name} holds {expert.clearance_level}; "
                f"the request needs {secondment_request.clearance}.",
                details={"clearance": [f"At least {secondment_request.clearance}."]},
                code="clearance_insufficient",
            )
        if not expert.clearance_valid_through(end):
            raise ValidationFailed(
                f"clearance: {expert.full_name}'s clearance expires on {expert.clearance_expires}, before the end "
                f"of the placement ({end}).",
                details={"clearance": [f"Valid until at least {end}."]},
                code="clearance_expired",
            )
    clash = (
        Secondment.objects.filter(expert=expert, status__in=HOLDING_STATUSES, start__lte=end, end__gte=start)
        .exclude(pk=exclude)
        .first()
    )
    if clash is not None:
        raise ValidationFailed(
            f"expert: {expert.full_name} is already placed ({clash.reference}, {clash.status}) from {clash.start} "
            f"to {clash.end}, which overlaps {start} – {end}.",
            details={"expert": [f"Overlaps {clash.reference}."]},
            code="overlapping_placement",
        )
    return agreement


@transaction.atomic
def secondment_propose(
    *,
    actor: User | None,
    secondment_request: SecondmentRequest,
    expert: Expert,
    start: date | None = None,
    end: date | None = None,
) -> Secondment:
    """Propose an expert for an open request (the request's whole period unless given): the
    expert's organisation (its contributors) or a programme manager."""
    _may_act_for(actor, expert.organisation)
    expert = Expert.objects.select_for_update().select_related("organisation").get(pk=expert.pk)
    secondment_request = SecondmentRequest.objects.get(pk=secondment_request.pk)
    if secondment_request.status != RequestStatus.OPEN:
        raise invalid(
            "request",
            f"{secondment_request.reference} is {secondment_request.status}; experts are proposed for open requests.",
        )
    start, end = start or secondment_request.start, end or secondment_request.end
    agreement = _check_placement(expert, secondment_request, start, end)
    secondment = _create_numbered(  # type: ignore[type-var]  # any model with a unique reference
        Secondment,
        "PLC",
        expert=expert,
        request=secondment_request,
        organisation=expert.organisation,
        agreement=agreement,
        start=start,
        end=end,
        proposed_by=actor,
    )
    audit_record(
        actor=actor,
        action="secondment.propose",
        obj=secondment,
        organisation=expert.organisation,
        details={
            "reference": secondment.reference,
            "request": secondment_request.reference,
            "expert": expert.pk,
            "agreement": agreement.reference,
            "start": str(start),
            "end": str(end),
        },
    )
    return secondment


@transaction.atomic
def secondment_transition(
    *, actor: User | None, secondment: Secondment, to: str, reason: str = "", today: date | None = None
) -> Secondment:
    """Move a placement ``proposed → approved → active → completed``, or cancel it.

    Approval (programme managers) checks every rule again and fills the request; ``active``
    needs the start date reached and ``completed`` the end date; a cancellation needs a
    reason and may come from the sending organisation too.
    """
    secondment = (
        Secondment.objects.select_for_update(of=("self",))
        .select_related("expert__organisation", "request")
        .get(pk=secondment.pk)
    )
    if to == SecondmentStatus.CANCELLED:
        _may_act_for(actor, secondment.organisation)
    else:
        require(actor, Perm.PROGRAMME_MANAGE)
    one_of("to", to, SecondmentStatus)
    SECONDMENT_WORKFLOW.check(secondment.status, to, reference=secondment.reference)
    today = today or _today()
    if to == SecondmentStatus.APPROVED:
        secondment.agreement = _check_placement(
            secondment.expert, secondment.request, secondment.start, secondment.end, exclude=secondment.pk
        )
        secondment.decided_by = actor
        secondment_request = secondment.request
        secondment_request.status = RequestStatus.FILLED
        secondment_request.save(update_fields=["status", "updated_at"])
    elif to == SecondmentStatus.ACTIVE and today < secondment.start:
        raise invalid("to", f"{secondment.reference} starts on {secondment.start}; it cannot be active before.")
    elif to == SecondmentStatus.COMPLETED and today < secondment.end:
        raise invalid("to", f"{secondment.reference} ends on {secondment.end}; it completes then, not before.")
    elif to == SecondmentStatus.CANCELLED:
        if not reason.strip():
            raise invalid("reason", f"say why {secondment.reference} is cancelled.", "Required.")
        if secondment.status == SecondmentStatus.APPROVED and secondment.request.status == RequestStatus.FILLED:
            secondment.request.status = RequestStatus.OPEN
            secondment.request.save(update_fields=["status", "updated_at"])
    secondment.status_reason = reason.strip()
    SECONDMENT_WORKFLOW.record(
        actor=actor,
        obj=secondment,
        to=to,
        action=f"secondment.{to}",
        details={"reference": secondment.reference, "from": secondment.status, "to": to},
        update_fields=None,
        organisation=secondment.organisation,
        justification=reason,
    )
    return secondment


def _managers() -> list[User]:
    return list(User.objects.filter(role=Role.PROGRAMME_MANAGER, is_active=True).order_by("pk"))


def _warn(
    *,
    obj: Any,
    expert_email: str,
    managers: list[User],
    template: str,
    context: dict[str, Any],
    action: str,
    details: dict[str, Any],
    link: str,
) -> None:
    """Tell the expert (by e-mail) and the programme managers (as they chose) of a coming end,
    and record that it was given."""
    known = {m.email.lower() for m in managers if m.email}
    notify(
        "secondment.reminder",
        people=managers,
        addresses=[expert_email] if expert_email and expert_email.lower() not in known else [],
        template=template,
        subject=obj,
        link=link,
        context=context,
    )
    audit_record(actor=None, action=action, obj=obj, organisation=obj.organisation, details=details)


@transaction.atomic
def secondments_daily(*, now: datetime | None = None) -> list[str]:
    """The daily job (``ACCORD_DAILY_JOBS``, ``accord programme daily``): approved placements
    become active on their start date, active ones completed after their end date; the expert and
    the programme managers are warned once, ``ACCORD_SECONDMENT_WARN_DAYS`` ahead, of a
    placement's end and of a clearance expiring during a placement. Idempotent."""
    today = timezone.localdate(now) if now else _today()
    horizon = date.fromordinal(today.toordinal() + settings.ACCORD_SECONDMENT_WARN_DAYS)
    done: list[str] = []
    for placement in Secondment.objects.filter(status=SecondmentStatus.APPROVED, start__lte=today).order_by("pk"):
        secondment_transition(actor=None, secondment=placement, to=SecondmentStatus.ACTIVE, today=today)
        done.append(f"{placement.reference} active")
    for placement in Secondment.objects.filter(status=SecondmentStatus.ACTIVE, end__lt=today).order_by("pk"):
        secondment_transition(actor=None, secondment=placement, to=SecondmentStatus.COMPLETED, today=today)
        done.append(f"{placement.reference} completed")
    managers = _managers()
    ending = Secondment.objects.filter(
        status=SecondmentStatus.ACTIVE, end__gte=today, end__lte=horizon, end_warned_on__isnull=True
    ).select_related("expert", "organisation", "request")
    for placement in ending:
        placement.end_warned_on = today
        placement.save(update_fields=["end_warned_on", "updated_at"])
        _warn(
            obj=placement,
            expert_email=placement.expert.email,
            managers=managers,
            link=f"/programme/secondments/{placement.pk}/",
            template="programme/email/secondment_ending",
            context={"secondment": placement, "days": (placement.end - today).days},
            action="secondment.end_warning",
            details={"end": str(placement.end)},
        )
        done.append(f"{placement.reference} ends {placement.end}")
    expiring = (
        Expert.objects.filter(
            clearance_expires__gte=today,
            clearance_expires__lte=horizon,
            secondments__status__in=[SecondmentStatus.APPROVED, SecondmentStatus.ACTIVE],
            secondments__end__gte=today,
        )
        .exclude(clearance_level=ClearanceLevel.NONE)
        .distinct()
        .select_related("organisation")
    )
    for expert in expiring:
        if expert.clearance_warned_for == expert.clearance_expires:
            continue
        expert.clearance_warned_for = expert.clearance_expires
        expert.save(update_fields=["clearance_warned_for", "updated_at"])
        _warn(
            obj=expert,
            expert_email=expert.email,
            managers=managers,
            link="/programme/",
            template="programme/email/clearance_expiring",
            context={"expert": expert, "days": (expert.clearance_expires - today).days},  # type: ignore[operator]
            action="expert.clearance_warning",
            details={"expires": str(expert.clearance_expires)},
        )
        done.append(f"clearance of {expert.full_name} expires {expert.clearance_expires}")
    return done
