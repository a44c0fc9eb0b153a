"""Applications and vetting: submission, the checklist, comments, and the decision
(approval admits the organisation and invites its contact)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accord.core.audit import audit_record
from accord.core.choices import ContributionArea, OrganisationKind, OrganisationStatus, Role, Sector
from accord.core.errors import Conflict
from accord.core.guards import all_of, invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.regions import COUNTRY_REGION, region_for
from accord.core.roles import Perm
from accord.core.services import organisation_create, organisation_set_status, organisation_update, person_create
from accord.notifications.services import notify
from accord.partners.choices import APPLICATION_WORKFLOW, OPEN_APPLICATION_STATUSES, ApplicationStatus, ChecklistItem
from accord.partners.models import ApplicationComment, PartnershipApplication
from accord.partners.services._common import _create_numbered

__all__ = [
    "application_check",
    "application_comment",
    "application_submit",
    "application_transition",
    "invitation_link",
]


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
    notify(
        "application.received",
        addresses=[contact_email],
        template="partners/email/application_received",
        context={"application": application},
    )
    notify(
        "application.received",
        people=_managers(),
        subject=application,
        link=f"/applications/{application.pk}/",
        context={
            "title": f"Application {application.reference} from {name} ({country}) received",
            "text": f"{name} applied to become a partner; the application waits to be screened.",
        },
    )
    return application


def _managers() -> list[User]:
    """The programme managers, who vet applications."""
    return list(User.objects.filter(role=Role.PROGRAMME_MANAGER, is_active=True).order_by("pk"))


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
    APPLICATION_WORKFLOW.check(application.status, to)
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
        notify(
            "account.invitation",
            addresses=[contact.email],
            subject=contact,
            context={"person": contact, "organisation": organisation, "link": invitation_link(contact)},
        )
    if decision:
        application.decision_reason = reason.strip()
        application.decided_by = actor
        application.decided_at = timezone.now()
    APPLICATION_WORKFLOW.record(
        actor=actor,
        obj=application,
        to=to,
        action="application.transition",
        details={"from": application.status, "to": to, "organisation": application.organisation_id},
        update_fields=None,
        justification=reason,
    )
    if decision:
        notify(
            "application.decided",
            addresses=[application.contact_email],
            template="partners/email/application_decided",
            context={"application": application},
        )
        notify(
            "application.decided",
            people=[p for p in _managers() if p != actor],
            subject=application,
            link=f"/applications/{application.pk}/",
            context={
                "title": f"Application {application.reference} {application.get_status_display().lower()}",
                "text": f"{application.organisation_name}: {application.decision_reason}",
            },
        )
    return application
