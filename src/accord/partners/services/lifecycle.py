"""Lifecycle: agreements put in force, suspended, terminated and expired, and the organisation
status that follows from them (synced, suspended, reinstated, terminated)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationStatus, Role
from accord.core.errors import Forbidden, ValidationFailed
from accord.core.guards import invalid, require
from accord.core.models import Organisation, User
from accord.core.roles import Perm, has_perm
from accord.core.services import organisation_set_status
from accord.notifications.services import notify
from accord.partners.choices import AGREEMENT_WORKFLOW, AgreementKind, AgreementStatus
from accord.partners.models import Agreement, AgreementVersion
from accord.partners.services.terms import _check_no_overlap
from accord.partners.watchers import partnership_change, windows_pass

__all__ = [
    "agreement_activate",
    "agreement_suspend",
    "agreement_terminate",
    "agreements_sweep",
    "organisation_reinstate",
    "organisation_suspend",
    "organisation_sync_status",
    "organisation_terminate",
    "status_due",
]


def _locked(agreement: Agreement) -> Agreement:
    """The agreement, re-read and locked (only its own row: the version join is nullable)."""
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("current_version", "organisation")
        .get(pk=agreement.pk)
    )


def _transition(actor: User | None, agreement: Agreement, to: str, reason: str, *, need_reason: bool) -> Agreement:
    agreement = _locked(agreement)
    AGREEMENT_WORKFLOW.check(agreement.status, to, reference=agreement.reference)
    if need_reason and not reason.strip():
        raise invalid("reason", f"say why {agreement.reference} becomes {to}.", "Required.")
    with partnership_change(organisation_id=agreement.organisation_id, agreement_id=agreement.pk):
        agreement.status_reason = reason.strip()
        agreement.status_changed_at = timezone.now()
        AGREEMENT_WORKFLOW.record(
            actor=actor,
            obj=agreement,
            to=to,
            action=f"agreement.{to}",
            details={"reference": agreement.reference, "from": agreement.status, "to": to},
            update_fields=["status", "status_reason", "status_changed_at", "updated_at"],
            organisation=agreement.organisation,
            justification=reason,
        )
        organisation_sync_status(actor=actor, organisation=agreement.organisation, reason=f"{agreement.reference} {to}")
    if to in (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED):
        word = "came into force" if to == AgreementStatus.ACTIVE else "was suspended"
        _tell(
            f"agreement.{'activated' if to == AgreementStatus.ACTIVE else 'suspended'}",
            agreement,
            f"Agreement {agreement.reference} {word}",
            f"{agreement.get_kind_display()} {agreement.title} with {agreement.organisation.name} {word}"
            + (f": {reason.strip()}" if reason.strip() else "."),
        )
    return agreement


# Days ahead of its end that an agreement in force is warned of, once each.
EXPIRY_WARNINGS = (30, 7)


def _tell(event: str, agreement: Agreement, title: str, text: str) -> None:
    """The agreement's organisation (everyone, as each chose) and the programme managers."""
    managers = User.objects.filter(role=Role.PROGRAMME_MANAGER, is_active=True)
    notify(
        event,
        organisation=agreement.organisation,
        people=managers,
        subject=agreement,
        link=f"/agreements/{agreement.pk}/",
        context={"title": title, "text": text},
        data={"agreement": agreement.reference, "kind": agreement.kind, "status": agreement.status},
    )


def agreements_warn_expiring(now: datetime) -> list[Agreement]:
    """Warn of each agreement in force that ends within 30, then within 7 days (once each; an
    agreement amended to end later is warned again as its new end nears)."""
    horizon = now + timedelta(days=max(EXPIRY_WARNINGS))
    warned = []
    Agreement.objects.filter(expiry_warned_days__isnull=False, current_version__valid_until__gt=horizon).update(
        expiry_warned_days=None
    )
    soon = Agreement.objects.filter(
        status=AgreementStatus.ACTIVE, current_version__valid_until__gt=now, current_version__valid_until__lte=horizon
    ).select_related("current_version", "organisation")
    for agreement in soon.order_by("pk"):
        assert agreement.current_version is not None and agreement.current_version.valid_until is not None  # noqa: S101
        left = agreement.current_version.valid_until - now
        threshold = min(days for days in EXPIRY_WARNINGS if left <= timedelta(days=days))
        if agreement.expiry_warned_days is not None and agreement.expiry_warned_days <= threshold:
            continue
        agreement.expiry_warned_days = threshold
        agreement.save(update_fields=["expiry_warned_days"])
        days = max(left.days, 0)
        _tell(
            "agreement.expiring",
            agreement,
            f"Agreement {agreement.reference} ends in {days} day{'' if days == 1 else 's'}",
            f"{agreement.get_kind_display()} {agreement.title} with {agreement.organisation.name} ends on "
            f"{agreement.current_version.valid_until:%Y-%m-%d}. Access under it stops then unless it is amended "
            "or a new agreement is in force.",
        )
        warned.append(agreement)
    return warned


def _unsigned(actor: User | None, agreement: Agreement, version: AgreementVersion, override_reason: str) -> str:
    """Why a data-sharing agreement with no signed document may still be put in force: the
    override's reason, typed by a platform administrator (or a system action); else the
    activation is refused, naming the document and the override."""
    why = override_reason.strip()
    if not why:
        raise ValidationFailed(
            f"document: {agreement.reference} has no signed document for version {version.number}; attach the "
            "signed PDF before activating it, or give override_reason to activate it without one "
            "(a platform administrator only; audited).",
            details={
                "document": ["Attach the signed PDF of the agreement first."],
                "override_reason": ["Or say why it must be in force without its signed document."],
            },
        )
    if actor is not None and not has_perm(actor, Perm.PLATFORM_ADMIN):
        raise Forbidden(
            "Only a platform administrator may activate a data-sharing agreement without its signed "
            "document; attach the signed PDF instead."
        )
    return why


@transaction.atomic
def agreement_activate(
    *, actor: User | None, agreement: Agreement, reason: str = "", override_reason: str = ""
) -> Agreement:
    """Put a draft (or suspended) agreement in force; its organisation becomes active.

    A data-sharing agreement needs the signed document of the version in force: without one it
    is refused, unless ``override_reason`` says why (a platform administrator only), which is
    audited as ``agreement.activate_unsigned``."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    agreement = Agreement.objects.select_related("current_version", "organisation").get(pk=agreement.pk)
    version = agreement.current_version
    assert version is not None  # noqa: S101 - every agreement is created with a version
    if version.valid_until is not None and version.valid_until <= timezone.now():
        raise invalid(
            "valid_until",
            f"{agreement.reference} ended on {version.valid_until:%Y-%m-%d}; amend its window before activating it.",
        )
    if agreement.organisation.status == OrganisationStatus.TERMINATED:
        raise invalid("organisation", f"{agreement.organisation.name}'s partnership is terminated.")
    unsigned = agreement.kind == AgreementKind.DATA_SHARING and not version.document
    override = _unsigned(actor, agreement, version, override_reason) if unsigned else ""
    _check_no_overlap(agreement, version)
    agreement = _transition(actor, agreement, AgreementStatus.ACTIVE, reason, need_reason=False)
    if override:
        audit_record(
            actor=actor,
            action="agreement.activate_unsigned",
            obj=agreement,
            organisation=agreement.organisation,
            justification=override,
            details={"reference": agreement.reference, "version": version.number},
        )
    return agreement


@transaction.atomic
def agreement_suspend(*, actor: User | None, agreement: Agreement, reason: str) -> Agreement:
    """Suspend an agreement at once (access under it ends now); it may be reactivated."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    return _transition(actor, agreement, AgreementStatus.SUSPENDED, reason, need_reason=True)


@transaction.atomic
def agreement_terminate(*, actor: User | None, agreement: Agreement, reason: str) -> Agreement:
    """End an agreement for good."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    return _transition(actor, agreement, AgreementStatus.TERMINATED, reason, need_reason=True)


def agreements_sweep(*, now: datetime | None = None) -> list[Agreement]:
    """Expire every active or suspended agreement whose window has ended, activate the
    organisations whose agreement's window has begun, and warn of agreements ending within 30
    and 7 days (``accord agreements sweep``, and the
    worker daily). Access does not wait for this: the policy reads the windows itself; the
    sweep brings the records and organisation statuses in line. What the windows' edges changed
    for readers is recorded first, in a transaction of its own (the window watchers,
    :func:`accord.partners.watchers.windows_pass`), before any agreement is locked."""
    now = now or timezone.now()
    windows_pass(now=now)
    return _sweep(now)


@transaction.atomic
def _sweep(now: datetime) -> list[Agreement]:
    due = Agreement.objects.filter(
        status__in=[AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED], current_version__valid_until__lte=now
    )
    expired = [
        _transition(None, agreement, AgreementStatus.EXPIRED, "validity window ended", need_reason=False)
        for agreement in due
    ]
    # Agreements whose window has begun since they were activated make their organisation active.
    starting = Organisation.objects.filter(
        status=OrganisationStatus.VETTING,
        agreements__status=AgreementStatus.ACTIVE,
        agreements__current_version__valid_from__lte=now,
    ).distinct()
    for organisation in starting:
        organisation_sync_status(actor=None, organisation=organisation, reason="agreement window began", now=now)
    agreements_warn_expiring(now)
    return expired


# --- Organisation status --------------------------------------------------------------------------


def _holds_active_agreement(organisation: Organisation, now: datetime) -> bool:
    return organisation.agreements.in_force(now).exists()


def organisation_sync_status(
    *, actor: User | None, organisation: Organisation, reason: str = "", now: datetime | None = None
) -> Organisation:
    """``active`` while it holds an active agreement in force, ``vetting`` otherwise; a
    suspended or terminated partnership stays so until reinstated."""
    organisation = Organisation.objects.get(pk=organisation.pk)
    target = status_due(organisation, now or timezone.now())
    if target is None:
        return organisation
    return organisation_set_status(actor=actor, organisation=organisation, status=target, reason=reason)


def status_due(organisation: Organisation, now: datetime) -> str | None:
    """The status :func:`organisation_sync_status` gives ``organisation`` at ``now``; ``None``
    when its agreements do not decide it (the host, a suspended or terminated partnership)."""
    if organisation.is_host or organisation.status in (OrganisationStatus.SUSPENDED, OrganisationStatus.TERMINATED):
        return None
    if _holds_active_agreement(organisation, now):
        return OrganisationStatus.ACTIVE
    return OrganisationStatus.VETTING if organisation.status == OrganisationStatus.ACTIVE else organisation.status


@transaction.atomic
def organisation_suspend(*, actor: User | None, organisation: Organisation, reason: str) -> Organisation:
    """Suspend a partnership: the organisation receives nothing until reinstated."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if organisation.is_host:
        raise invalid("organisation", "the hosting organisation cannot be suspended.")
    if not reason.strip():
        raise invalid("reason", "say why the partnership is suspended.", "Required.")
    if organisation.status == OrganisationStatus.TERMINATED:
        raise invalid("status", f"{organisation.name}'s partnership is terminated.")
    with partnership_change(organisation_id=organisation.pk):
        return organisation_set_status(
            actor=actor, organisation=organisation, status=OrganisationStatus.SUSPENDED, reason=reason
        )


@transaction.atomic
def organisation_reinstate(*, actor: User | None, organisation: Organisation, reason: str) -> Organisation:
    """Lift a suspension: active again if an agreement is in force, else back to vetting."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if organisation.status != OrganisationStatus.SUSPENDED:
        raise invalid("status", f"{organisation.name} is {organisation.status}, not suspended.")
    if not reason.strip():
        raise invalid("reason", "say why the partnership is reinstated.", "Required.")
    target = (
        OrganisationStatus.ACTIVE
        if _holds_active_agreement(organisation, timezone.now())
        else OrganisationStatus.VETTING
    )
    with partnership_change(organisation_id=organisation.pk):
        return organisation_set_status(actor=actor, organisation=organisation, status=target, reason=reason)


@transaction.atomic
def organisation_terminate(*, actor: User | None, organisation: Organisation, reason: str) -> Organisation:
    """End a partnership: its agreements in force are terminated with it."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if organisation.is_host:
        raise invalid("organisation", "the hosting organisation cannot be terminated.")
    if not reason.strip():
        raise invalid("reason", "say why the partnership ends.", "Required.")
    with partnership_change(organisation_id=organisation.pk):
        for agreement in organisation.agreements.filter(
            status__in=[AgreementStatus.DRAFT, AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED]
        ):
            _transition(actor, agreement, AgreementStatus.TERMINATED, reason, need_reason=True)
        return organisation_set_status(
            actor=actor, organisation=organisation, status=OrganisationStatus.TERMINATED, reason=reason
        )
