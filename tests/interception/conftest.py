"""Payment-interception fixtures: a French unit with a BEC case, a partner bank whose agreement
covers payment interception (Commerzbank), a partner bank whose agreement does not (ABN AMRO),
the Dutch unit, a partner exchange, and a bystander partner; one contributor each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.choices import OrganisationKind, Role, Sector
from accord.interception import services
from tests.factories import OrganisationFactory, UserFactory, make_agreement

API = "/api/v1/interceptions/"
# Real IBANs of the banks' registries (schwifty): Commerzbank (DE), ABN AMRO (NL), Barclays (GB).
COMMERZBANK_IBAN = "DE89 3704 0044 0532 0130 00"
ABN_IBAN = "NL91ABNA0417164300"
BARCLAYS_IBAN = "GB33BUKB20201555555555"
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"


def org(name: str, country: str, **fields: Any) -> Any:
    return OrganisationFactory(name=name, short_name=name.split()[0], country=country, **fields)


@pytest.fixture
def world(host: Any, people: Any) -> dict[str, Any]:
    """The organisations and one contributor of each (``people`` of ``world["who"]``)."""
    unit = org("Brigade financière", "FR", kind=OrganisationKind.LAW_ENFORCEMENT, sector="")
    nl_unit = org("Dutch High Tech Crime Unit", "NL", kind=OrganisationKind.LAW_ENFORCEMENT, sector="")
    commerz = org("Commerzbank", "DE", sector=Sector.BANKING_FINANCE)
    abn = org("ABN AMRO", "NL", sector=Sector.BANKING_FINANCE)
    exchange = org("CoinHarbour", "MT", sector=Sector.BANKING_FINANCE)
    for organisation in (unit, nl_unit, abn):
        make_agreement(organisation)
    make_agreement(commerz, payment_interception=True)
    make_agreement(exchange, payment_interception=True, interception_ack_hours=2, interception_outcome_hours=48)
    services.institution_register(actor=None, organisation=commerz, kind="bank", bic="COBADEFFXXX")
    services.institution_register(actor=None, organisation=abn, kind="bank", bic="ABNANL2A")
    services.institution_register(actor=None, organisation=exchange, kind="exchange", name="CoinHarbour")
    who = {
        "unit": UserFactory(username="officer", organisation=unit, role=Role.PARTNER_CONTRIBUTOR),
        "unit_reader": UserFactory(username="unit_reader", organisation=unit, role=Role.PARTNER_READER),
        "nl_unit": UserFactory(username="nl_officer", organisation=nl_unit, role=Role.PARTNER_CONTRIBUTOR),
        "commerz": UserFactory(username="commerz", organisation=commerz, role=Role.PARTNER_CONTRIBUTOR),
        "commerz_reader": UserFactory(username="commerz_reader", organisation=commerz, role=Role.PARTNER_READER),
        "abn": UserFactory(username="abn", organisation=abn, role=Role.PARTNER_CONTRIBUTOR),
        "exchange": UserFactory(username="exchange", organisation=exchange, role=Role.PARTNER_CONTRIBUTOR),
        "bystander": people["partner_contributor"],
    }
    return {
        "unit": unit,
        "nl_unit": nl_unit,
        "commerz": commerz,
        "abn": abn,
        "exchange": exchange,
        "who": who,
    }


def raise_body(**changes: Any) -> dict[str, Any]:
    """A valid request of the French unit's BEC case: 48,500 EUR to a Commerzbank account."""
    return {
        "account_kind": "iban",
        "iban": COMMERZBANK_IBAN,
        "amount": "48500.00",
        "currency": "EUR",
        "transferred_at": (timezone.now() - timedelta(hours=3)).isoformat(),
        "victim_bank": "Banque Régionale de Lyon",
        "crime_type": "bec",
        "case_reference": "BF-2026-0142",
        "legal_basis": "Art. 60-1 of the French Code of Criminal Procedure; judicial requisition of 4 May.",
    } | changes
