"""Who is asking: the recipient-side facts every rule needs, computed once per request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.utils import timezone

from accord.core.choices import OrganisationStatus, Role
from accord.core.models import User
from accord.partners.choices import AgreementKind, AgreementStatus
from accord.partners.models import Agreement, AgreementVersion
from accord.policy.agreements import AgreementStates, agreement_states

__all__ = ["ConsultedAgreement", "PrincipalContext", "principal_context"]


@dataclass(frozen=True)
class ConsultedAgreement:
    """An agreement a decision read, as shown by ``explain``."""

    reference: str
    party: str  # "recipient" or "originator"
    status: str
    version: int | None
    valid_from: datetime | None
    valid_until: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "party": self.party,
            "status": self.status,
            "version": self.version,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


def consulted(agreement: Agreement, party: str) -> ConsultedAgreement:
    version = agreement.current_version
    return ConsultedAgreement(
        reference=agreement.reference,
        party=party,
        status=agreement.status,
        version=version.number if version else None,
        valid_from=version.valid_from if version else None,
        valid_until=version.valid_until if version else None,
    )


@dataclass(frozen=True)
class PrincipalContext:
    """The asker, their organisation, and whether rule 1 (an agreement in force) holds."""

    now: datetime
    user_id: int | None = None
    role: str = ""
    organisation_id: int | None = None
    organisation_kind: str = ""
    organisation_region: str = ""
    is_host: bool = False
    terms: AgreementVersion | None = None
    eligible: bool = False
    ineligible_reason: str = "You are not logged in: only TLP:CLEAR information is public."
    consulted: tuple[ConsultedAgreement, ...] = field(default_factory=tuple)
    # Every agreement as this context reads it, read once on first need
    # (:mod:`accord.policy.agreements`); copies made by ``replace`` share it.
    _states: list[AgreementStates] = field(default_factory=list, compare=False, repr=False)

    def agreements(self) -> AgreementStates:
        """Every agreement with its terms in force, as this asker's context reads them: one read
        of their rows' states, on the first rule that needs them, which every later rule of the
        context shares (its TAXII request, its task); the next context reads them again."""
        if not self._states:
            self._states.append(agreement_states())
        return self._states[0]

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


def _date(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "an unknown date"


def principal_context(principal: User | Any, now: datetime | None = None) -> PrincipalContext:
    """Evaluate rule 1 for ``principal`` at ``now``: an organisation in good standing holding an
    active data-sharing agreement whose window covers now (staff of the hosting organisation are
    exempt). "Active" is read from the agreement window itself, to the second; the stored
    organisation status follows it (see ``agreements_sweep``) and records sanctions, which
    refuse access whatever the agreements say."""
    now = now or timezone.now()
    if principal is None or not getattr(principal, "is_authenticated", False) or not principal.is_active:
        return PrincipalContext(now=now)
    organisation = principal.organisation
    base = PrincipalContext(
        now=now,
        user_id=principal.pk,
        role=principal.role,
        organisation_id=organisation.pk,
        organisation_kind=organisation.kind,
        organisation_region=organisation.region,
        is_host=organisation.is_host,
    )
    if organisation.is_host:
        return replace(base, eligible=True, ineligible_reason="")
    states = base.agreements()
    agreements: list[Agreement] = states.derived(  # the newest first
        ("data sharing of", organisation.pk),
        lambda: sorted(
            (
                a
                for a in states.by_id.values()
                if a.organisation_id == organisation.pk and a.kind == AgreementKind.DATA_SHARING
            ),
            key=lambda a: (a.created_at, a.pk),
            reverse=True,
        ),
    )
    in_force = next((a for a in agreements if a.in_force_at(now)), None)
    if organisation.status in (
        OrganisationStatus.SUSPENDED,
        OrganisationStatus.TERMINATED,
        OrganisationStatus.APPLICANT,
    ):
        reason = (
            f"Your organisation ({organisation.name}) is {organisation.get_status_display().lower()} on "
            "the programme, so it receives no shared data."
        )
        return replace(
            base, ineligible_reason=reason, consulted=tuple(consulted(a, "recipient") for a in agreements[:1])
        )
    if in_force is not None:
        return replace(
            base,
            terms=in_force.current_version,
            eligible=True,
            ineligible_reason="",
            consulted=(consulted(in_force, "recipient"),),
        )
    if not agreements:
        reason = "Your organisation holds no data-sharing agreement, so it receives no shared data."
        return replace(base, ineligible_reason=reason)
    latest = agreements[0]
    version = latest.current_version
    yours = f"Your organisation's data-sharing agreement {latest.reference}"
    if latest.status == AgreementStatus.SUSPENDED:
        reason = f"{yours} is suspended since {_date(latest.status_changed_at)}."
    elif latest.status == AgreementStatus.TERMINATED:
        reason = f"{yours} was terminated on {_date(latest.status_changed_at)}."
    elif latest.status == AgreementStatus.DRAFT:
        reason = f"{yours} is still a draft, not yet in force."
    elif version is not None and version.valid_from > now:
        reason = f"{yours} takes effect on {_date(version.valid_from)}."
    else:
        ended = version.valid_until if version is not None else latest.status_changed_at
        reason = f"{yours} expired on {_date(ended)}."
    return replace(base, ineligible_reason=reason, consulted=(consulted(latest, "recipient"),))
