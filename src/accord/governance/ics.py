"""iCalendar (RFC 5545) invitations for meetings, attached to the invitation e-mails."""

from __future__ import annotations

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress

from accord.core.regions import country_name
from accord.governance.models import Meeting

__all__ = ["meeting_ics"]


def meeting_ics(meeting: Meeting, *, attendee_email: str = "", method: str = "REQUEST") -> bytes:
    """One VEVENT for ``meeting`` in a ``METHOD:REQUEST`` calendar; its UID is stable, so a
    second invitation updates the event in the recipient's calendar rather than adding one.
    ``method="CANCEL"`` (with ``STATUS:CANCELLED``, same UID) removes it from the calendar."""
    calendar = Calendar()
    calendar.add("prodid", "-//Accord//Governance//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    host = settings.ACCORD_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    event.add("uid", f"meeting-{meeting.pk}@{host}")
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("dtstamp", meeting.created_at)
    event.add("sequence", meeting.sequence)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    event.add("location", f"{meeting.city}, {country_name(meeting.country)}")
    lines = [f"Themes: {', '.join(meeting.themes)}"] if meeting.themes else []
    lines += [f"{n}. {item}" for n, item in enumerate(meeting.agenda, start=1)]
    event.add("description", "\n".join(lines))
    event.add("url", f"{settings.ACCORD_BASE_URL}/governance/meetings/{meeting.pk}/")
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
