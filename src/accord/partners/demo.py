"""Demo data of partnerships: applications at every stage, agreements with varied terms.

Every partner of the core demo gets an active data-sharing agreement (national units and
companies with different terms); Kestrel also holds last period's, now expired; Halcyon,
Northwind and Kestrel hold secondment, training and tools agreements; Orion's partnership is
suspended; Sahel Pay's application was approved, so it is in vetting with a draft agreement.
Idempotent: what exists is left alone.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accord.core.choices import ContributionArea as CA
from accord.core.choices import DataCategory as DC
from accord.core.choices import OrganisationKind as K
from accord.core.choices import Purpose as P
from accord.core.choices import Region as R
from accord.core.choices import Role, Tlp
from accord.core.models import Organisation, User
from accord.core.services import organisation_update, person_create
from accord.partners.choices import AgreementKind, ChecklistItem
from accord.partners.models import Agreement, PartnershipApplication
from accord.partners.services import (
    agreement_activate,
    agreement_amend,
    agreement_attach_document,
    agreement_create,
    agreements_sweep,
    application_check,
    application_comment,
    application_submit,
    application_transition,
    organisation_suspend,
)

__all__ = ["load"]


def _signed(agreement: Agreement) -> None:
    """Attach a (demo) signed PDF: a data-sharing agreement is put in force only with one."""
    text = f"{agreement.reference} {agreement.title}: signed by both parties (demo)".replace("(", "").replace(")", "")
    pdf = (
        "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        "2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
        "3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources <</Font <</F1 <</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>>>>>>> endobj\n"
        f"4 0 obj <<>> stream\nBT /F1 12 Tf 50 780 Td ({text}) Tj ET\nendstream endobj\n"
        "trailer <</Root 1 0 R>>\n%%EOF\n"
    ).encode()
    agreement_attach_document(
        actor=None, agreement=agreement, name=f"{agreement.reference}-signed.pdf", stream=io.BytesIO(pdf)
    )


IEP = {
    "encrypt_in_transit": "must",
    "permitted_actions": "internally-visible-actions",
    "affected_party_notifications": "may",
    "iep_tlp": Tlp.AMBER,
    "provider_attribution": "may",
    "unmodified_resale": "must-not",
    "encrypt_at_rest": "must",
    "obfuscate_affected_parties": "may",
    "pap": "green",
}
ALL_REGIONS = list(R.values)
LAW_ENFORCEMENT_TERMS = IEP | {
    "data_categories": list(DC.values),
    "purposes": [P.INVESTIGATION, P.PREVENTION],
    "tlp_ceiling": Tlp.AMBER,
    "default_tlp": Tlp.AMBER,
    "onward_kinds": [K.LAW_ENFORCEMENT, K.INTERNATIONAL_ORG],
    "onward_regions": ALL_REGIONS,
    "onward_redactions": [],
    "retention_days": 1825,
    "permitted_actions": "externally-visible-direct-actions",
}

# short name -> (listed publicly, contribution areas, data-sharing terms)
PROFILES: dict[str, tuple[bool, list[str], dict[str, Any]]] = {
    "KE-NCU": (False, [CA.INFORMATION_SHARING], LAW_ENFORCEMENT_TERMS),
    "BR-FCD": (False, [CA.INFORMATION_SHARING], LAW_ENFORCEMENT_TERMS),
    "JO-CCU": (False, [CA.INFORMATION_SHARING], LAW_ENFORCEMENT_TERMS | {"retention_days": 1095}),
    "Kestrel": (
        True,
        [CA.INFORMATION_SHARING, CA.INTELLIGENCE_ANALYSIS, CA.TRAINING],
        IEP
        | {
            # The BEC sender addresses it shares are personal data: they go onward redacted.
            "data_categories": [DC.TECHNICAL_INDICATOR, DC.MALWARE_SAMPLE, DC.INCIDENT_REPORT, DC.PERSONAL_DATA],
            "purposes": [P.INVESTIGATION, P.PREVENTION, P.RESEARCH],
            "tlp_ceiling": Tlp.AMBER,
            "default_tlp": Tlp.GREEN,
            "onward_kinds": [K.LAW_ENFORCEMENT, K.INTERNATIONAL_ORG, K.PRIVATE, K.ACADEMIA],
            "onward_regions": ALL_REGIONS,
            "onward_redactions": [DC.PERSONAL_DATA],
            "retention_days": 730,
        },
    ),
    "Halcyon": (
        True,
        [CA.INFORMATION_SHARING, CA.SECONDMENT],
        IEP
        | {
            "data_categories": [DC.TECHNICAL_INDICATOR, DC.MALWARE_SAMPLE],
            "purposes": [P.INVESTIGATION, P.PREVENTION],
            "tlp_ceiling": Tlp.GREEN,
            "default_tlp": Tlp.AMBER,
            "onward_kinds": [K.LAW_ENFORCEMENT],
            "onward_regions": [R.ASIA_SOUTH_PACIFIC, R.EUROPE],
            "onward_redactions": [],
            "retention_days": 365,
            "iep_tlp": Tlp.AMBER_STRICT,
        },
    ),
    "Northwind": (
        True,
        [CA.INFORMATION_SHARING, CA.TRAINING],
        IEP
        | {
            "data_categories": [DC.TECHNICAL_INDICATOR, DC.INCIDENT_REPORT],
            "purposes": [P.INVESTIGATION, P.PREVENTION],
            "tlp_ceiling": Tlp.AMBER,
            "default_tlp": Tlp.AMBER,
            "onward_kinds": [K.LAW_ENFORCEMENT, K.INTERNATIONAL_ORG],
            "onward_regions": ALL_REGIONS,
            "onward_redactions": [],
            "retention_days": 365,
            "provider_attribution": "must-not",
        },
    ),
    "Atlas Bank": (
        True,
        [CA.INFORMATION_SHARING],
        IEP
        | {
            "data_categories": [DC.FINANCIAL_IDENTIFIER, DC.PERSONAL_DATA, DC.TECHNICAL_INDICATOR],
            "purposes": [P.INVESTIGATION],
            "tlp_ceiling": Tlp.AMBER,
            "default_tlp": Tlp.AMBER,
            "onward_kinds": [K.LAW_ENFORCEMENT],
            "onward_regions": [R.MENA, R.EUROPE],
            "onward_redactions": [DC.PERSONAL_DATA],
            "retention_days": 1825,
            "affected_party_notifications": "must-not",
            "obfuscate_affected_parties": "must",
        },
    ),
    "Meridional": (
        True,
        [CA.INFORMATION_SHARING],
        IEP
        | {
            "data_categories": [DC.FINANCIAL_IDENTIFIER, DC.PERSONAL_DATA],
            "purposes": [P.INVESTIGATION, P.PREVENTION],
            "tlp_ceiling": Tlp.GREEN,
            "default_tlp": Tlp.AMBER,
            "onward_kinds": [K.LAW_ENFORCEMENT],
            "onward_regions": [R.AMERICAS],
            "onward_redactions": [DC.PERSONAL_DATA, DC.FINANCIAL_IDENTIFIER],
            "retention_days": 1095,
            "affected_party_notifications": "must-not",
        },
    ),
    "Orion": (
        False,
        [CA.INFORMATION_SHARING],
        IEP
        | {
            "data_categories": [DC.TECHNICAL_INDICATOR],
            "purposes": [P.INVESTIGATION],
            "tlp_ceiling": Tlp.GREEN,
            "default_tlp": Tlp.GREEN,
            "onward_kinds": [K.LAW_ENFORCEMENT],
            "onward_regions": [R.EUROPE],
            "onward_redactions": [],
            "retention_days": 365,
        },
    ),
    "CCCF": (
        True,
        [CA.TRAINING, CA.INTELLIGENCE_ANALYSIS],
        IEP
        | {
            "data_categories": [DC.TECHNICAL_INDICATOR, DC.INCIDENT_REPORT],
            "purposes": [P.RESEARCH, P.TRAINING, P.PREVENTION],
            "tlp_ceiling": Tlp.GREEN,
            "default_tlp": Tlp.GREEN,
            "onward_kinds": [K.LAW_ENFORCEMENT, K.ACADEMIA],
            "onward_regions": ALL_REGIONS,
            "onward_redactions": [],
            "retention_days": 1095,
            "permitted_actions": "contact-for-instruction",
        },
    ),
    "PICR": (
        True,
        [CA.INTELLIGENCE_ANALYSIS, CA.INFORMATION_SHARING],
        IEP
        | {
            "data_categories": [DC.TECHNICAL_INDICATOR, DC.MALWARE_SAMPLE],
            "purposes": [P.INVESTIGATION, P.RESEARCH, P.PREVENTION],
            "tlp_ceiling": Tlp.GREEN,
            "default_tlp": Tlp.CLEAR,
            "onward_kinds": list(K.values),
            "onward_regions": ALL_REGIONS,
            "onward_redactions": [],
            "retention_days": 730,
            "pap": "clear",
        },
    ),
}

OTHER_AGREEMENTS = [
    ("Halcyon", AgreementKind.SECONDMENT, "Secondment of two malware analysts to the cyber fusion centre"),
    ("Northwind", AgreementKind.TRAINING_SUPPORT, "Cloud forensics training for African and Asian units"),
    ("Kestrel", AgreementKind.ANALYSIS_TOOLS, "Access to Kestrel's passive DNS and sandbox platform"),
]
# Agreements up for renewal: days until they end (the programme manager's home lists them).
ENDING_SOON = {"Kestrel": 45}

# organisation, kind, sector, country, contact, e-mail, areas, proposal, final stage
APPLICATIONS = [
    (
        "Andes Fintech",
        K.PRIVATE,
        "banking_finance",
        "CO",
        "Camila Restrepo",
        "c.restrepo@andesfintech.example",
        [CA.INFORMATION_SHARING],
        "We see mule accounts and account-takeover fraud across five Andean countries and "
        "could share mule IBANs and wallet addresses weekly.",
        "submitted",
    ),
    (
        "Nordlys Cyber Research Centre",
        K.ACADEMIA,
        "",
        "NO",
        "Ingvild Berg",
        "i.berg@nordlys.example",
        [CA.INTELLIGENCE_ANALYSIS, CA.TRAINING],
        "Our lab studies ransomware payment flows; we offer analysis tooling and a summer school for investigators.",
        "screening",
    ),
    (
        "Baltic Digital Forensics Institute",
        K.ACADEMIA,
        "",
        "EE",
        "Marek Tamm",
        "m.tamm@bdfi.example",
        [CA.TRAINING, CA.SECONDMENT],
        "We train digital forensics examiners and could second two lecturers for six months.",
        "due_diligence",
    ),
    (
        "Sahel Pay",
        K.PRIVATE,
        "banking_finance",
        "SN",
        "Moussa Sow",
        "m.sow@sahelpay.example",
        [CA.INFORMATION_SHARING],
        "Mobile money provider in six West African countries; we can share fraud "
        "indicators from SIM-swap and romance-scam cases.",
        "approved",
    ),
    (
        "QuickCash Loans Ltd",
        K.PRIVATE,
        "banking_finance",
        "CY",
        "Alex Petrou",
        "a.petrou@quickcash.example",
        [CA.INFORMATION_SHARING, CA.OTHER],
        "We would like access to fraud intelligence for our lending decisions.",
        "declined",
    ),
]
STAGES = ["submitted", "screening", "due_diligence", "approved"]


def _applications() -> None:
    for name, kind, sector, country, contact, email, areas, proposal, stage in APPLICATIONS:
        if PartnershipApplication.objects.filter(organisation_name=name).exists():
            continue
        application = application_submit(
            organisation_name=name,
            kind=kind,
            sector=sector,
            country=country,
            contact_name=contact,
            contact_email=email,
            contribution_areas=[str(area) for area in areas],
            proposal=proposal,
            listed_publicly=True,
            website=f"https://{email.split('@')[1]}",
        )
        if stage == "declined":
            application_transition(actor=None, application=application, to="screening")
            application_check(
                actor=None,
                application=application,
                item=ChecklistItem.SANCTIONS_SCREENING,
                done=False,
                note="Match on a consolidated sanctions list (director).",
            )
            application_transition(
                actor=None,
                application=application,
                to="declined",
                reason="Sanctions screening returned a match on a director; the programme cannot enter a partnership.",
            )
            continue
        targets = STAGES[1 : STAGES.index(stage) + 1]
        items = list(ChecklistItem)
        for target in targets:
            if target == "approved":
                for item in items:
                    application_check(actor=None, application=application, item=item, done=True)
                application_transition(
                    actor=None,
                    application=application,
                    to="approved",
                    reason="Vetting complete; a data-sharing agreement is being drafted.",
                )
            else:
                application_transition(actor=None, application=application, to=target)
        if stage == "due_diligence":
            for item in items[:3]:
                application_check(actor=None, application=application, item=item, done=True)
            manager = User.objects.filter(role=Role.PROGRAMME_MANAGER).first()
            if manager is not None:
                application_comment(
                    actor=manager,
                    application=application,
                    body="Legal review pending: the secondment would need an amendment to "
                    "their university's employment terms.",
                )


def load() -> list[Any]:
    now = timezone.now()
    by_short = {o.short_name: o for o in Organisation.objects.filter(is_host=False)}
    for n, (short, (listed, areas, terms)) in enumerate(PROFILES.items()):
        organisation = by_short.get(short)
        if organisation is None or organisation.agreements.filter(kind=AgreementKind.DATA_SHARING).exists():
            continue
        organisation_update(actor=None, organisation=organisation, listed_publicly=listed, contribution_areas=areas)
        if short == "Kestrel":  # last period's agreement, now expired
            old = agreement_create(
                actor=None,
                organisation=organisation,
                kind=AgreementKind.DATA_SHARING,
                title="Data sharing 2024-2026",
                valid_from=now - timedelta(days=700),
                valid_until=now + timedelta(days=1),
                terms=terms,
            )
            _signed(old)
            agreement_activate(actor=None, agreement=old)
            agreement_amend(
                actor=None,
                agreement=old,
                valid_until=now - timedelta(days=60),
                change_note="Shortened: replaced by the new agreement.",
            )
            agreements_sweep(now=now)
        current = agreement_create(
            actor=None,
            organisation=organisation,
            kind=AgreementKind.DATA_SHARING,
            title=f"Data sharing with {organisation.short_name}",
            valid_from=now - timedelta(days=30 + 20 * n),
            valid_until=now + timedelta(days=365 + 30 * n),
            terms=terms,
        )
        _signed(current)
        agreement_activate(actor=None, agreement=current, reason="Signed by both parties.")
        if short == "Orion":
            organisation_suspend(
                actor=None,
                organisation=organisation,
                reason="Shared customer data outside the agreement's purposes; under review.",
            )
    for short, kind, title in OTHER_AGREEMENTS:
        organisation = by_short.get(short)
        if organisation is None or organisation.agreements.filter(kind=kind).exists():
            continue
        agreement = agreement_create(
            actor=None,
            organisation=organisation,
            kind=kind,
            title=title,
            valid_from=now - timedelta(days=10),
            valid_until=now + timedelta(days=ENDING_SOON.get(short, 540)),
        )
        _signed(agreement)
        agreement_activate(actor=None, agreement=agreement)
    _applications()
    sahel = Organisation.objects.filter(name="Sahel Pay").first()
    if sahel is not None and not sahel.agreements.exists():
        agreement_create(
            actor=None,
            organisation=sahel,
            kind=AgreementKind.DATA_SHARING,
            title="Data sharing with Sahel Pay (draft)",
            valid_from=now + timedelta(days=14),
            valid_until=now + timedelta(days=744),
            terms=PROFILES["Atlas Bank"][2],
        )
        if not User.objects.filter(username="a.diop").exists():
            person_create(
                actor=None,
                organisation=sahel,
                username="a.diop",
                email="a.diop@sahelpay.example",
                role=Role.PARTNER_READER,
                first_name="Awa",
                last_name="Diop",
                job_title="Compliance officer",
                password=_demo_password(),
            )
    return []


def _demo_password() -> str:
    from accord.core.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
