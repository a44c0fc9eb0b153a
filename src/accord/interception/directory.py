"""The bank directory: the partner banks and exchanges a request can be routed to today (their
agreement in force covers payment interception), and the routing's answer, with its reason, for
an IBAN, a BIC or an exchange's name, before anyone raises a request.

It is for the staff of the programme and of law-enforcement units (who raise requests and must
know where they go); nobody else learns from it which partners take requests. The lookup runs
the real routing (:func:`accord.interception.routing.route`), so it cannot disagree with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accord.core.choices import OrganisationKind, OrganisationStatus
from accord.core.errors import Forbidden, ValidationFailed
from accord.core.guards import invalid
from accord.core.models import Organisation, User
from accord.interception.beneficiary import Beneficiary, bank_identifier, check_beneficiary
from accord.interception.choices import AccountKind, RoutedAs
from accord.interception.models import Institution
from accord.interception.routing import Route, route
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement
from accord.policy import principal_context

__all__ = ["Lookup", "directory_list", "directory_lookup", "directory_open"]

_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def directory_open(user: User | None) -> bool:
    """Whether ``user`` may open the directory: the programme's staff, and the people of a
    law-enforcement unit in good standing (an active organisation holding an agreement in force)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    organisation = user.organisation
    if organisation is None:
        return False
    if organisation.is_host:
        return True
    return organisation.kind == OrganisationKind.LAW_ENFORCEMENT and principal_context(user).eligible


def _require(principal: User) -> None:
    if not directory_open(principal):
        raise Forbidden("The bank directory is for the programme's staff and law-enforcement units.")


def directory_list(*, principal: User, now: datetime | None = None) -> QuerySet[Institution]:
    """The banks and exchanges a request can be routed to at ``now``: partners, active, whose
    data-sharing agreement in force covers payment interception; by name."""
    _require(principal)
    covered = (
        Agreement.objects.in_force(now or timezone.now())
        .filter(kind=AgreementKind.DATA_SHARING, current_version__payment_interception=True)
        .values("organisation_id")
    )
    return (
        Institution.objects.filter(organisation__status=OrganisationStatus.ACTIVE, organisation_id__in=covered)
        .select_related("organisation")
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class Lookup:
    """What the routing would do for a request about ``asked``: the account as understood
    (``beneficiary``) and the route (addressee, why, deadlines)."""

    asked: str
    beneficiary: Beneficiary
    route: Route

    @property
    def reason(self) -> str:
        """Why the addressee, in words: a partner with cover, the country's unit, or nobody."""
        return REASONS[RoutedAs(self.route.routed_as)]

    @property
    def understood_as(self) -> str:
        return {
            AccountKind.IBAN: "an IBAN",
            AccountKind.ACCOUNT: "a bank's BIC",
            AccountKind.WALLET: "an exchange's name",
        }[AccountKind(self.beneficiary.account_kind)]


REASONS = {
    RoutedAs.PARTNER: "a partner holding the account, whose agreement in force covers payment interception",
    RoutedAs.COUNTRY_UNIT: "the law-enforcement unit of the account's country (no partner with cover holds it)",
    RoutedAs.HOST: "nobody else can act: no partner with cover holds the account and no unit of its country "
    "takes part, so the programme itself",
}


def _beneficiary(text: str) -> Beneficiary:
    """An IBAN, a BIC (8 or 11 characters) or else an exchange's name, as a request would hold it."""
    compact = re.sub(r"\s+", "", text).upper()
    if len(compact) > 11 and compact[:2].isalpha() and compact[2:4].isdigit():
        try:
            IBAN(compact)
        except SchwiftyException:
            pass
        else:
            return check_beneficiary(account_kind=AccountKind.IBAN, iban=compact)
    if _BIC.match(compact):
        try:
            bic = bank_identifier(compact)
        except ValidationFailed:
            pass
        else:
            names = bic.bank_names
            return Beneficiary(
                account_kind=AccountKind.ACCOUNT,
                bic=str(bic),
                bank_name=str(names[0]) if names else "",
                account_country=bic.country_code,
            )
    return Beneficiary(account_kind=AccountKind.WALLET, exchange=text.strip()[:120])


def directory_lookup(*, principal: User, text: str, now: datetime | None = None) -> Lookup:
    """Who would receive a request for the account ``text`` (an IBAN, a BIC or an exchange's
    name) at ``now``, and why: the partner holding it with cover, else its country's unit, else
    the programme. Nothing is recorded."""
    _require(principal)
    asked = (text or "").strip()
    if not asked:
        raise invalid("account", "give an IBAN, a BIC or an exchange's name.", "Required.")
    if len(asked) > 120:
        raise invalid("account", "at most 120 characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in asked):
        raise invalid("account", "no control characters.")
    host = Organisation.objects.filter(is_host=True).order_by("pk").first()
    if host is None:
        raise ValidationFailed("No hosting organisation is set up; run accord init.")
    beneficiary = _beneficiary(asked)
    return Lookup(asked, beneficiary, route(beneficiary, host=host, now=now or timezone.now()))
