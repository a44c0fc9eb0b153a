"""Where a request goes: the partner bank or exchange that holds the account, when its agreement
in force covers payment interception; otherwise the law-enforcement unit of the account's
country; otherwise the programme itself. A request is never lost: it always has an addressee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from accord.core.choices import OrganisationKind, OrganisationStatus
from accord.core.models import Organisation
from accord.interception.beneficiary import Beneficiary
from accord.interception.choices import AccountKind, InstitutionKind, RoutedAs
from accord.interception.models import Institution
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement, AgreementVersion

__all__ = ["Route", "route"]


@dataclass(frozen=True)
class Route:
    """The addressee, why it was chosen, and its deadlines in hours."""

    addressee: Organisation
    routed_as: str
    note: str
    ack_hours: int
    outcome_hours: int


def _terms_in_force(organisation: Organisation, now: datetime) -> AgreementVersion | None:
    agreement = (
        Agreement.objects.in_force(now)
        .filter(organisation=organisation, kind=AgreementKind.DATA_SHARING)
        .select_related("current_version")
        .first()
    )
    return agreement.current_version if agreement is not None else None


def _institution(beneficiary: Beneficiary) -> Institution | None:
    institutions = Institution.objects.select_related("organisation")
    if beneficiary.account_kind == AccountKind.WALLET:
        if not beneficiary.exchange:
            return None
        return institutions.filter(kind=InstitutionKind.EXCHANGE, name__iexact=beneficiary.exchange).first()
    if not beneficiary.bic:
        return None
    return institutions.filter(kind=InstitutionKind.BANK, bic8=beneficiary.bic[:8]).first()


def _defaults(terms: AgreementVersion | None) -> tuple[int, int]:
    ack = settings.ACCORD_INTERCEPTION_ACK_HOURS
    outcome = settings.ACCORD_INTERCEPTION_OUTCOME_HOURS
    if terms is not None:
        ack = terms.interception_ack_hours or ack
        outcome = terms.interception_outcome_hours or outcome
    return ack, outcome


def route(beneficiary: Beneficiary, *, host: Organisation, now: datetime) -> Route:
    """Choose the addressee of a request for ``beneficiary`` at ``now``."""
    institution = _institution(beneficiary)
    held = beneficiary.bank_name or beneficiary.exchange or beneficiary.bic or "an unnamed institution"
    why = f"{held} is not a partner of the programme"
    if institution is not None:
        partner = institution.organisation
        terms = _terms_in_force(partner, now) if partner.status == OrganisationStatus.ACTIVE else None
        if terms is not None and terms.payment_interception:
            ack, outcome = _defaults(terms)
            return Route(partner, RoutedAs.PARTNER, f"{partner.name} holds the account.", ack, outcome)
        why = f"{partner.name} holds the account but no agreement in force covers payment interception"
    ack, outcome = _defaults(None)
    country = beneficiary.account_country
    if country:
        units = Organisation.objects.filter(
            kind=OrganisationKind.LAW_ENFORCEMENT, country=country, status=OrganisationStatus.ACTIVE
        ).order_by("pk")
        for unit in units:
            if _terms_in_force(unit, now) is not None:
                note = f"{why}; sent to {unit.name}, the law-enforcement unit of {country}."
                return Route(unit, RoutedAs.COUNTRY_UNIT, note, ack, outcome)
    where = f"no law-enforcement unit of {country} takes part" if country else "the account's country is unknown"
    return Route(host, RoutedAs.HOST, f"{why} and {where}: the programme must act.", ack, outcome)
