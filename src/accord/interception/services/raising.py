"""Raising a request: fields checked, the addressee chosen, the deadlines set, the addressee told
at once (and the programme, when nobody else can act), the account shared as an observable."""

from __future__ import annotations

import io
import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationKind
from accord.core.errors import ApplicationError
from accord.core.guards import invalid, one_of, require, required_text
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.interception.beneficiary import (
    Beneficiary,
    bank_identifier,
    check_amount,
    check_beneficiary,
    check_currency,
    check_moment,
)
from accord.interception.choices import InstitutionKind, RoutedAs
from accord.interception.models import Institution, InterceptionRequest
from accord.interception.routing import route
from accord.interception.services._common import _audit, _may_raise, _tell
from accord.operations.choices import CrimeType
from accord.sharing.services import submission_create, submission_start

__all__ = ["institution_register", "interception_raise"]

# Accord's own namespace for the ids of the accounts requests share (one id per account and unit).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NAMESPACE = uuid.UUID("5b0f3b1e-8f0c-5a4e-9a57-4a6f0c1d2e3f")


def _host() -> Organisation:
    return Organisation.objects.get(is_host=True)


def _reference(moment: datetime) -> str:
    """A reference that counts nothing: eight random characters (Crockford's base 32), so that
    one partner's references tell it nothing of the requests others receive."""
    return f"ICP-{moment:%Y}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def _share(request: InterceptionRequest, beneficiary: Beneficiary) -> str:
    """The beneficiary account as a cyber-observable submitted by the requesting unit under its
    own agreement (its handling rules: default marking, retention), so that it correlates with
    what partners share; read once the request commits. Nothing is shared when the unit holds no
    agreement in force; the request stands either way. The object's id is the account's for
    the unit, so a second request for one account adds no second object."""
    found = beneficiary.observable
    if found is None:
        return ""
    kind, value = found
    if kind == "iban":
        sco: dict[str, Any] = {"type": "x-accord-bank-account", "iban": value}
    else:
        sco = {"type": "x-accord-crypto-wallet", "address": value, "currency": beneficiary.wallet_currency}
    stix_type = sco["type"]
    stix_id = f"{stix_type}--{uuid.uuid5(_NAMESPACE, f'{request.requester_id}:{kind}:{value}')}"
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(_NAMESPACE, f'{request.pk}')}",
        "objects": [{**sco, "spec_version": "2.1", "id": stix_id}],
    }
    try:
        with transaction.atomic():
            submission, _ = submission_create(
                actor=None,
                organisation=request.requester,
                stream=io.BytesIO(orjson.dumps(bundle)),
                filename=f"{request.reference}.json",
                format="stix",
            )
    except ApplicationError:
        return ""
    # Read once the request is committed: the ingest takes its own transactions.
    transaction.on_commit(lambda: submission_start(submission=submission))
    return stix_id


def _raise(
    *,
    actor: User | None,
    requester: Organisation,
    raised_by: Organisation,
    beneficiary: Beneficiary,
    amount: Decimal,
    currency: str,
    transferred_at: datetime,
    victim_bank: str,
    crime_type: str,
    case_reference: str,
    legal_basis: str,
    now: datetime,
    parent: InterceptionRequest | None = None,
) -> InterceptionRequest:
    """Record a request already checked, route it, tell who must act, share the account."""
    host = _host()
    chosen = route(beneficiary, host=host, now=now)
    request = InterceptionRequest.objects.create(
        reference=_reference(now),
        root=parent.root if parent is not None else None,
        parent=parent,
        requester=requester,
        raised_by=raised_by,
        raised_by_person=actor,
        addressee=chosen.addressee,
        routed_as=chosen.routed_as,
        routing_note=chosen.note,
        amount=amount,
        currency=currency,
        transferred_at=transferred_at,
        victim_bank=victim_bank.strip()[:200],
        crime_type=crime_type,
        case_reference=case_reference,
        legal_basis=legal_basis,
        raised_at=now,
        ack_due=now + timedelta(hours=chosen.ack_hours),
        outcome_due=now + timedelta(hours=chosen.outcome_hours),
        **beneficiary.fields(),
    )
    if request.root_id is None:
        request.root = request
        request.save(update_fields=["root"])
    request.stix_id = _share(request, beneficiary)
    if request.stix_id:
        request.save(update_fields=["stix_id"])
    _audit(
        actor,
        "raise",
        request,
        addressee=chosen.addressee.pk,
        routed_as=chosen.routed_as,
        parent=parent.reference if parent is not None else None,
        amount=str(amount),
        currency=currency,
        ack_due=request.ack_due.isoformat(),
        outcome_due=request.outcome_due.isoformat(),
    )
    _tell(request, "raised", [chosen.addressee])
    if chosen.routed_as != RoutedAs.PARTNER and chosen.addressee.pk != host.pk:
        _tell(request, "host_told", [host])
    return request


def _requester(actor: User | None, on_behalf_of: Organisation | None) -> Organisation:
    """The unit whose case it is: the actor's organisation, or the unit the programme raises for."""
    if on_behalf_of is None:
        if actor is None:
            raise invalid("on_behalf_of", "a system action names the unit it raises the request for.")
        return actor.organisation
    if actor is not None and not actor.organisation.is_host and on_behalf_of.pk != actor.organisation_id:
        raise invalid("on_behalf_of", "only the programme raises requests on behalf of a unit.")
    if not (on_behalf_of.is_host or on_behalf_of.kind == OrganisationKind.LAW_ENFORCEMENT):
        raise invalid("on_behalf_of", f"{on_behalf_of.name} is not a law-enforcement unit.", "A member-country unit.")
    return on_behalf_of


@transaction.atomic
def interception_raise(
    *,
    actor: User | None,
    account_kind: str,
    amount: Any,
    currency: str,
    transferred_at: datetime | None,
    crime_type: str,
    case_reference: str,
    legal_basis: str,
    iban: str = "",
    account_number: str = "",
    bic: str = "",
    wallet: str = "",
    wallet_currency: str = "",
    exchange: str = "",
    victim_bank: str = "",
    on_behalf_of: Organisation | None = None,
    now: datetime | None = None,
) -> InterceptionRequest:
    """Raise a request to stop the funds of one fraudulent transfer. Law-enforcement units, the
    programme (for itself or on a unit's behalf) and partner banks (for their customer) raise
    them; the request goes to whoever can act (:mod:`accord.interception.routing`), never nowhere."""
    now = now or timezone.now()
    requester = _requester(actor, on_behalf_of)
    _may_raise(actor, actor.organisation if actor is not None else requester)
    beneficiary = check_beneficiary(
        account_kind=account_kind,
        iban=iban,
        account_number=account_number,
        bic=bic,
        wallet=wallet,
        wallet_currency=wallet_currency,
        exchange=exchange,
    )
    checked_amount = check_amount("amount", amount)
    checked_currency = check_currency("currency", currency)
    moment = check_moment("transferred_at", transferred_at, now)
    one_of("crime_type", crime_type, CrimeType)
    return _raise(
        actor=actor,
        requester=requester,
        raised_by=actor.organisation if actor is not None else requester,
        beneficiary=beneficiary,
        amount=checked_amount,
        currency=checked_currency,
        transferred_at=moment,
        victim_bank=victim_bank,
        crime_type=crime_type,
        case_reference=required_text("case_reference", case_reference)[:80],
        legal_basis=required_text("legal_basis", legal_basis),
        now=now,
    )


@transaction.atomic
def institution_register(
    *, actor: User | None, organisation: Organisation, kind: str, bic: str = "", name: str = ""
) -> Institution:
    """Tell the routing which partner a bank (by its BIC) or an exchange (by its name) is."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    one_of("kind", kind, InstitutionKind)
    if organisation.is_host:
        raise invalid("organisation", "the programme is not a bank or an exchange.")
    bic8 = ""
    if kind == InstitutionKind.BANK:
        if not bic.strip():
            raise invalid("bic", "a bank is known by its BIC.", "8 or 11 characters.")
        parsed = bank_identifier(bic)
        bic8 = str(parsed)[:8]
        name = name.strip() or (parsed.bank_names[0] if parsed.bank_names else organisation.name)
        if Institution.objects.filter(bic8=bic8).exists():
            raise invalid("bic", f"{bic8} is already registered.")
    name = required_text("name", name or organisation.name)[:120]
    if Institution.objects.filter(kind=kind, name__iexact=name).exists():
        raise invalid("name", f"a {kind} named {name} is already registered.")
    institution = Institution.objects.create(organisation=organisation, kind=kind, bic8=bic8, name=name)
    audit_record(
        actor=actor,
        action="interception.institution",
        obj=institution,
        organisation=organisation,
        details={"kind": kind, "bic8": bic8, "name": name},
    )
    return institution
