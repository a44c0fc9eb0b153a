"""The terms an agreement version carries and its validity window: how they are checked,
snapshotted for the audit trail, and kept from overlapping another active data-sharing agreement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.core.audit import audit_record
from accord.core.choices import DataCategory, OrganisationKind, Purpose, Region, Tlp
from accord.core.errors import ValidationFailed
from accord.core.guards import all_of, invalid, one_of
from accord.core.models import Organisation
from accord.partners.choices import (
    AffectedPartyNotifications,
    AgreementKind,
    EncryptAtRest,
    EncryptInTransit,
    ObfuscateAffectedParties,
    Pap,
    PermittedActions,
    ProviderAttribution,
    UnmodifiedResale,
)
from accord.partners.models import Agreement, AgreementVersion

__all__ = [
    "DATA_SHARING_LISTS",
    "INTERCEPTION_TERMS",
    "DATA_SHARING_TERMS",
    "TERM_FIELDS",
]


# The data-sharing terms an agreement version carries, with how each is checked.
DATA_SHARING_TERMS: dict[str, Any] = {
    "encrypt_in_transit": EncryptInTransit,
    "permitted_actions": PermittedActions,
    "affected_party_notifications": AffectedPartyNotifications,
    "iep_tlp": Tlp,
    "provider_attribution": ProviderAttribution,
    "unmodified_resale": UnmodifiedResale,
    "encrypt_at_rest": EncryptAtRest,
    "obfuscate_affected_parties": ObfuscateAffectedParties,
    "tlp_ceiling": Tlp,
    "default_tlp": Tlp,
    "pap": Pap,
}
DATA_SHARING_LISTS: dict[str, Any] = {
    "data_categories": (DataCategory, True),
    "purposes": (Purpose, True),
    "onward_kinds": (OrganisationKind, False),
    "onward_regions": (Region, False),
    "onward_redactions": (DataCategory, False),
}
# Optional terms of a data-sharing agreement: whether the partner takes payment-interception
# requests (docs/interceptions.md) and its deadlines in hours (empty: the programme's defaults).
INTERCEPTION_HOURS = {"interception_ack_hours": 168, "interception_outcome_hours": 720}
INTERCEPTION_TERMS = ("payment_interception", *INTERCEPTION_HOURS)
TERM_FIELDS = (*DATA_SHARING_TERMS, *DATA_SHARING_LISTS, "retention_days", *INTERCEPTION_TERMS)


def _clean_terms(kind: str, terms: dict[str, Any]) -> dict[str, Any]:
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], "is not a term of an agreement.", f"Terms: {', '.join(TERM_FIELDS)}.")
    if kind != AgreementKind.DATA_SHARING:
        if terms:
            raise invalid(sorted(terms)[0], f"only data-sharing agreements carry sharing terms, not {kind}.")
        return {}
    clean: dict[str, Any] = {}
    for field, choices in DATA_SHARING_TERMS.items():
        value = terms.get(field, "")
        if value in ("", None):
            raise invalid(field, "is required for a data-sharing agreement.", f"One of: {', '.join(choices.values)}.")
        one_of(field, value, choices)
        clean[field] = value
    for field, (choices, required) in DATA_SHARING_LISTS.items():
        clean[field] = all_of(field, terms.get(field, []), choices, required=required)
    retention = terms.get("retention_days")
    if not isinstance(retention, int) or isinstance(retention, bool) or not 1 <= retention <= 36500:
        raise invalid("retention_days", f"'{retention}' is not a number of days from 1 to 36500.", "1 to 36500.")
    clean["retention_days"] = retention
    return clean | _clean_interception(terms)


def _clean_interception(terms: dict[str, Any]) -> dict[str, Any]:
    """The payment-interception terms: a yes/no and two optional deadlines in whole hours."""
    covers = terms.get("payment_interception", False)
    if covers in (None, ""):
        covers = False
    if not isinstance(covers, bool):
        raise invalid("payment_interception", f"'{covers}' is not true or false.", "true or false.")
    clean: dict[str, Any] = {"payment_interception": covers}
    for field, most in INTERCEPTION_HOURS.items():
        hours = terms.get(field)
        if hours in (None, ""):
            clean[field] = None
            continue
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= most:
            raise invalid(field, f"'{hours}' is not a number of hours from 1 to {most}.", f"1 to {most}, or empty.")
        clean[field] = hours
    return clean


def _check_window(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from is None:
        raise invalid("valid_from", "an agreement needs a start.", "An ISO 8601 date-time.")
    if valid_until is not None and valid_until <= valid_from:
        raise invalid("valid_until", "the end must come after the start.", "Later than valid_from.")


def _terms_snapshot(version: AgreementVersion) -> dict[str, Any]:
    snapshot = {field: getattr(version, field) for field in TERM_FIELDS}
    snapshot["valid_from"] = version.valid_from.isoformat()
    snapshot["valid_until"] = version.valid_until.isoformat() if version.valid_until else None
    snapshot["version"] = version.number
    return snapshot


def _check_no_overlap(agreement: Agreement, version: AgreementVersion) -> None:
    """Refuse two active data-sharing agreements with overlapping windows for one partner.

    The organisation row is locked first, so two activations for one partner take turns.
    """
    if agreement.kind != AgreementKind.DATA_SHARING:
        return
    Organisation.objects.select_for_update().filter(pk=agreement.organisation_id).first()
    others = (
        Agreement.objects.active()
        .filter(organisation=agreement.organisation, kind=AgreementKind.DATA_SHARING)
        .exclude(pk=agreement.pk)
        .select_related("current_version")
    )
    for other in others:
        theirs = other.current_version
        if theirs is None:
            continue
        starts_before_they_end = theirs.valid_until is None or version.valid_from < theirs.valid_until
        ends_after_they_start = version.valid_until is None or version.valid_until > theirs.valid_from
        if starts_before_they_end and ends_after_they_start:
            raise ValidationFailed(
                f"valid_from: {agreement.organisation.name} already holds the active data-sharing agreement "
                f"{other.reference} for an overlapping period; end or amend it first.",
                details={"valid_from": [f"Overlaps {other.reference}."]},
                code="overlapping_agreement",
            )


def _first_version(agreement: Agreement, *, actor: Any, kind: str, **fields: Any) -> AgreementVersion:
    """Version 1 of a new agreement, made current, and the ``agreement.create`` event naming its
    terms (``kind`` as the event says it)."""
    version = AgreementVersion.objects.create(agreement=agreement, number=1, created_by=actor, **fields)
    agreement.current_version = version
    agreement.save(update_fields=["current_version"])
    audit_record(
        actor=actor,
        action="agreement.create",
        obj=agreement,
        organisation=agreement.organisation,
        details={"reference": agreement.reference, "kind": kind, "terms": _terms_snapshot(version)},
    )
    return version
