"""Every change to partnerships: applications and vetting, agreements and their lifecycle,
and the organisation status that follows from them.

Keyword-only, atomic, role-checked, audited. API, UI, CLI and scheduled jobs call these.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import IO, Any, TypeVar

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accord.core.audit import audit_record
from accord.core.checks import all_of, invalid, one_of, require
from accord.core.choices import (
    ContributionArea,
    DataCategory,
    OrganisationKind,
    OrganisationStatus,
    Purpose,
    Region,
    Role,
    Sector,
    Tlp,
)
from accord.core.errors import Conflict, ValidationFailed
from accord.core.mail import mail_after_commit
from accord.core.models import Organisation, User
from accord.core.regions import COUNTRY_REGION, region_for
from accord.core.roles import Perm
from accord.core.services import organisation_create, organisation_set_status, organisation_update, person_create
from accord.partners.choices import (
    AGREEMENT_PREFIX,
    AGREEMENT_TRANSITIONS,
    APPLICATION_TRANSITIONS,
    OPEN_APPLICATION_STATUSES,
    AffectedPartyNotifications,
    AgreementKind,
    AgreementStatus,
    ApplicationStatus,
    ChecklistItem,
    EncryptAtRest,
    EncryptInTransit,
    ObfuscateAffectedParties,
    Pap,
    PermittedActions,
    ProviderAttribution,
    UnmodifiedResale,
)
from accord.partners.models import Agreement, AgreementVersion, ApplicationComment, PartnershipApplication

__all__ = [
    "DATA_SHARING_TERMS",
    "agreement_activate",
    "agreement_amend",
    "agreement_attach_document",
    "agreement_create",
    "agreement_suspend",
    "agreement_terminate",
    "agreements_sweep",
    "host_data_agreement_ensure",
    "application_check",
    "application_comment",
    "application_submit",
    "application_transition",
    "organisation_reinstate",
    "organisation_suspend",
    "organisation_sync_status",
    "organisation_terminate",
]


# --- Applications ---------------------------------------------------------------------------------


_Numbered = TypeVar("_Numbered", PartnershipApplication, Agreement)


def _next_reference(model: Any, prefix: str) -> str:
    year = timezone.now().year
    stem = f"{prefix}-{year}-"
    # Longest first, then highest: APP-2026-10000 comes after APP-2026-9999.
    last = (
        model.objects.filter(reference__startswith=stem)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{number:04}"


def _create_numbered(model: type[_Numbered], prefix: str, **fields: Any) -> _Numbered:
    """Create a row with the next free reference; two concurrent writers retry, not fail."""
    for _ in range(5):
        reference = _next_reference(model, prefix)
        try:
            with transaction.atomic():
                return model.objects.create(reference=reference, **fields)
        except IntegrityError:
            if not model.objects.filter(reference=reference).exists():
                raise  # another constraint: not ours to retry
    raise Conflict("Several requests took the same reference at once; please try again.")


@transaction.atomic
def application_submit(
    *,
    organisation_name: str,
    kind: str,
    country: str,
    contact_name: str,
    contact_email: str,
    contribution_areas: list[str],
    proposal: str,
    sector: str = "",
    website: str = "",
    listed_publicly: bool = False,
) -> PartnershipApplication:
    """An organisation applies to join (anonymous). Refused while the same organisation has an
    application open in the same country; the applicant gets an acknowledgement by e-mail."""
    name = organisation_name.strip()
    if not name:
        raise invalid("organisation_name", "give the organisation's name.", "This field is required.")
    one_of("kind", kind, OrganisationKind)
    one_of("sector", sector, Sector, blank=True)
    if kind == OrganisationKind.PRIVATE and not sector:
        raise invalid("sector", "a private organisation needs a sector.", f"One of: {', '.join(Sector.values)}.")
    country = country.upper()
    if country not in COUNTRY_REGION:
        raise invalid("country", f"'{country}' is not an ISO 3166-1 alpha-2 code.", "e.g. KE, BR, SG, FR, JO.")
    areas = all_of("contribution_areas", contribution_areas, ContributionArea)
    if not proposal.strip():
        raise invalid("proposal", "tell us how your organisation could support the programme.", "Required.")
    if not contact_name.strip():
        raise invalid("contact_name", "name a contact person.", "Required.")
    open_one = PartnershipApplication.objects.filter(
        organisation_name__iexact=name, country=country, status__in=OPEN_APPLICATION_STATUSES
    ).first()
    if open_one is not None:
        raise _duplicate(name, country, open_one)
    partner = (
        Organisation.objects.filter(name__iexact=name)
        .exclude(status__in=[OrganisationStatus.APPLICANT, OrganisationStatus.TERMINATED])
        .first()
    )
    if partner is not None:
        raise Conflict(
            f"organisation_name: {partner.name} is already a partner ({partner.get_status_display().lower()}); "
            "its programme contact can help with new agreements.",
            details={"organisation_name": ["Already a partner."]},
            code="already_a_partner",
        )
    try:
        application = _create_numbered(
            PartnershipApplication,
            "APP",
            organisation_name=name,
            kind=kind,
            sector=sector or "",
            country=country,
            region=region_for(country),
            website=website,
            contact_name=contact_name.strip(),
            contact_email=contact_email,
            contribution_areas=areas,
            proposal=proposal.strip(),
            listed_publicly=listed_publicly,
            checklist={item.value: {"done": False} for item in ChecklistItem},
        )
    except IntegrityError as exc:  # a concurrent twin won the race; the database refused this one
        raise _duplicate(name, country, None) from exc
    audit_record(
        actor=None,
        action="application.submit",
        obj=application,
        details={"reference": application.reference, "organisation": name, "country": country},
    )
    mail_after_commit(
        to=contact_email, template="partners/email/application_received", context={"application": application}
    )
    return application


def _duplicate(name: str, country: str, open_one: PartnershipApplication | None) -> Conflict:
    which = f" ({open_one.reference}, {open_one.get_status_display().lower()})" if open_one else ""
    return Conflict(
        f"An application for {name} ({country}) is already open{which}; we will be in touch about it.",
        details={"organisation_name": ["An application for this organisation and country is open."]},
        code="duplicate_application",
    )


@transaction.atomic
def application_check(
    *, actor: User | None, application: PartnershipApplication, item: str, done: bool, note: str = ""
) -> PartnershipApplication:
    """Tick (or untick) one vetting checklist item, with who and when."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    one_of("item", item, ChecklistItem)
    application = PartnershipApplication.objects.select_for_update().get(pk=application.pk)
    if application.status not in OPEN_APPLICATION_STATUSES:
        raise invalid("status", f"the application is {application.status}; its checklist is closed.")
    application.checklist[item] = {
        "done": bool(done),
        "by": actor.username if actor else "system",
        "at": timezone.now().isoformat(),
        "note": note,
    }
    application.save(update_fields=["checklist", "updated_at"])
    audit_record(
        actor=actor,
        action="application.check",
        obj=application,
        details={"item": item, "done": bool(done), "note": note},
    )
    return application


@transaction.atomic
def application_comment(*, actor: User, application: PartnershipApplication, body: str) -> ApplicationComment:
    """Add a remark to the application's discussion."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if not body.strip():
        raise invalid("body", "a comment needs some text.", "Required.")
    comment = ApplicationComment.objects.create(application=application, author=actor, body=body.strip())
    audit_record(actor=actor, action="application.comment", obj=application, details={"comment": comment.pk})
    return comment


def _unique_username(email: str) -> str:
    stem = "".join(ch for ch in email.split("@", 1)[0].lower() if ch.isalnum() or ch in "._-")[:140] or "partner"
    candidate, n = stem, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{stem}{n}"
    return candidate


def _organisation_for(actor: User | None, application: PartnershipApplication) -> Organisation:
    """The organisation an approval admits: new, or the record of a former partner or applicant
    re-admitted (its history kept), in status ``vetting``."""
    details = {
        "kind": application.kind,
        "sector": application.sector,
        "country": application.country,
        "website": application.website,
        "description": application.proposal,
        "contribution_areas": application.contribution_areas,
        "listed_publicly": application.listed_publicly,
    }
    existing = Organisation.objects.filter(name__iexact=application.organisation_name).first()
    if existing is None:
        return organisation_create(
            actor=actor, name=application.organisation_name, status=OrganisationStatus.VETTING, **details
        )
    if existing.status not in (OrganisationStatus.APPLICANT, OrganisationStatus.TERMINATED):
        raise Conflict(
            f"organisation_name: {existing.name} is already a partner ({existing.status}).",
            details={"organisation_name": ["Already a partner."]},
            code="already_a_partner",
        )
    organisation_update(
        actor=actor, organisation=existing, justification=f"re-admitted by {application.reference}", **details
    )
    return organisation_set_status(
        actor=actor,
        organisation=existing,
        status=OrganisationStatus.VETTING,
        reason=f"application {application.reference} approved",
    )


def invitation_link(person: User) -> str:
    """The one-time link where an invited person sets a password (Django's reset tokens)."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    return settings.ACCORD_BASE_URL + reverse("partners:invitation", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def application_transition(
    *, actor: User | None, application: PartnershipApplication, to: str, reason: str = ""
) -> PartnershipApplication:
    """Move an application along ``submitted → screening → due_diligence → approved | declined``.

    Approval needs the whole checklist done; it creates the organisation (status ``vetting``
    until an agreement is active) and invites the contact. A decision needs a reason and is
    e-mailed to the applicant.
    """
    require(actor, Perm.PARTNERSHIP_MANAGE)
    one_of("to", to, ApplicationStatus)
    application = PartnershipApplication.objects.select_for_update().get(pk=application.pk)
    allowed = APPLICATION_TRANSITIONS[application.status]
    if to not in allowed:
        raise invalid(
            "to",
            f"an application that is {application.status} cannot go to {to}; "
            f"allowed: {', '.join(allowed) or 'nothing (the decision is final)'}.",
            f"Allowed from {application.status}: {', '.join(allowed) or 'none'}.",
        )
    decision = to in (ApplicationStatus.APPROVED, ApplicationStatus.DECLINED)
    if decision and not reason.strip():
        raise invalid("reason", "a decision needs a reason (it is sent to the applicant).", "Required.")
    if to == ApplicationStatus.APPROVED:
        missing = [
            ChecklistItem(i).label for i in ChecklistItem.values if not application.checklist.get(i, {}).get("done")
        ]
        if missing:
            raise invalid(
                "checklist",
                f"vetting is not complete: {', '.join(missing)}.",
                "Every checklist item done before approval.",
            )
        organisation = _organisation_for(actor, application)
        first, _, last = application.contact_name.partition(" ")
        contact = User.objects.filter(email__iexact=application.contact_email).first()
        if contact is not None:
            raise Conflict(
                f"contact_email: {application.contact_email} already has an account.",
                details={"contact_email": ["Already in use."]},
            )
        contact = person_create(
            actor=actor,
            organisation=organisation,
            username=_unique_username(application.contact_email),
            email=application.contact_email,
            role=Role.PARTNER_CONTRIBUTOR,
            first_name=first,
            last_name=last,
        )
        application.organisation = organisation
        mail_after_commit(
            to=contact.email,
            template="partners/email/invitation",
            context={"person": contact, "organisation": organisation, "link": invitation_link(contact)},
        )
    before = application.status
    application.status = to
    if decision:
        application.decision_reason = reason.strip()
        application.decided_by = actor
        application.decided_at = timezone.now()
        mail_after_commit(
            to=application.contact_email,
            template="partners/email/application_decided",
            context={"application": application},
        )
    application.save()
    audit_record(
        actor=actor,
        action="application.transition",
        obj=application,
        justification=reason,
        details={"from": before, "to": to, "organisation": application.organisation_id},
    )
    return application


# --- Agreements -----------------------------------------------------------------------------------

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
TERM_FIELDS = (*DATA_SHARING_TERMS, *DATA_SHARING_LISTS, "retention_days")


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
    return clean


def _check_window(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from is None:
        raise invalid("valid_from", "an agreement needs a start.", "An ISO 8601 date-time.")
    if valid_until is not None and valid_until <= valid_from:
        raise invalid("valid_until", "the end must come after the start.", "Later than valid_from.")


@transaction.atomic
def agreement_create(
    *,
    actor: User | None,
    organisation: Organisation,
    kind: str,
    title: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    terms: dict[str, Any] | None = None,
    change_note: str = "",
) -> Agreement:
    """Draft an agreement with its first version of terms."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    one_of("kind", kind, AgreementKind)
    if organisation.is_host:
        raise invalid("organisation", "the hosting organisation does not sign agreements with itself.")
    if organisation.status == OrganisationStatus.TERMINATED:
        raise invalid("organisation", f"{organisation.name}'s partnership is terminated.")
    if not title.strip():
        raise invalid("title", "an agreement needs a title.", "Required.")
    _check_window(valid_from, valid_until)
    clean = _clean_terms(kind, terms or {})
    agreement = _create_numbered(
        Agreement, AGREEMENT_PREFIX[AgreementKind(kind)], organisation=organisation, kind=kind, title=title.strip()
    )
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        valid_from=valid_from,
        valid_until=valid_until,
        change_note=change_note,
        created_by=actor,
        **clean,
    )
    agreement.current_version = version
    agreement.save(update_fields=["current_version"])
    audit_record(
        actor=actor,
        action="agreement.create",
        obj=agreement,
        organisation=organisation,
        details={"reference": agreement.reference, "kind": kind, "terms": _terms_snapshot(version)},
    )
    return agreement


# The hosting organisation's handling rules for its own open and internal data sets, unless
# ``ACCORD_HOST_DATA_TERMS`` says otherwise: every purpose and category; AMBER by default, up to
# RED; shared onward to law enforcement and international organisations in every region, with
# personal data withheld from them; kept a year.
HOST_DATA_TERMS: dict[str, Any] = {
    "encrypt_in_transit": "must",
    "permitted_actions": "internally-visible-actions",
    "affected_party_notifications": "may",
    "iep_tlp": Tlp.AMBER.value,
    "provider_attribution": "may",
    "unmodified_resale": "must-not",
    "encrypt_at_rest": "must",
    "obfuscate_affected_parties": "may",
    "pap": "green",
    "data_categories": list(DataCategory.values),
    "purposes": list(Purpose.values),
    "tlp_ceiling": Tlp.RED.value,
    "default_tlp": Tlp.AMBER.value,
    "onward_kinds": [OrganisationKind.LAW_ENFORCEMENT.value, OrganisationKind.INTERNATIONAL_ORG.value],
    "onward_regions": list(Region.values),
    "onward_redactions": [DataCategory.PERSONAL_DATA.value],
    "retention_days": 365,
}
HOST_DATA_TITLE = "Internal and open data sets of the hosting organisation"


@transaction.atomic
def host_data_agreement_ensure(*, host: Organisation | None = None) -> Agreement | None:
    """The hosting organisation's internal-data terms: the handling rules (TLP, purposes,
    onward sharing, retention) of the open and internal data sets its own analysts load, recorded
    as a data-sharing agreement the host holds, so that ingest, the policy and every export read
    them as they read a partner's. Not a partnership (the host signs nothing with itself):
    created on first call from :data:`HOST_DATA_TERMS` and ``ACCORD_HOST_DATA_TERMS``
    (``accord init``, the host's first import), then amended like any agreement; idempotent.
    ``None`` when there is no hosting organisation yet."""
    host = host or Organisation.objects.filter(is_host=True).first()
    if host is None:
        return None
    existing = (
        Agreement.objects.select_for_update(of=("self",))
        .filter(organisation=host, kind=AgreementKind.DATA_SHARING)
        .select_related("current_version")
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing
    terms = _clean_terms(AgreementKind.DATA_SHARING, HOST_DATA_TERMS | dict(settings.ACCORD_HOST_DATA_TERMS))
    now = timezone.now()
    agreement = _create_numbered(
        Agreement,
        AGREEMENT_PREFIX[AgreementKind.DATA_SHARING],
        organisation=host,
        kind=AgreementKind.DATA_SHARING,
        title=HOST_DATA_TITLE,
        status=AgreementStatus.ACTIVE,
        status_changed_at=now,
    )
    version = AgreementVersion.objects.create(
        agreement=agreement, number=1, valid_from=now, change_note="Recorded for the host's own data sets.", **terms
    )
    agreement.current_version = version
    agreement.save(update_fields=["current_version"])
    audit_record(
        actor=None,
        action="agreement.create",
        obj=agreement,
        organisation=host,
        details={"reference": agreement.reference, "kind": "host_data", "terms": _terms_snapshot(version)},
    )
    return agreement


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
        Agreement.objects.filter(
            organisation=agreement.organisation, kind=AgreementKind.DATA_SHARING, status=AgreementStatus.ACTIVE
        )
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


@transaction.atomic
def agreement_amend(
    *,
    actor: User | None,
    agreement: Agreement,
    change_note: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    clear_valid_until: bool = False,
    terms: dict[str, Any] | None = None,
) -> Agreement:
    """Amend an agreement: a new version with the changes, the old versions kept as they were."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    agreement = _locked(agreement)
    if agreement.status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED):
        raise invalid("status", f"{agreement.reference} is {agreement.status}; draft a new agreement instead.")
    if not change_note.strip():
        raise invalid("change_note", "say what the amendment changes.", "Required.")
    current = agreement.current_version
    assert current is not None  # noqa: S101 - every agreement is created with a version
    merged = (
        {field: getattr(current, field) for field in TERM_FIELDS}
        if agreement.kind == AgreementKind.DATA_SHARING
        else {}
    )
    merged.update(terms or {})
    clean = _clean_terms(agreement.kind, merged)
    start = valid_from or current.valid_from
    end = None if clear_valid_until else (valid_until or current.valid_until)
    _check_window(start, end)
    version = AgreementVersion(
        agreement=agreement,
        number=current.number + 1,
        valid_from=start,
        valid_until=end,
        change_note=change_note.strip(),
        created_by=actor,
        **clean,
    )
    if agreement.status == AgreementStatus.ACTIVE:
        _check_no_overlap(agreement, version)
    version.save()
    agreement.current_version = version
    agreement.save(update_fields=["current_version", "updated_at"])
    audit_record(
        actor=actor,
        action="agreement.amend",
        obj=agreement,
        organisation=agreement.organisation,
        justification=change_note,
        details={"version": version.number, "terms": _terms_snapshot(version)},
    )
    organisation_sync_status(actor=actor, organisation=agreement.organisation)
    return agreement


def _locked(agreement: Agreement) -> Agreement:
    """The agreement, re-read and locked (only its own row: the version join is nullable)."""
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("current_version", "organisation")
        .get(pk=agreement.pk)
    )


def _transition(actor: User | None, agreement: Agreement, to: str, reason: str, *, need_reason: bool) -> Agreement:
    agreement = _locked(agreement)
    allowed = AGREEMENT_TRANSITIONS[agreement.status]
    if to not in allowed:
        raise invalid(
            "status",
            f"{agreement.reference} is {agreement.status} and cannot become {to}; "
            f"allowed: {', '.join(allowed) or 'nothing'}.",
            f"Allowed: {', '.join(allowed) or 'none'}.",
        )
    if need_reason and not reason.strip():
        raise invalid("reason", f"say why {agreement.reference} becomes {to}.", "Required.")
    before = agreement.status
    agreement.status = to
    agreement.status_reason = reason.strip()
    agreement.status_changed_at = timezone.now()
    agreement.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=f"agreement.{to}",
        obj=agreement,
        organisation=agreement.organisation,
        justification=reason,
        details={"reference": agreement.reference, "from": before, "to": to},
    )
    organisation_sync_status(actor=actor, organisation=agreement.organisation, reason=f"{agreement.reference} {to}")
    return agreement


@transaction.atomic
def agreement_activate(*, actor: User | None, agreement: Agreement, reason: str = "") -> Agreement:
    """Put a draft (or suspended) agreement in force; its organisation becomes active."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    agreement = Agreement.objects.select_related("current_version", "organisation").get(pk=agreement.pk)
    version = agreement.current_version
    assert version is not None  # noqa: S101 - every agreement is created with a version
    if version.valid_until is not None and version.valid_until <= timezone.now():
        raise invalid(
            "valid_until",
            f"{agreement.reference} ended on {version.valid_until:%Y-%m-%d}; amend its window before activating it.",
        )
    if agreement.organisation.status == OrganisationStatus.TERMINATED:
        raise invalid("organisation", f"{agreement.organisation.name}'s partnership is terminated.")
    _check_no_overlap(agreement, version)
    return _transition(actor, agreement, AgreementStatus.ACTIVE, reason, need_reason=False)


@transaction.atomic
def agreement_suspend(*, actor: User | None, agreement: Agreement, reason: str) -> Agreement:
    """Suspend an agreement at once (access under it ends now); it may be reactivated."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    return _transition(actor, agreement, AgreementStatus.SUSPENDED, reason, need_reason=True)


@transaction.atomic
def agreement_terminate(*, actor: User | None, agreement: Agreement, reason: str) -> Agreement:
    """End an agreement for good."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    return _transition(actor, agreement, AgreementStatus.TERMINATED, reason, need_reason=True)


@transaction.atomic
def agreements_sweep(*, now: datetime | None = None) -> list[Agreement]:
    """Expire every active or suspended agreement whose window has ended, and activate the
    organisations whose agreement's window has begun (``accord agreements sweep``, and the
    worker daily). Access does not wait for this: the policy reads the windows itself; the
    sweep brings the records and organisation statuses in line."""
    now = now or timezone.now()
    due = Agreement.objects.filter(
        status__in=[AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED], current_version__valid_until__lte=now
    )
    expired = [
        _transition(None, agreement, AgreementStatus.EXPIRED, "validity window ended", need_reason=False)
        for agreement in due
    ]
    # Agreements whose window has begun since they were activated make their organisation active.
    starting = Organisation.objects.filter(
        status=OrganisationStatus.VETTING,
        agreements__status=AgreementStatus.ACTIVE,
        agreements__current_version__valid_from__lte=now,
    ).distinct()
    for organisation in starting:
        organisation_sync_status(actor=None, organisation=organisation, reason="agreement window began", now=now)
    return expired


PDF_MAGIC = b"%PDF-"


@transaction.atomic
def agreement_attach_document(
    *, actor: User | None, agreement: Agreement, name: str, stream: IO[bytes]
) -> AgreementVersion:
    """Store the signed PDF of the agreement's current version, content-addressed by SHA-256."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    limit = settings.ACCORD_MAX_DOCUMENT_BYTES
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > limit:
            raise invalid(
                "document",
                f"the file is larger than {limit // (1024 * 1024)} MB.",
                f"A PDF of at most {limit // (1024 * 1024)} MB.",
            )
        digest.update(chunk)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content.startswith(PDF_MAGIC) or not name.lower().endswith(".pdf"):
        raise invalid("document", f"'{name}' is not a PDF document.", "A signed PDF (.pdf).")
    sha256 = digest.hexdigest()
    agreement = Agreement.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=agreement.pk)
    version = agreement.current_version
    assert version is not None  # noqa: S101 - every agreement is created with a version
    path = f"agreements/{sha256}.pdf"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(content))
    version.document.name = path
    version.document_name = name[-255:]
    version.document_sha256 = sha256
    version.document_size = size
    version.save(update_fields=["document", "document_name", "document_sha256", "document_size"])
    audit_record(
        actor=actor,
        action="agreement.document",
        obj=agreement,
        organisation=agreement.organisation,
        details={"version": version.number, "sha256": sha256, "size": size, "name": version.document_name},
    )
    return version


# --- Organisation status --------------------------------------------------------------------------


def _holds_active_agreement(organisation: Organisation, now: datetime) -> bool:
    return any(
        a.current_version is not None and a.current_version.covers(now)
        for a in organisation.agreements.filter(status=AgreementStatus.ACTIVE).select_related("current_version")
    )


def organisation_sync_status(
    *, actor: User | None, organisation: Organisation, reason: str = "", now: datetime | None = None
) -> Organisation:
    """``active`` while it holds an active agreement in force, ``vetting`` otherwise; a
    suspended or terminated partnership stays so until reinstated."""
    organisation = Organisation.objects.get(pk=organisation.pk)
    if organisation.is_host or organisation.status in (OrganisationStatus.SUSPENDED, OrganisationStatus.TERMINATED):
        return organisation
    target = (
        OrganisationStatus.ACTIVE
        if _holds_active_agreement(organisation, now or timezone.now())
        else (OrganisationStatus.VETTING if organisation.status == OrganisationStatus.ACTIVE else organisation.status)
    )
    return organisation_set_status(actor=actor, organisation=organisation, status=target, reason=reason)


@transaction.atomic
def organisation_suspend(*, actor: User | None, organisation: Organisation, reason: str) -> Organisation:
    """Suspend a partnership: the organisation receives nothing until reinstated."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if organisation.is_host:
        raise invalid("organisation", "the hosting organisation cannot be suspended.")
    if not reason.strip():
        raise invalid("reason", "say why the partnership is suspended.", "Required.")
    if organisation.status == OrganisationStatus.TERMINATED:
        raise invalid("status", f"{organisation.name}'s partnership is terminated.")
    return organisation_set_status(
        actor=actor, organisation=organisation, status=OrganisationStatus.SUSPENDED, reason=reason
    )


@transaction.atomic
def organisation_reinstate(*, actor: User | None, organisation: Organisation, reason: str) -> Organisation:
    """Lift a suspension: active again if an agreement is in force, else back to vetting."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if organisation.status != OrganisationStatus.SUSPENDED:
        raise invalid("status", f"{organisation.name} is {organisation.status}, not suspended.")
    if not reason.strip():
        raise invalid("reason", "say why the partnership is reinstated.", "Required.")
    target = (
        OrganisationStatus.ACTIVE
        if _holds_active_agreement(organisation, timezone.now())
        else OrganisationStatus.VETTING
    )
    return organisation_set_status(actor=actor, organisation=organisation, status=target, reason=reason)


@transaction.atomic
def organisation_terminate(*, actor: User | None, organisation: Organisation, reason: str) -> Organisation:
    """End a partnership: its agreements in force are terminated with it."""
    require(actor, Perm.PARTNERSHIP_MANAGE)
    if organisation.is_host:
        raise invalid("organisation", "the hosting organisation cannot be terminated.")
    if not reason.strip():
        raise invalid("reason", "say why the partnership ends.", "Required.")
    for agreement in organisation.agreements.filter(
        status__in=[AgreementStatus.DRAFT, AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED]
    ):
        _transition(actor, agreement, AgreementStatus.TERMINATED, reason, need_reason=True)
    return organisation_set_status(
        actor=actor, organisation=organisation, status=OrganisationStatus.TERMINATED, reason=reason
    )
