"""The conference: hosting, editions, papers, sessions and registrations."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from accord.core import guards
from accord.core.errors import Forbidden
from accord.core.guards import invalid, one_of
from accord.core.models import Organisation, User
from accord.core.regions import region_for
from accord.core.roles import Perm, has_perm
from accord.governance.choices import PAPER_WORKFLOW, PaperStatus, RegistrationStatus, SessionKind, SpeakerSector
from accord.governance.models import (
    ConferenceEdition,
    ConferenceHosting,
    ConferenceSession,
    Paper,
    Registration,
    SessionSpeaker,
)
from accord.governance.services._common import _audit, _manage

# --- Conference -----------------------------------------------------------------------------------


@transaction.atomic
def conference_configure(
    *, actor: User | None, first_host: Organisation, second_host: Organisation, first_year: int = 2013
) -> ConferenceHosting:
    """Set the host alternation: ``first_host`` in ``first_year`` and every second year after,
    ``second_host`` in the years between."""
    _manage(actor)
    if first_host.pk == second_host.pk:
        raise invalid("second_host", "the conference alternates between two different hosts.")
    if not 1900 <= first_year <= 2200:
        raise invalid("first_year", f"{first_year} is not a plausible year.", "e.g. 2013.")
    hosting, _ = ConferenceHosting.objects.update_or_create(
        id=1, defaults={"first_host": first_host, "second_host": second_host, "first_year": first_year}
    )
    _audit(
        actor,
        "conference.configure",
        hosting,
        first_host=first_host.pk,
        second_host=second_host.pk,
        first_year=first_year,
    )
    return hosting


def expected_host(year: int, hosting: ConferenceHosting | None = None) -> Organisation:
    """The organisation whose turn it is to host ``year``: the first host in the first year and
    every second year after, the second host in between."""
    hosting = hosting or ConferenceHosting.objects.select_related("first_host", "second_host").filter(id=1).first()
    if hosting is None:
        raise invalid("year", "the host alternation is not configured yet.", "Configure the two hosts first.")
    if year < hosting.first_year:
        raise invalid(
            "year", f"the conference was first held in {hosting.first_year}.", f"{hosting.first_year} or later."
        )
    return hosting.first_host if (year - hosting.first_year) % 2 == 0 else hosting.second_host


@transaction.atomic
def edition_create(
    *,
    actor: User | None,
    year: int,
    host: Organisation,
    theme: str,
    venue: str,
    city: str,
    country: str,
    start_date: date,
    end_date: date,
    capacity: int,
    cfp_closes: date | None = None,
    host_override_reason: str = "",
) -> ConferenceEdition:
    """Create a year's edition. One per year; the host is the one whose turn it is, unless an
    explicit override gives the reason for another."""
    _manage(actor)
    expected = expected_host(year)
    if ConferenceEdition.objects.filter(year=year).exists():
        raise invalid("year", f"an edition for {year} exists.", "A year without an edition.")
    if host.pk != expected.pk and not host_override_reason.strip():
        raise invalid(
            "host",
            f"{year} is {expected.name}'s turn to host; another host needs host_override_reason.",
            f"{expected.name}, or a reason for the override.",
        )
    if host.pk == expected.pk:
        host_override_reason = ""
    if end_date < start_date:
        raise invalid("end_date", "the edition ends before it starts.", "On or after start_date.")
    if start_date.year != year:
        raise invalid("start_date", f"the {year} edition starts in {year}.")
    if capacity < 1:
        raise invalid("capacity", "the venue takes at least one person.", "1 or more.")
    if cfp_closes is not None and cfp_closes > start_date:
        raise invalid("cfp_closes", "the call for papers closes before the conference.", "On or before start_date.")
    edition = ConferenceEdition.objects.create(
        year=year,
        host=host,
        host_override_reason=host_override_reason.strip(),
        theme=guards.required_text("theme", theme),
        venue=guards.required_text("venue", venue),
        city=guards.required_text("city", city),
        country=guards.country("country", country),
        start_date=start_date,
        end_date=end_date,
        capacity=capacity,
        cfp_closes=cfp_closes,
    )
    _audit(actor, "edition.create", edition, year=year, host=host.pk, override=edition.host_override_reason)
    return edition


@transaction.atomic
def paper_submit(
    *,
    actor: User | None,
    edition: ConferenceEdition,
    title: str,
    abstract: str,
    speaker_name: str,
    speaker_sector: str,
    speaker_organisation: str = "",
) -> Paper:
    """Answer an edition's call for papers (anyone signed in, until it closes)."""
    one_of("speaker_sector", speaker_sector, SpeakerSector)
    if edition.cfp_closes is None or edition.cfp_closes < timezone.localdate():
        raise invalid("edition", f"the call for papers of {edition.year} is closed.")
    paper = Paper.objects.create(
        edition=edition,
        title=guards.required_text("title", title),
        abstract=guards.required_text("abstract", abstract),
        speaker_name=guards.required_text("speaker_name", speaker_name),
        speaker_organisation=speaker_organisation,
        speaker_sector=speaker_sector,
        submitted_by=actor,
    )
    _audit(actor, "paper.submit", paper, edition=edition.year, title=paper.title)
    return paper


@transaction.atomic
def paper_review(*, actor: User | None, paper: Paper, to: str, note: str = "") -> Paper:
    """``submitted → under_review → accepted | rejected``; a decision needs a note."""
    _manage(actor)
    one_of("to", to, PaperStatus)
    PAPER_WORKFLOW.check(paper.status, to)
    if to in (PaperStatus.ACCEPTED, PaperStatus.REJECTED) and not note.strip():
        raise invalid("note", "a decision needs a note for the author.", "Required.")
    paper.review_note = note.strip() or paper.review_note
    PAPER_WORKFLOW.record(
        actor=actor,
        obj=paper,
        to=to,
        action="governance.paper.review",
        details={"status_from": paper.status, "to": to},
        update_fields=["status", "review_note"],
    )
    return paper


@transaction.atomic
def session_create(
    *,
    actor: User | None,
    edition: ConferenceEdition,
    title: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    speakers: list[dict[str, str]],
    room: str = "",
    paper: Paper | None = None,
) -> ConferenceSession:
    """Put a session on an edition's programme, within its dates, with its speakers (each
    from law enforcement, the private sector, academia...). A paper must have been accepted."""
    _manage(actor)
    one_of("kind", kind, SessionKind)
    if ends_at <= starts_at:
        raise invalid("ends_at", "the session ends before it starts.", "After starts_at.")
    day = timezone.localtime(starts_at).date()
    if not edition.start_date <= day <= edition.end_date:
        raise invalid("starts_at", f"the {edition.year} edition runs {edition.start_date} to {edition.end_date}.")
    if paper is not None and (paper.edition_id != edition.pk or paper.status != PaperStatus.ACCEPTED):
        raise invalid("paper", "only a paper accepted for this edition goes on its programme.")
    if not speakers:
        raise invalid("speakers", "a session has at least one speaker.")
    for speaker in speakers:
        one_of("speakers", speaker.get("sector", ""), SpeakerSector)
        guards.required_text("speakers", speaker.get("name", ""))
    session = ConferenceSession.objects.create(
        edition=edition,
        title=guards.required_text("title", title),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        room=room,
        paper=paper,
    )
    SessionSpeaker.objects.bulk_create(
        SessionSpeaker(
            session=session, name=s["name"].strip(), organisation=s.get("organisation", ""), sector=s["sector"]
        )
        for s in speakers
    )
    _audit(actor, "session.create", session, edition=edition.year, title=session.title)
    return session


@transaction.atomic
def registration_create(
    *,
    actor: User | None,
    edition: ConferenceEdition,
    name: str,
    email: str,
    sector: str,
    country: str,
    organisation: str = "",
    person: User | None = None,
) -> Registration:
    """Register someone for an edition, within its capacity; one place per e-mail address.
    Programme managers register anyone; others register themselves."""
    manager = actor is None or has_perm(actor, Perm.GOVERNANCE_MANAGE)
    if not manager:
        assert actor is not None  # noqa: S101 - only a person can be a non-manager
        if email.lower() != actor.email.lower():
            raise Forbidden("You may register yourself only.")
        person = actor
    one_of("sector", sector, SpeakerSector)
    country = guards.country("country", country)
    edition = ConferenceEdition.objects.select_for_update().get(pk=edition.pk)
    # Programme managers may still record walk-ins and late entries; others register before it ends.
    if edition.end_date < timezone.localdate() and not manager:
        raise invalid("edition", f"the {edition.year} edition is over.")
    taken = edition.registrations.filter(status=RegistrationStatus.REGISTERED)
    if taken.filter(email__iexact=email).exists():
        raise invalid("email", f"{email} is already registered for {edition.year}.")
    if taken.count() >= edition.capacity:
        raise invalid("edition", f"the {edition.year} edition is full ({edition.capacity} places).")
    registration = Registration.objects.create(
        edition=edition,
        name=guards.required_text("name", name),
        email=email,
        organisation=organisation,
        sector=sector,
        country=country,
        region=region_for(country),
        person=person,
    )
    _audit(actor, "registration.create", registration, edition=edition.year, sector=sector, country=country)
    return registration


@transaction.atomic
def registration_cancel(*, actor: User | None, registration: Registration) -> Registration:
    """Give a place back (managers, or the registrant)."""
    if actor is not None and not has_perm(actor, Perm.GOVERNANCE_MANAGE) and registration.person_id != actor.pk:
        raise Forbidden("You may cancel your own registration only.")
    if registration.status == RegistrationStatus.CANCELLED:
        raise invalid("status", "this registration is already cancelled.")
    registration.status = RegistrationStatus.CANCELLED
    registration.save(update_fields=["status"])
    _audit(actor, "registration.cancel", registration)
    return registration


@transaction.atomic
def registration_mark_attended(
    *, actor: User | None, registration: Registration, attended: bool = True
) -> Registration:
    """Record at the door whether a registrant came (the attendance statistics count these)."""
    _manage(actor)
    if registration.status != RegistrationStatus.REGISTERED:
        raise invalid("status", "a cancelled registration has no attendance.")
    registration.attended = attended
    registration.save(update_fields=["attended"])
    _audit(actor, "registration.attended", registration, attended=attended)
    return registration
