"""Demo data of sharing: submissions from several partners in every format, with values that
recur across partners (a mule account, a phishing domain, a C2 address) for the analysts; and a
partner whose agreement was suspended for an audit and reactivated, so that its TAXII pollers
have withdrawals and late arrivals to read; and Kestrel's acts after ingest: its AMBER phishing
back end addressed to Atlas Bank (the bank it targets), its BEC sender revoked by mistake and
restored.

Idempotent: the same bytes under the same agreement are the same submission.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
from django.utils import timezone

from accord.core.models import AuditEvent, Organisation, User
from accord.formats.markings import TLP2_IDS
from accord.partners.choices import AgreementKind
from accord.partners.services import agreement_activate, agreement_suspend
from accord.sharing.models import Arrival
from accord.sharing.services import (
    object_address,
    object_restore,
    object_revoke,
    submission_create,
    submission_process,
)

__all__ = ["load"]

STAMP = "2026-10-12T08:30:00.000Z"
MULE_IBAN = "GB33BUKB20201555555555"
PHISHING_DOMAIN = "secure-login-atlasbank.com"
C2 = "194.147.78.23"
WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _indicator_id(n: int) -> str:
    return f"indicator--7a1c0e52-3b9d-4f0a-9c1e-{n:012d}"


def _indicator(n: int, pattern: str, name: str, tlp: str, crime: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _indicator_id(n),
        "created": STAMP,
        "modified": STAMP,
        "valid_from": STAMP,
        "pattern_type": "stix",
        "pattern": pattern,
        "name": name,
        "labels": [crime],
        "object_marking_refs": [TLP2_IDS[tlp], KESTREL_STATEMENT["id"]],
        **extra,
    }


# A statement marking (STIX 2.1 §7.2.1.3) Kestrel puts on what it shares: kept apart from shared
# data and carried with the objects that refer to it.
KESTREL_STATEMENT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--5b0f1e2a-7c4d-4e8f-9a1b-3c2d4e5f6a70",
    "created": "2026-01-01T00:00:00.000Z",
    "definition_type": "statement",
    "definition": {"statement": "Copyright 2026, Kestrel Threat Labs. Shared for law-enforcement use."},
}


def _kestrel() -> bytes:
    objects = [
        KESTREL_STATEMENT,
        _indicator(
            1,
            f"[domain-name:value = '{PHISHING_DOMAIN}']",
            "Bank credential phishing",
            "green",
            "phishing",
            description="Reported by a customer bank's mail gateway; the bank asked not to be named.",
            # The object is GREEN, its description AMBER (STIX 2.1 §7.2.3): withheld from
            # partners who may not receive AMBER.
            granular_markings=[{"marking_ref": TLP2_IDS["amber"], "selectors": ["description"]}],
        ),
        _indicator(2, f"[ipv4-addr:value = '{C2}']", "Phishing kit back end", "amber", "phishing"),
        _indicator(
            3,
            "[url:value = 'https://secure-login-atlasbank.com/auth/verify.php']",
            "Phishing landing page",
            "green",
            "phishing",
        ),
        _indicator(
            4,
            "[file:hashes.'SHA-256' = '3f4a6c2e9b1d8f7a5c3e1b9d7f5a3c1e9b7d5f3a1c9e7b5d3f1a9c7e5b3d1f9a']",
            "Cryptojacking miner",
            "amber",
            "cryptojacking",
        ),
        _indicator(
            5,
            "[domain-name:value = 'pool.xmr-fastmine.net']",
            "Mining pool of the miner",
            "green",
            "cryptojacking",
        ),
        _indicator(
            6,
            "[email-addr:value = 'ceo-office@atlas-bank-group.org']",
            "BEC sender impersonating a CEO",
            "amber",
            "bec",
        ),
    ]
    return orjson.dumps({"type": "bundle", "id": "bundle--2f6f1c6e-8d7b-4d35-9f0e-6a0c2b1d9e41", "objects": objects})


def _atlas() -> bytes:
    event = {
        "Event": {
            "uuid": "c8f6a9d2-4e1b-4a7c-8d3f-5b2e1a9c7d60",
            "info": "Romance scam: mule accounts and wallets",
            "date": "2026-10-10",
            "threat_level_id": "2",
            "analysis": "2",
            "distribution": "1",
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": [
                {
                    "uuid": "c8f6a9d2-4e1b-4a7c-8d3f-5b2e1a9c7d61",
                    "type": "iban",
                    "category": "Financial fraud",
                    "value": MULE_IBAN,
                    "comment": "Receives victims' transfers, emptied within hours",
                },
                {
                    "uuid": "c8f6a9d2-4e1b-4a7c-8d3f-5b2e1a9c7d62",
                    "type": "btc",
                    "category": "Financial fraud",
                    "value": WALLET,
                    "comment": "Cash-out wallet",
                },
                {
                    "uuid": "c8f6a9d2-4e1b-4a7c-8d3f-5b2e1a9c7d63",
                    "type": "domain",
                    "category": "Network activity",
                    "value": PHISHING_DOMAIN,
                    "Tag": [{"name": "tlp:green"}],
                },
            ],
            "Object": [
                {
                    "name": "bank-account",
                    "meta-category": "financial",
                    "uuid": "c8f6a9d2-4e1b-4a7c-8d3f-5b2e1a9c7d64",
                    "Attribute": [
                        {
                            "type": "iban",
                            "object_relation": "iban",
                            "category": "Financial fraud",
                            "value": "DE89370400440532013000",
                        },
                        {
                            "type": "bic",
                            "object_relation": "swift",
                            "category": "Financial fraud",
                            "value": "COBADEFFXXX",
                        },
                    ],
                }
            ],
        }
    }
    return orjson.dumps(event)


def _northwind() -> bytes:
    return (
        "type,value,tlp,first_seen,description,crime_type\n"
        f"domain,{PHISHING_DOMAIN},green,2026-10-09,Hosted on our cloud; taken down,phishing\n"
        "url,https://invoice-portal-payments.com/pay,green,2026-10-11,Fake invoice portal,bec\n"
        f"ipv4,{C2},amber,2026-10-08,Tenant used as phishing back end,phishing\n"
        "ipv4,203.0.113.45,green,2026-10-07,Brute force against tenants,other\n"
    ).encode()


def _kenya() -> bytes:
    return (
        "Operation summary, Nairobi, October 2026.\n\n"
        "Victims of a romance scam were told to pay a 'customs fee' into the account "
        f"{MULE_IBAN[:4]} {MULE_IBAN[4:8]} {MULE_IBAN[8:12]} {MULE_IBAN[12:16]} {MULE_IBAN[16:20]} {MULE_IBAN[20:]}. "
        "The suspects' phone line, +254 20 2222222, was used to coach victims. "
        f"Funds were then moved to the wallet {WALLET}. "
        "The fake dating profile linked to hxxps://love-match-africa[.]com/profile/442.\n"
    ).encode()


def _picr() -> bytes:
    """A research institute's findings, open to every kind of partner (its agreement allows it):
    two of its values are Kestrel's too, so Kestrel's home shows what its data correlated with."""
    stamp = "2026-11-20T10:00:00.000Z"
    observed = [
        (1, f"[domain-name:value = '{PHISHING_DOMAIN}']", "Phishing domain in our honeypot mail", "phishing"),
        (2, f"[ipv4-addr:value = '{C2}']", "Scanner and phishing back end", "phishing"),
        (3, "[domain-name:value = 'parcel-redelivery-au.com']", "Parcel redelivery smishing", "phishing"),
        (4, "[ipv4-addr:value = '45.148.10.77']", "Botnet controller seen from our sensors", "botnet"),
    ]
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--3f6e2d10-8a4b-4c7e-9d21-{n:012d}",
            "created": stamp,
            "modified": stamp,
            "valid_from": stamp,
            "pattern_type": "stix",
            "pattern": pattern,
            "name": name,
            "labels": [crime],
            "object_marking_refs": [TLP2_IDS["green"]],
        }
        for n, pattern, name, crime in observed
    ]
    return orjson.dumps({"type": "bundle", "id": "bundle--3f6e2d10-8a4b-4c7e-9d21-000000000000", "objects": objects})


SUBMISSIONS = [
    ("Kestrel", "kestrel-phishing-oct.json", _kestrel),
    ("Atlas Bank", "atlas-romance-mules.json", _atlas),
    ("Northwind", "northwind-abuse.csv", _northwind),
    ("KE-NCU", "nairobi-operation-summary.txt", _kenya),
    ("PICR", "picr-honeypot-findings.json", _picr),
]


def _audited(short: str) -> None:
    """``short``'s agreement was suspended for an audit and reactivated once it passed: what the
    organisation could receive was withdrawn from it and came back, so its TAXII pollers learn
    of both (``…/withdrawn/``, and late arrivals dated at the reactivation: docs/taxii.md)."""
    organisation = Organisation.objects.filter(short_name=short, status="active").first()
    if organisation is None or Arrival.objects.filter(organisation=organisation).exists():
        return
    agreement = organisation.agreements.in_force(timezone.now()).filter(kind=AgreementKind.DATA_SHARING).first()
    if agreement is None:
        return
    agreement_suspend(actor=None, agreement=agreement, reason="Annual audit of the data-handling terms.")
    agreement_activate(actor=None, agreement=agreement, reason="Audit passed.")


def load() -> list[Any]:
    for short, filename, build in SUBMISSIONS:
        organisation = Organisation.objects.filter(short_name=short, status="active").first()
        if organisation is None:
            continue
        submission, created = submission_create(
            actor=None, organisation=organisation, stream=io.BytesIO(build()), filename=filename
        )
        if created:
            submission_process(submission_id=submission.pk)
    _audited("Atlas Bank")
    _kestrel_afterwards()
    return []


def _kestrel_afterwards() -> None:
    """Kestrel addresses its AMBER phishing back end to the bank the kit imitates (a bank
    receives AMBER only when addressed), and revokes its BEC sender by mistake, then restores
    it: each reaches TAXII pollers as a late arrival (or a withdrawal, then an arrival)."""
    contributor = User.objects.filter(organisation__short_name="Kestrel", role="partner_contributor").first()
    bank = Organisation.objects.filter(short_name="Atlas Bank", status="active").first()
    if contributor is None or bank is None:
        return
    back_end, bec = _indicator_id(2), _indicator_id(6)
    object_address(actor=contributor, stix_id=back_end, organisations=[bank])  # again: adds nobody
    if not AuditEvent.objects.filter(action="object.restore", object_id=bec).exists():
        object_revoke(actor=contributor, stix_id=bec, reason="Sent to the wrong feed.")
        object_restore(actor=contributor, stix_id=bec, reason="It was the right feed after all.")
