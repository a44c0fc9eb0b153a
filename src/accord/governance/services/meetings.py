"""Meetings: scheduling, updates, minutes, attendance, documents and invitations."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accord.core import guards
from accord.core.guards import invalid, one_of
from accord.core.models import User
from accord.governance.choices import AttendanceStatus, GroupKind, MeetingStatus
from accord.governance.ics import meeting_ics
from accord.governance.models import Attendance, Group, Meeting, MeetingDocument, Membership
from accord.governance.services._common import _audit, _manage
from accord.governance.services.groups import _is_member
from accord.notifications.services import notify

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
        title=guards.required_text("title", title),
        starts_at=starts_at,
        ends_at=ends_at,
        city=guards.required_text("city", city),
        country=guards.country("country", country),
        themes=guards.texts("themes", themes or []),
        agenda=guards.texts("agenda", agenda or []),
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
        wanted["title"] = guards.required_text("title", title)
    if city is not None:
        wanted["city"] = guards.required_text("city", city)
    if country is not None:
        wanted["country"] = guards.country("country", country)
    if themes is not None:
        wanted["themes"] = guards.texts("themes", themes)
    if agenda is not None:
        wanted["agenda"] = guards.texts("agenda", agenda)
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
    meeting.cancel_reason = guards.required_text("reason", reason)
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
        meeting=meeting, title=guards.required_text("title", title), sha256=digest, size=len(content), uploaded_by=actor
    )
    document.file.save(filename or "document", ContentFile(content), save=False)
    document.save()
    _audit(actor, "meeting.document", meeting, title=document.title, sha256=digest)
    return document


def _mail_invitees(
    meeting: Meeting, *, template: str, filename: str, method: str = "REQUEST", updated: bool = False
) -> list[User]:
    """Tell each invitee (``notify``: inbox and e-mail as they chose; the e-mail after commit),
    each with the meeting's iCalendar event (``method`` REQUEST or CANCEL, the invitee as
    attendee). Returns the invitees."""
    invitees = _invitees(meeting)
    groups = list(meeting.groups.all())
    event = "meeting.invitation" if method == "REQUEST" and not updated else "meeting.changed"
    for person in invitees:
        notify(
            event,
            people=[person],
            template=template,
            subject=meeting,
            link=f"/governance/meetings/{meeting.pk}/",
            context={"meeting": meeting, "groups": groups, "updated": updated},
            attachments=[(filename, meeting_ics(meeting, attendee_email=person.email, method=method), "text/calendar")],
        )
    return invitees


def _invitees(meeting: Meeting) -> list[User]:
    day = timezone.localtime(meeting.starts_at).date()
    seats = Membership.objects.active_on(day).filter(group__in=meeting.groups.all())
    members = User.objects.filter(memberships__in=seats, is_active=True)
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
