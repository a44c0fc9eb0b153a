"""Accord's STIX 2.1 extensions (STIX 2.1 §7.3): what Accord adds to STIX, declared so that
standard tools read it with their default settings.

- ``HANDLING_EXTENSION`` (a ``property-extension``): handling conditions that travel with shared
  data, on the marking definition of each source agreement and on each exported object;
- ``PROPERTIES_EXTENSION`` (a ``toplevel-property-extension``): the ``x_accord_*`` properties
  objects carry at their top level (data category, crime type, credibility, data subject …),
  which partners send and Accord keeps;
- ``NEW_SCO_EXTENSIONS`` (``new-sco``): Accord's own cyber-observable types, bank accounts,
  crypto wallets and phone numbers.

Every object that leaves Accord as STIX (exports, TAXII) names in its ``extensions`` each of
these it uses (:func:`declare`); without that, ``stix2.parse`` refuses it ("Unexpected
properties") and ``stix2-validator`` warns. Exports carry the definitions themselves
(:func:`definitions`). The ids are fixed, so consumers recognise them from one file to the next.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACCORD_PROPERTIES",
    "HANDLING_EXTENSION",
    "NEW_SCO_EXTENSIONS",
    "PROPERTIES_EXTENSION",
    "declare",
    "definitions",
]

HANDLING_EXTENSION = "extension-definition--3c9e6a02-6a0e-5d6a-9a4e-61c8a7e1d0b1"
PROPERTIES_EXTENSION = "extension-definition--7083375a-7d1f-4947-815c-d9d60568bf69"
NEW_SCO_EXTENSIONS: dict[str, str] = {
    "x-accord-bank-account": "extension-definition--127fda69-ddba-4171-b845-8a01299c5a95",
    "x-accord-crypto-wallet": "extension-definition--c59c090d-1d1a-4496-9ccc-cf2a2ddec105",
    "x-accord-phone-number": "extension-definition--ee2e73ab-7713-467d-9919-0d2f688c1b94",
}

# The top-level properties Accord reads on ingest and keeps (docs/sharing.md).
ACCORD_PROPERTIES = (
    "x_accord_data_category",
    "x_accord_crime_type",
    "x_accord_credibility",
    "x_accord_data_subject",
    "x_accord_nature",
    "x_accord_personal_data",
    "x_accord_account_holder",
)
_PREFIX = "x_accord_"
_TOPLEVEL = {"extension_type": "toplevel-property-extension"}
_NEW_SCO = {"extension_type": "new-sco"}
_STAMP = "2026-01-01T00:00:00.000Z"

_SCO_SCHEMAS = {
    "x-accord-bank-account": (
        "Accord bank account",
        "A bank account used in fraud (money mules, business e-mail compromise).",
        "Properties: iban (string, ISO 13616, the account's identifier), bic (string, ISO 9362). "
        "id: x-accord-bank-account--<UUIDv5 of the iban>.",
    ),
    "x-accord-crypto-wallet": (
        "Accord crypto wallet",
        "A cryptocurrency address used in crime (ransom, scams, laundering).",
        "Properties: currency (string: btc, eth or xmr), address (string, the address as the "
        "currency writes it: base58check or bech32 for btc, EIP-55 for eth).",
    ),
    "x-accord-phone-number": (
        "Accord phone number",
        "A telephone number used in crime (vishing, smishing, scams).",
        "Properties: number (string, E.164, e.g. +442079460958).",
    ),
}


def declare(body: dict[str, Any]) -> bool:
    """Name in ``body``'s ``extensions`` each Accord extension it uses: the top-level property
    extension when it carries an ``x_accord_*`` property, the new-SCO extension of an Accord
    cyber-observable type. Changes ``body`` in place; whether anything was added."""
    wanted: dict[str, dict[str, str]] = {}
    if any(key.startswith(_PREFIX) for key in body):
        wanted[PROPERTIES_EXTENSION] = _TOPLEVEL
    new_sco = NEW_SCO_EXTENSIONS.get(str(body.get("type", "")))
    if new_sco is not None:
        wanted[new_sco] = _NEW_SCO
    if not wanted:
        return False
    extensions = body.get("extensions")
    if extensions is None:
        body["extensions"] = dict(wanted)
        return True
    if not isinstance(extensions, dict):
        return False  # not STIX to begin with: left as the sender wrote it
    missing = {key: value for key, value in wanted.items() if key not in extensions}
    if not missing:
        return False
    body["extensions"] = extensions | missing
    return True


def _definition(ext_id: str, creator: str, name: str, description: str, schema: str, **kind: Any) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ext_id,
        "created_by_ref": creator,
        "created": _STAMP,
        "modified": _STAMP,
        "name": name,
        "description": description,
        "schema": schema,
        "version": "1.0.0",
        **kind,
    }


def definitions(creator: str) -> list[dict[str, Any]]:
    """The extension-definition objects of every Accord extension, created by ``creator`` (an
    identity id: the hosting organisation's)."""
    found = [
        _definition(
            HANDLING_EXTENSION,
            creator,
            "Accord handling conditions",
            "Handling conditions that travel with shared data. On a marking definition: the FIRST "
            "IEP 2.0 policy of the source's agreement (iep: encrypt_in_transit, permitted_actions, "
            "affected_party_notifications, tlp, provider_attribution, unmodified_resale, start_date, "
            "end_date) and its local terms (encrypt_at_rest, obfuscate_affected_parties, purposes, "
            "retention_days, pap). On an object: purpose, data_category, retain_until, "
            "source_reliability, information_credibility, crime_type, data_subject and nature "
            "(personal data).",
            "Plain text: see the description. Values follow FIRST IEP 2.0 and the EU Directive "
            "2016/680 vocabularies documented in Accord's docs/exports.md.",
            extension_types=["property-extension"],
        ),
        _definition(
            PROPERTIES_EXTENSION,
            creator,
            "Accord properties",
            "Properties partners set at the top level of the objects they share with Accord: "
            "x_accord_data_category (technical_indicator, financial_identifier, personal_data, "
            "malware_sample, incident_report), x_accord_crime_type (e.g. phishing, bec), "
            "x_accord_credibility (information credibility 1-4), x_accord_data_subject (suspect, "
            "victim, witness, other) and x_accord_nature (fact, assessment) for personal data, "
            "x_accord_personal_data and x_accord_account_holder (free text).",
            "Plain text: see the description and Accord's docs/sharing.md.",
            extension_types=["toplevel-property-extension"],
            extension_properties=list(ACCORD_PROPERTIES),
        ),
    ]
    for sco_type, ext_id in NEW_SCO_EXTENSIONS.items():
        name, description, schema = _SCO_SCHEMAS[sco_type]
        found.append(
            _definition(ext_id, creator, f"{name} ({sco_type})", description, schema, extension_types=["new-sco"])
        )
    return found
