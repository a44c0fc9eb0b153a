"""Every change to joint operations: participants, phases, linked intelligence, outcomes and
their TAXII collection.

Keyword-only, atomic, role-checked, audited. API, UI, CLI and the demo call these.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from accord.analysis.models import Campaign
from accord.analysis.selectors import campaign_get
from accord.core import guards
from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind, OrganisationStatus
from accord.core.errors import Forbidden, NotFound
from accord.core.guards import all_of, invalid, one_of
from accord.core.models import Organisation, User
from accord.core.roles import Perm, has_perm
from accord.operations.choices import OPERATION_WORKFLOW, OUTCOME_COUNTS, OUTCOME_FUNDS, CrimeType, OperationStatus
from accord.operations.models import Operation, OperationCampaign, OperationObject, OperationOutcome, OperationPhase
from accord.policy import Action, principal_context, visible
from accord.sharing.models import StixObject
from accord.taxii.choices import CollectionKind
from accord.taxii.services import collection_create

__all__ = [
    "operation_campaigns_follow_merge",
    "operation_create",
    "operation_link_campaign",
    "operation_link_object",
    "operation_phase_add",
    "operation_record_outcome",
    "operation_set_participants",
    "operation_transition",
    "operation_unlink_campaign",
    "operation_unlink_object",
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")

# The audit names operations were recorded under while they lived in governance; kept so one
# operation's history reads as one (the audit chain is append-only: old events cannot be renamed).
AUDIT_OBJECT_TYPE = "governance.operation"


def _manage(actor: User | None) -> None:
    """Operations are run by those who manage governance (the permission they had there)."""
    guards.require(actor, Perm.GOVERNANCE_MANAGE)


def _audit(actor: User | None, action: str, obj: Operation, **details: Any) -> None:
    audit_record(actor=actor, action=f"governance.{action}", obj=obj, object_type=AUDIT_OBJECT_TYPE, details=details)


def _sync_collection(operation: Operation) -> None:
    """The operation's TAXII collection: its linked objects and the members of its linked
    campaigns (resolved when read, so it follows the campaigns), read by its participants only."""
    collection = collection_create(
        kind=CollectionKind.OPERATION,
        alias=f"operation-{operation.codename}",
        title=f"Operation {operation.name}",
        description=f"Intelligence linked to operation {operation.name}, for its participants, "
        "as far as each source's agreement allows.",
        spec={
            "stix_id": sorted(operation.object_links.values_list("stix_id", flat=True)),
            "campaign": sorted(operation.campaign_links.values_list("campaign_id", flat=True)),
        },
        readers=list(operation.participants.all()),
    )
    if operation.collection_id != collection.pk:
        operation.collection = collection
        operation.save(update_fields=["collection"])


def _participants(lead: Organisation, participants: list[Organisation]) -> list[Organisation]:
    found = {o.pk: o for o in participants} | {lead.pk: lead}
    for organisation in found.values():
        if organisation.status != OrganisationStatus.ACTIVE:
            raise invalid(
                "participants",
                f"{organisation.name} is {organisation.status}; only active organisations take part.",
                "Active member-country units and partners.",
            )
    return list(found.values())


@transaction.atomic
def operation_create(
    *,
    actor: User | None,
    name: str,
    crime_types: list[str],
    lead: Organisation,
    start_date: date,
    participants: list[Organisation] | None = None,
    end_date: date | None = None,
    description: str = "",
    codename: str = "",
) -> Operation:
    """Plan a joint operation: the lead (a law-enforcement unit or the host) takes part, with
    the member-country units and partners named; it gets its own TAXII collection."""
    _manage(actor)
    name = guards.required_text("name", name)
    types = all_of("crime_types", crime_types, CrimeType)
    if lead.kind not in (OrganisationKind.LAW_ENFORCEMENT, OrganisationKind.INTERNATIONAL_ORG):
        raise invalid("lead", "a law-enforcement unit or the host leads an operation.", "A law-enforcement unit.")
    if end_date is not None and end_date < start_date:
        raise invalid("end_date", "the operation ends before it starts.", "On or after start_date.")
    codename = slugify(codename or name)[:60]
    if Operation.objects.filter(name__iexact=name).exists() or Operation.objects.filter(codename=codename).exists():
        raise invalid("name", f"an operation named {name} exists.", "A new name.")
    members = _participants(lead, participants or [])
    operation = Operation.objects.create(
        name=name,
        codename=codename,
        description=description,
        crime_types=types,
        lead=lead,
        start_date=start_date,
        end_date=end_date,
    )
    operation.participants.set(members)
    _sync_collection(operation)
    _audit(actor, "operation.create", operation, name=name, lead=lead.pk, participants=sorted(o.pk for o in members))
    return operation


@transaction.atomic
def operation_set_participants(
    *, actor: User | None, operation: Operation, participants: list[Organisation]
) -> Operation:
    """Change who takes part (the lead always does); the TAXII collection follows."""
    _manage(actor)
    if operation.status == OperationStatus.CLOSED:
        raise invalid("status", "the operation is closed.")
    members = _participants(operation.lead, participants)
    operation.participants.set(members)
    _sync_collection(operation)
    _audit(actor, "operation.participants", operation, participants=sorted(o.pk for o in members))
    return operation


@transaction.atomic
def operation_transition(*, actor: User | None, operation: Operation, to: str, closing_summary: str = "") -> Operation:
    """``planning → active → closed``; closing needs a summary for the closing report and
    sets the end date when none was given."""
    _manage(actor)
    one_of("to", to, OperationStatus)
    operation = Operation.objects.select_for_update().get(pk=operation.pk)
    OPERATION_WORKFLOW.check(operation.status, to)
    update = ["status"]
    if to == OperationStatus.CLOSED:
        operation.closing_summary = guards.required_text("closing_summary", closing_summary)
        update.append("closing_summary")
        if operation.end_date is None:
            operation.end_date = max(timezone.localdate(), operation.start_date)
            update.append("end_date")
    OPERATION_WORKFLOW.record(
        actor=actor,
        obj=operation,
        to=to,
        action="governance.operation.transition",
        details={"status_from": operation.status, "to": to},
        update_fields=update,
        object_type=AUDIT_OBJECT_TYPE,
    )
    return operation


@transaction.atomic
def operation_phase_add(
    *, actor: User | None, operation: Operation, name: str, start_date: date, end_date: date, description: str = ""
) -> OperationPhase:
    """Add a phase within the operation's period."""
    _manage(actor)
    if end_date < start_date:
        raise invalid("end_date", "the phase ends before it starts.", "On or after start_date.")
    if start_date < operation.start_date or (operation.end_date is not None and end_date > operation.end_date):
        raise invalid("start_date", "a phase lies within the operation's period.", "Dates within the operation.")
    phase = OperationPhase.objects.create(
        operation=operation,
        name=guards.required_text("name", name),
        start_date=start_date,
        end_date=end_date,
        description=description,
    )
    _audit(actor, "operation.phase", operation, phase=phase.name, start_date=start_date, end_date=end_date)
    return phase


def _may_link(actor: User | None) -> None:
    if not (has_perm(actor, Perm.GOVERNANCE_MANAGE) or has_perm(actor, Perm.ANALYSIS_WORK)):
        raise Forbidden("Your role does not allow this (governance.manage or analysis.work).")


@transaction.atomic
def operation_link_object(*, actor: User, operation: Operation, stix_id: str, note: str = "") -> OperationObject:
    """Link a shared STIX object to the operation. The person linking must be allowed to see it
    (:mod:`accord.policy`); a missing object and a hidden one are refused alike."""
    _may_link(actor)
    if operation.status == OperationStatus.CLOSED:
        raise invalid("status", "the operation is closed.")
    stix_id = stix_id.strip()
    if not visible(principal_context(actor), StixObject.objects.filter(stix_id=stix_id), Action.VIEW).exists():
        raise invalid(
            "stix_id",
            f"no object {stix_id} that you may see: an operation links only intelligence its author may see.",
            "The id of a shared object you may see.",
        )
    if operation.object_links.filter(stix_id=stix_id).exists():
        raise invalid("stix_id", f"{stix_id} is already linked to this operation.")
    link = OperationObject.objects.create(operation=operation, stix_id=stix_id, note=note, linked_by=actor)
    _sync_collection(operation)
    _audit(actor, "operation.link", operation, stix_id=stix_id)
    return link


def _unlink(
    actor: User, operation: Operation, links: QuerySet[Any], *, event: str, field: str, value: Any, named: str
) -> None:
    """Remove the one link ``links`` keeps (the input ``field`` gave its ``value``; ``named`` is
    how a refusal calls it), then resync the collection and record ``event``."""
    _may_link(actor)
    deleted, _ = links.delete()
    if not deleted:
        raise invalid(field, f"{named} is not linked to this operation.")
    _sync_collection(operation)
    _audit(actor, event, operation, **{field: value})


@transaction.atomic
def operation_unlink_object(*, actor: User, operation: Operation, stix_id: str) -> None:
    """Remove a linked object from the operation (and from its TAXII collection)."""
    links = operation.object_links.filter(stix_id=stix_id)
    _unlink(actor, operation, links, event="operation.unlink", field="stix_id", value=stix_id, named=stix_id)


@transaction.atomic
def operation_link_campaign(*, actor: User, operation: Operation, campaign: int, note: str = "") -> OperationCampaign:
    """Link an analysis campaign to the operation: its members, now and as it grows, become the
    operation's intelligence. The person linking must see the campaign (at least one member, by
    :func:`accord.analysis.selectors.campaign_get`); a missing campaign and a hidden one are
    refused alike."""
    _may_link(actor)
    if operation.status == OperationStatus.CLOSED:
        raise invalid("status", "the operation is closed.")
    try:
        found = campaign_get(principal=actor, pk=campaign)
        if not isinstance(found, Campaign):  # a partner's own view of campaigns: nothing stored to link
            raise NotFound(f"No campaign {campaign}.")
    except NotFound:
        raise invalid(
            "campaign",
            f"no campaign {campaign} that you may see: an operation links only intelligence its author may see.",
            "The id of a campaign you may see.",
        ) from None
    if operation.campaign_links.filter(campaign_id=found.pk).exists():
        raise invalid("campaign", f"campaign {found.pk} is already linked to this operation.")
    link = OperationCampaign.objects.create(operation=operation, campaign_id=found.pk, note=note, linked_by=actor)
    _sync_collection(operation)
    _audit(actor, "operation.link_campaign", operation, campaign=found.pk)
    return link


@transaction.atomic
def operation_unlink_campaign(*, actor: User, operation: Operation, campaign: int) -> None:
    """Remove a linked campaign from the operation (and its members from the TAXII collection,
    unless they are linked otherwise)."""
    links = operation.campaign_links.filter(campaign_id=campaign)
    _unlink(
        actor,
        operation,
        links,
        event="operation.unlink_campaign",
        field="campaign",
        value=campaign,
        named=f"campaign {campaign}",
    )


@transaction.atomic
def operation_campaigns_follow_merge(*, survivor: int, absorbed: list[int]) -> int:
    """Move the operations' links from campaigns merged away to the one that absorbed them (an
    operation linking both keeps one link); their collections follow. Called by the analysis
    app's ``campaigns_merged`` signal, inside the merge; the number of operations touched."""
    links = list(OperationCampaign.objects.filter(campaign_id__in=absorbed).select_related("operation"))
    operations = {link.operation_id: link.operation for link in links}
    for link in links:
        if OperationCampaign.objects.filter(operation_id=link.operation_id, campaign_id=survivor).exists():
            link.delete()
        else:
            link.campaign_id = survivor
            link.save(update_fields=["campaign"])
    for operation in operations.values():
        _sync_collection(operation)
        _audit(None, "operation.campaign_merged", operation, campaign=survivor, absorbed=sorted(absorbed))
    return len(operations)


@transaction.atomic
def operation_record_outcome(
    *,
    actor: User | None,
    operation: Operation,
    date: date,
    country: str = "",
    currency: str = "",
    note: str = "",
    **figures: Any,
) -> OperationOutcome:
    """Record what the operation achieved (arrests, searches, takedowns, blocked accounts,
    funds frozen and recovered with their currency, victims, remediated devices). Figures are
    whole numbers (funds: amounts) of zero or more; funds need a currency (ISO 4217)."""
    _manage(actor)
    operation = Operation.objects.select_for_update().get(pk=operation.pk)
    if operation.status == OperationStatus.PLANNING:
        raise invalid("status", "an operation records outcomes once it is active.")
    unknown = set(figures) - set(OUTCOME_COUNTS) - set(OUTCOME_FUNDS)
    if unknown:
        raise invalid(
            sorted(unknown)[0], "not an outcome figure.", f"One of: {', '.join(OUTCOME_COUNTS + OUTCOME_FUNDS)}."
        )
    values: dict[str, Any] = {}
    for name in OUTCOME_COUNTS:
        value = figures.get(name, 0) or 0
        if not isinstance(value, int) or value < 0:
            raise invalid(name, f"{value} is not a count: outcomes are whole numbers of zero or more.", "0 or more.")
        values[name] = value
    for name in OUTCOME_FUNDS:
        amount = Decimal(str(figures.get(name, 0) or 0))
        if amount < 0:
            raise invalid(name, f"{amount} is negative: outcomes are zero or more.", "0 or more.")
        values[name] = amount
    currency = (currency or "").upper()
    if (values["funds_frozen"] or values["funds_recovered"]) and not _CURRENCY.match(currency):
        raise invalid("currency", "funds need their currency, as an ISO 4217 code.", "e.g. USD, EUR, KES.")
    if not any(values.values()):
        raise invalid("arrests", "an outcome records at least one figure above zero.")
    if date < operation.start_date:
        raise invalid("date", "the outcome is dated before the operation started.", "On or after start_date.")
    outcome = OperationOutcome.objects.create(
        operation=operation,
        date=date,
        country=guards.country("country", country, blank=True),
        currency=currency,
        note=note,
        recorded_by=actor,
        **values,
    )
    _audit(actor, "operation.outcome", operation, outcome=outcome.pk, currency=currency, **values)
    return outcome
