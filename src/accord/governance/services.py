"""Every change to governance and operations: groups and memberships, meetings and their
invitations, recommendations and their follow-up, the good-practices library, joint operations
(participants, phases, linked intelligence, outcomes, their TAXII collection) and the conference.

Keyword-only, atomic, role-checked, audited. API, UI, CLI and the demo call these.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from accord.analysis.selectors import campaign_get
from accord.core.audit import audit_record
from accord.core.checks import all_of, invalid, one_of, require
from accord.core.choices import OrganisationKind, OrganisationStatus, Region, Tlp
from accord.core.errors import Forbidden, NotFound
from accord.core.mail import mail_after_commit
from accord.core.models import Organisation, User
from accord.core.regions import COUNTRY_REGION, region_for
from accord.core.roles import Perm, has_perm
from accord.governance.choices import (
    OPEN_RECOMMENDATION_STATUSES,
    OPERATION_TRANSITIONS,
    OUTCOME_COUNTS,
    OUTCOME_FUNDS,
    PAPER_TRANSITIONS,
    RECOMMENDATION_TRANSITIONS,
    AttendanceStatus,
    CrimeType,
    GroupKind,
    MeetingStatus,
    MembershipRole,
    OperationStatus,
    PaperStatus,
    PracticeTopic,
    RecommendationArea,
    RecommendationStatus,
    RegistrationStatus,
    SessionKind,
    SpeakerSector,
)
from accord.governance.ics import meeting_ics
from accord.governance.models import (
    ActionItem,
    Attendance,
    ConferenceEdition,
    ConferenceHosting,
    ConferenceSession,
    GoodPractice,
    Group,
    Meeting,
    MeetingDocument,
    Membership,
    Operation,
    OperationCampaign,
    OperationObject,
    OperationOutcome,
    OperationPhase,
    Paper,
    Recommendation,
    RecommendationNote,
    Registration,
    SessionSpeaker,
)
from accord.policy import Action, visible
from accord.sharing.models import StixObject
from accord.taxii.choices import CollectionKind
from accord.taxii.services import collection_create

__all__ = [
    "action_item_add",
    "action_item_complete",
    "attendance_record",
    "conference_configure",
    "edition_create",
    "expected_host",
    "groups_ensure",
    "meeting_attach_document",
    "meeting_cancel",
    "meeting_invite",
    "meeting_schedule",
    "meeting_set_minutes",
    "meeting_update",
    "membership_add",
    "membership_end",
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
    "paper_review",
    "paper_submit",
    "practice_create",
    "recommendation_create",
    "recommendation_note",
    "recommendation_transition",
    "recommendations_overdue_daily",
    "registration_cancel",
    "registration_create",
    "registration_mark_attended",
    "session_create",
]

EXPERT_GROUP_SLUG = "expert-group"
EXPERT_GROUP_NAME = "Global Cybercrime Expert Group"
# Who may sit in the expert group: police, private and academic experts (and the host's own).
EXPERT_KINDS = (
    OrganisationKind.LAW_ENFORCEMENT,
    OrganisationKind.INTERNATIONAL_ORG,
    OrganisationKind.PRIVATE,
    OrganisationKind.ACADEMIA,
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _manage(actor: User | None) -> None:
    require(actor, Perm.GOVERNANCE_MANAGE)


def _audit(actor: User | None, action: str, obj: Model, **details: Any) -> None:
    audit_record(actor=actor, action=f"governance.{action}", obj=obj, details=details)


def _country(field: str, value: str, *, blank: bool = False) -> str:
    value = (value or "").upper()
    if blank and not value:
        return ""
    if value not in COUNTRY_REGION:
        raise invalid(field, f"'{value}' is not an ISO 3166-1 alpha-2 code.", "e.g. KE, BR, SG, FR, JO.")
    return value


def _text(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(field, "this field is required.", "Required.")
    return value


def _strings(field: str, values: Any) -> list[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise invalid(field, "expected a list of texts.", "A list of texts.")
    return [v.strip() for v in values if v.strip()]


def _move(field: str, current: str, to: str, transitions: dict[str, tuple[str, ...]], what: str) -> None:
    allowed = transitions[current]
    if to not in allowed:
        raise invalid(
            field,
            f"a {what} that is {current} cannot go to {to}; allowed: {', '.join(allowed) or 'nothing (final)'}.",
            f"Allowed from {current}: {', '.join(allowed) or 'none'}.",
        )


# --- Groups and memberships -----------------------------------------------------------------------


@transaction.atomic
def groups_ensure() -> int:
    """Create the expert group and the five regional working groups where missing (``accord
    init``, the demo); existing ones are left as they are. Returns how many were created."""
    wanted = [
        {
            "kind": GroupKind.GLOBAL,
            "region": "",
            "slug": EXPERT_GROUP_SLUG,
            "name": EXPERT_GROUP_NAME,
            "description": "Experts from police, industry and academia: exchange of information and good "
            "practices, advice on the programme's strategy; meets with the regional groups when needed.",
        }
    ] + [
        {
            "kind": GroupKind.REGIONAL,
            "region": region.value,
            "slug": f"rwg-{region.value.replace('_', '-')}",
            "name": f"Regional Working Group for Heads of Cybercrime Units: {region.label}",
            "description": f"Heads of the cybercrime units of {region.label}: regular themed meetings, "
            "recommendations on capability development, operations, prevention and regional frameworks, "
            "and the planning of joint operations.",
        }
        for region in Region
    ]
    created = 0
    for fields in wanted:
        exists = Group.objects.filter(kind=fields["kind"], region=fields["region"]).exists()
        if not exists:
            group = Group.objects.create(**fields)
            _audit(None, "group.create", group, name=group.name)
            created += 1
    return created


def _may_join(group: Group, organisation: Organisation) -> None:
    if organisation.status != OrganisationStatus.ACTIVE:
        raise invalid(
            "person",
            f"{organisation.name} is {organisation.status}; only people of active organisations join a group.",
            "A person of an active organisation.",
        )
    if group.kind == GroupKind.REGIONAL:
        if organisation.kind != OrganisationKind.LAW_ENFORCEMENT:
            raise invalid(
                "person",
                f"a regional working group admits heads of law-enforcement units; {organisation.name} is "
                f"{organisation.get_kind_display().lower()}.",
                "A person of a law-enforcement organisation of the region.",
            )
        if organisation.region != group.region:
            raise invalid(
                "person",
                f"{organisation.name} is in {Region(organisation.region).label}, not in "
                f"{Region(group.region).label}: a regional working group admits units of its own region.",
                f"A person of a law-enforcement organisation in {Region(group.region).label}.",
            )
    elif organisation.kind not in EXPERT_KINDS:
        raise invalid("person", "the expert group admits police, private and academic experts.")


@transaction.atomic
def membership_add(
    *,
    actor: User | None,
    group: Group,
    person: User,
    role: str = MembershipRole.MEMBER,
    term_start: date,
    term_end: date | None = None,
) -> Membership:
    """Seat a person in a group. Regional groups admit heads of law-enforcement units of their
    region; the expert group police, private and academic experts. One open seat per person and
    group; one chair (and one vice-chair) at a time."""
    _manage(actor)
    one_of("role", role, MembershipRole)
    if term_end is not None and term_end < term_start:
        raise invalid("term_end", "the term ends before it starts.", "On or after term_start.")
    _may_join(group, person.organisation)
    current = Membership.objects.filter(group=group).exclude(term_end__lt=term_start)
    if term_end is not None:
        current = current.exclude(term_start__gt=term_end)
    if current.filter(person=person).exists():
        raise invalid("person", f"{person} already holds a seat in {group.name} for that time.")
    if role in (MembershipRole.CHAIR, MembershipRole.VICE_CHAIR) and current.filter(role=role).exists():
        raise invalid("role", f"{group.name} already has a {MembershipRole(role).label.lower()} for that time.")
    membership = Membership.objects.create(
        group=group,
        person=person,
        organisation=person.organisation,
        role=role,
        term_start=term_start,
        term_end=term_end,
    )
    _audit(actor, "membership.add", membership, group=group.slug, person=person.username, role=role)
    return membership


@transaction.atomic
def membership_end(*, actor: User | None, membership: Membership, term_end: date) -> Membership:
    """End a seat's term (the record stays, for the meetings it attended)."""
    _manage(actor)
    if term_end < membership.term_start:
        raise invalid("term_end", "the term ends before it starts.", "On or after term_start.")
    membership.term_end = term_end
    membership.save(update_fields=["term_end"])
    _audit(actor, "membership.end", membership, term_end=term_end)
    return membership


def _is_member(person: User, groups: list[Group], day: date) -> bool:
    return (
        Membership.objects.filter(group__in=groups, person=person, term_start__lte=day)
        .exclude(term_end__lt=day)
        .exists()
    )


# --- Meetings -------------------------------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    *,
    actor: User | None,
    title: str,
    groups: list[Group],
    starts_at: datetime,
    ends_at: datetime,
    city: str,
    country: str,
    themes: list[str] | None = None,
    agenda: list[str] | None = None,
    guests: list[User] | None = None,
) -> Meeting:
    """Schedule a meeting of one group, or a joint meeting of the expert group with regional
    groups (several groups, the expert group among them)."""
    _manage(actor)
    if not groups:
        raise invalid("groups", "name at least one group.", "One group, or the expert group with regional groups.")
    if len(groups) > 1 and not any(g.kind == GroupKind.GLOBAL for g in groups):
        raise invalid(
            "groups",
            "a joint meeting is the expert group meeting with regional groups; the expert group is not among them.",
            "The expert group with one or more regional groups.",
        )
    if ends_at <= starts_at:
        raise invalid("ends_at", "the meeting ends before it starts.", "After starts_at.")
    meeting = Meeting.objects.create(
        title=_text("title", title),
        starts_at=starts_at,
        ends_at=ends_at,
        city=_text("city", city),
        country=_country("country", country),
        themes=_strings("themes", themes or []),
        agenda=_strings("agenda", agenda or []),
        created_by=actor,
    )
    meeting.groups.set(groups)
    meeting.guests.set(guests or [])
    _audit(
        actor,
        "meeting.schedule",
        meeting,
        title=meeting.title,
        groups=[g.slug for g in groups],
        starts_at=starts_at,
        guests=[g.username for g in guests or []],
    )
    return meeting


def _scheduled(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise invalid("status", "the meeting is cancelled; it takes no more changes.", "A scheduled meeting.")


@transaction.atomic
def meeting_update(
    *,
    actor: User | None,
    meeting: Meeting,
    title: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    city: str | None = None,
    country: str | None = None,
    themes: list[str] | None = None,
    agenda: list[str] | None = None,
) -> Meeting:
    """Change a scheduled meeting's title, date, place, themes or agenda (what is not given
    stays). Each change raises the calendar sequence; when invitations were already sent, the
    invitees get the updated invitation (same event UID). A cancelled meeting is not changed."""
    _manage(actor)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _scheduled(meeting)
    wanted: dict[str, Any] = {}
    if title is not None:
        wanted["title"] = _text("title", title)
    if city is not None:
        wanted["city"] = _text("city", city)
    if country is not None:
        wanted["country"] = _country("country", country)
    if themes is not None:
        wanted["themes"] = _strings("themes", themes)
    if agenda is not None:
        wanted["agenda"] = _strings("agenda", agenda)
    if starts_at is not None:
        wanted["starts_at"] = starts_at
    if ends_at is not None:
        wanted["ends_at"] = ends_at
    if wanted.get("ends_at", meeting.ends_at) <= wanted.get("starts_at", meeting.starts_at):
        raise invalid("ends_at", "the meeting ends before it starts.", "After starts_at.")
    changed = {name: value for name, value in wanted.items() if getattr(meeting, name) != value}
    if not changed:
        return meeting
    for name, value in changed.items():
        setattr(meeting, name, value)
    meeting.sequence += 1
    meeting.save(update_fields=[*changed, "sequence"])
    told: list[User] = []
    if meeting.invitations_sent_at is not None:
        told = _mail_invitees(
            meeting, template="governance/email/meeting_invitation", filename="invitation.ics", updated=True
        )
    _audit(
        actor,
        "meeting.update",
        meeting,
        changed=sorted(changed),
        sequence=meeting.sequence,
        updated=[p.username for p in told],
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: User | None, meeting: Meeting, reason: str) -> int:
    """Cancel a scheduled meeting, saying why. Every invitee (members of its groups on its date
    and guests) gets a cancellation e-mail with an iCalendar ``CANCEL`` for the same event UID,
    which takes it out of their calendars. Returns how many were told."""
    _manage(actor)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _scheduled(meeting)
    meeting.cancel_reason = _text("reason", reason)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancel_reason", "cancelled_at", "sequence"])
    invitees = _mail_invitees(
        meeting, template="governance/email/meeting_cancelled", filename="cancel.ics", method="CANCEL"
    )
    _audit(actor, "meeting.cancel", meeting, reason=meeting.cancel_reason, told=[p.username for p in invitees])
    return len(invitees)


@transaction.atomic
def meeting_set_minutes(*, actor: User | None, meeting: Meeting, minutes: str) -> Meeting:
    """Record (or correct) a meeting's minutes, in Markdown."""
    _manage(actor)
    meeting.minutes = minutes
    meeting.save(update_fields=["minutes"])
    _audit(actor, "meeting.minutes", meeting, sha256=hashlib.sha256(minutes.encode()).hexdigest())
    return meeting


@transaction.atomic
def attendance_record(*, actor: User | None, meeting: Meeting, person: User, status: str) -> Attendance:
    """Record that a person attended or sent apologies: a member of one of the meeting's groups
    on its date, or an invited guest. A cancelled meeting has no attendance."""
    _manage(actor)
    _scheduled(meeting)
    one_of("status", status, AttendanceStatus)
    day = timezone.localtime(meeting.starts_at).date()
    groups = list(meeting.groups.all())
    if not _is_member(person, groups, day) and not meeting.guests.filter(pk=person.pk).exists():
        raise invalid(
            "person",
            f"{person} is neither a member of the meeting's groups on {day} nor an invited guest.",
            "A member of the meeting's groups, or an invited guest.",
        )
    attendance, _ = Attendance.objects.update_or_create(meeting=meeting, person=person, defaults={"status": status})
    _audit(actor, "meeting.attendance", meeting, person=person.username, status=status)
    return attendance


@transaction.atomic
def meeting_attach_document(
    *, actor: User | None, meeting: Meeting, title: str, stream: IO[bytes], filename: str
) -> MeetingDocument:
    """Attach a paper to a meeting, kept with its SHA-256."""
    _manage(actor)
    content = stream.read()
    if not content:
        raise invalid("file", "the file is empty.")
    digest = hashlib.sha256(content).hexdigest()
    document = MeetingDocument(
        meeting=meeting, title=_text("title", title), sha256=digest, size=len(content), uploaded_by=actor
    )
    document.file.save(filename or "document", ContentFile(content), save=False)
    document.save()
    _audit(actor, "meeting.document", meeting, title=document.title, sha256=digest)
    return document


def _mail_invitees(
    meeting: Meeting, *, template: str, filename: str, method: str = "REQUEST", updated: bool = False
) -> list[User]:
    """Queue one e-mail per invitee (after commit), each with the meeting's iCalendar event
    (``method`` REQUEST or CANCEL, the invitee as attendee). Returns the invitees."""
    invitees = _invitees(meeting)
    groups = list(meeting.groups.all())
    for person in invitees:
        mail_after_commit(
            to=person.email,
            template=template,
            context={"meeting": meeting, "person": person, "groups": groups, "updated": updated},
            attachments=[(filename, meeting_ics(meeting, attendee_email=person.email, method=method), "text/calendar")],
        )
    return invitees


def _invitees(meeting: Meeting) -> list[User]:
    day = timezone.localtime(meeting.starts_at).date()
    members = User.objects.filter(
        memberships__group__in=meeting.groups.all(), memberships__term_start__lte=day, is_active=True
    ).exclude(memberships__term_end__lt=day)
    people = {p.pk: p for p in members}
    people |= {p.pk: p for p in meeting.guests.filter(is_active=True)}
    return sorted((p for p in people.values() if p.email), key=lambda p: p.email)


@transaction.atomic
def meeting_invite(*, actor: User | None, meeting: Meeting) -> int:
    """E-mail an invitation with an iCalendar attachment to every member of the meeting's groups
    and every guest. Sending again sends the update (same event UID). Returns the count."""
    _manage(actor)
    _scheduled(meeting)
    invitees = _mail_invitees(meeting, template="governance/email/meeting_invitation", filename="invitation.ics")
    meeting.invitations_sent_at = timezone.now()
    meeting.save(update_fields=["invitations_sent_at"])
    _audit(actor, "meeting.invite", meeting, invited=[p.username for p in invitees])
    return len(invitees)


# --- Recommendations and action items ------------------------------------------------------------


@transaction.atomic
def recommendation_create(
    *,
    actor: User | None,
    meeting: Meeting,
    group: Group,
    title: str,
    area: str,
    text: str = "",
    owner: User | None = None,
    due_date: date | None = None,
) -> Recommendation:
    """Record a recommendation made at a meeting by one of its groups (status ``proposed``);
    a cancelled meeting makes none."""
    _manage(actor)
    _scheduled(meeting)
    one_of("area", area, RecommendationArea)
    if not meeting.groups.filter(pk=group.pk).exists():
        raise invalid("group", f"{group.name} did not take part in this meeting.", "One of the meeting's groups.")
    recommendation = Recommendation.objects.create(
        meeting=meeting,
        group=group,
        title=_text("title", title),
        text=text,
        area=area,
        owner=owner,
        due_date=due_date,
    )
    _audit(actor, "recommendation.create", recommendation, title=recommendation.title, group=group.slug, area=area)
    return recommendation


@transaction.atomic
def recommendation_transition(
    *, actor: User | None, recommendation: Recommendation, to: str, note: str = ""
) -> Recommendation:
    """Move a recommendation along ``proposed → adopted → in_progress → implemented | rejected``
    (no step skipped); a rejection needs a note saying why."""
    _manage(actor)
    one_of("to", to, RecommendationStatus)
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    _move("to", recommendation.status, to, RECOMMENDATION_TRANSITIONS, "recommendation")
    if to == RecommendationStatus.REJECTED and not note.strip():
        raise invalid("note", "a rejection needs a note saying why.", "Required when rejecting.")
    previous = recommendation.status
    recommendation.status = to
    recommendation.save(update_fields=["status", "updated_at"])
    RecommendationNote.objects.create(
        recommendation=recommendation, author=actor, status=to, body=note.strip() or f"{previous} → {to}"
    )
    _audit(actor, "recommendation.transition", recommendation, status_from=previous, to=to, note=note)
    return recommendation


@transaction.atomic
def recommendation_note(*, actor: User | None, recommendation: Recommendation, body: str) -> RecommendationNote:
    """Add a progress note to a recommendation."""
    _manage(actor)
    note = RecommendationNote.objects.create(
        recommendation=recommendation, author=actor, status=recommendation.status, body=_text("body", body)
    )
    _audit(actor, "recommendation.note", recommendation, note=note.pk)
    return note


def recommendations_overdue_daily(*, today: date | None = None) -> list[int]:
    """The daily job (``ACCORD_DAILY_JOBS``): e-mail the owner of every open recommendation
    whose due date has passed, once per recommendation (``overdue_notified_at`` marks it, so
    running again sends nothing). Returns the recommendations whose owners were told."""
    today = today or timezone.localdate()
    told: list[int] = []
    with transaction.atomic():
        due = (
            Recommendation.objects.select_for_update(of=("self",))
            .filter(
                status__in=OPEN_RECOMMENDATION_STATUSES,
                due_date__lt=today,
                overdue_notified_at__isnull=True,
                owner__isnull=False,
                owner__is_active=True,
            )
            .exclude(owner__email="")
            .select_related("owner", "group", "meeting")
            .order_by("pk")
        )
        for recommendation in due:
            assert recommendation.owner is not None  # noqa: S101 - filtered above
            mail_after_commit(
                to=recommendation.owner.email,
                template="governance/email/recommendation_overdue",
                context={"recommendation": recommendation, "person": recommendation.owner, "today": today},
            )
            recommendation.overdue_notified_at = timezone.now()
            recommendation.save(update_fields=["overdue_notified_at"])
            _audit(None, "recommendation.overdue_notice", recommendation, owner=recommendation.owner.username)
            told.append(recommendation.pk)
    return told


@transaction.atomic
def action_item_add(
    *,
    actor: User | None,
    recommendation: Recommendation,
    description: str,
    owner: User | None = None,
    due_date: date | None = None,
) -> ActionItem:
    """Add an action item to an open recommendation."""
    _manage(actor)
    if recommendation.status in (RecommendationStatus.IMPLEMENTED, RecommendationStatus.REJECTED):
        raise invalid("recommendation", f"the recommendation is {recommendation.status}; it takes no new actions.")
    item = ActionItem.objects.create(
        recommendation=recommendation, description=_text("description", description), owner=owner, due_date=due_date
    )
    _audit(actor, "action_item.add", recommendation, item=item.pk, description=item.description)
    return item


@transaction.atomic
def action_item_complete(*, actor: User | None, item: ActionItem) -> ActionItem:
    """Mark an action item done."""
    _manage(actor)
    if item.done_at is not None:
        raise invalid("item", "this action item is already done.")
    item.done_at = timezone.now()
    item.save(update_fields=["done_at"])
    _audit(actor, "action_item.complete", item.recommendation, item=item.pk)
    return item


# --- Good practices -------------------------------------------------------------------------------


@transaction.atomic
def practice_create(
    *,
    actor: User | None,
    group: Group,
    title: str,
    topic: str,
    body: str = "",
    tags: list[str] | None = None,
    tlp: str = Tlp.AMBER,
    stream: IO[bytes] | None = None,
    filename: str = "",
) -> GoodPractice:
    """Share a good practice (a note, a document or both) in a group's library. Programme
    managers and the group's current members may share; TLP:RED has no place in a library."""
    if actor is not None and not has_perm(actor, Perm.GOVERNANCE_MANAGE):
        if not _is_member(actor, [group], timezone.localdate()):
            raise Forbidden(f"Only members of {group.name} share in its library.")
    one_of("topic", topic, PracticeTopic)
    one_of("tlp", tlp, Tlp)
    if tlp == Tlp.RED:
        raise invalid("tlp", "TLP:RED is for named people, not for a library.", "CLEAR, GREEN, AMBER or AMBER+STRICT.")
    content = stream.read() if stream is not None else b""
    if not body.strip() and not content:
        raise invalid("body", "share a note, a document, or both.", "A body or a document.")
    practice = GoodPractice(
        group=group,
        title=_text("title", title),
        topic=topic,
        body=body,
        tags=sorted({t.lower() for t in _strings("tags", tags or [])}),
        tlp=tlp,
        author=actor,
    )
    if content:
        practice.document_sha256 = hashlib.sha256(content).hexdigest()
        practice.document.save(filename or "document", ContentFile(content), save=False)
    practice.save()
    _audit(actor, "practice.create", practice, title=practice.title, group=group.slug, tlp=tlp)
    return practice


# --- Joint operations -----------------------------------------------------------------------------


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
    name = _text("name", name)
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
    _move("to", operation.status, to, OPERATION_TRANSITIONS, "operation")
    update = ["status"]
    if to == OperationStatus.CLOSED:
        operation.closing_summary = _text("closing_summary", closing_summary)
        update.append("closing_summary")
        if operation.end_date is None:
            operation.end_date = max(timezone.localdate(), operation.start_date)
            update.append("end_date")
    previous = operation.status
    operation.status = to
    operation.save(update_fields=update)
    _audit(actor, "operation.transition", operation, status_from=previous, to=to)
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
        operation=operation, name=_text("name", name), start_date=start_date, end_date=end_date, description=description
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
    if not visible(actor, StixObject.objects.filter(stix_id=stix_id), Action.VIEW).exists():
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


@transaction.atomic
def operation_unlink_object(*, actor: User, operation: Operation, stix_id: str) -> None:
    """Remove a linked object from the operation (and from its TAXII collection)."""
    _may_link(actor)
    deleted, _ = operation.object_links.filter(stix_id=stix_id).delete()
    if not deleted:
        raise invalid("stix_id", f"{stix_id} is not linked to this operation.")
    _sync_collection(operation)
    _audit(actor, "operation.unlink", operation, stix_id=stix_id)


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
    _may_link(actor)
    deleted, _ = operation.campaign_links.filter(campaign_id=campaign).delete()
    if not deleted:
        raise invalid("campaign", f"campaign {campaign} is not linked to this operation.")
    _sync_collection(operation)
    _audit(actor, "operation.unlink_campaign", operation, campaign=campaign)


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
        country=_country("country", country, blank=True),
        currency=currency,
        note=note,
        recorded_by=actor,
        **values,
    )
    _audit(actor, "operation.outcome", operation, outcome=outcome.pk, currency=currency, **values)
    return outcome


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
        theme=_text("theme", theme),
        venue=_text("venue", venue),
        city=_text("city", city),
        country=_country("country", country),
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
        title=_text("title", title),
        abstract=_text("abstract", abstract),
        speaker_name=_text("speaker_name", speaker_name),
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
    _move("to", paper.status, to, PAPER_TRANSITIONS, "paper")
    if to in (PaperStatus.ACCEPTED, PaperStatus.REJECTED) and not note.strip():
        raise invalid("note", "a decision needs a note for the author.", "Required.")
    previous = paper.status
    paper.status = to
    paper.review_note = note.strip() or paper.review_note
    paper.save(update_fields=["status", "review_note"])
    _audit(actor, "paper.review", paper, status_from=previous, to=to)
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
        _text("speakers", speaker.get("name", ""))
    session = ConferenceSession.objects.create(
        edition=edition,
        title=_text("title", title),
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
    country = _country("country", country)
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
        name=_text("name", name),
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
