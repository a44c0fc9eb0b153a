"""The event types Accord tells people of: one registry, read by the inbox, the preferences page,
e-mail and webhooks.

An app that tells of something new registers its type here (``register``) at import or in its
``AppConfig.ready``; the types every app shares are registered below. Each type says where each
role is told by default (a person's own preference overrides it) and whether an organisation's
webhooks may subscribe to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.core.choices import Role
from accord.notifications.choices import Channel

__all__ = [
    "OBJECT_VISIBLE",
    "OBJECT_WITHDRAWN",
    "EVENT_TYPES",
    "EventType",
    "event_type",
    "register",
    "webhook_event_types",
]

# Not told to people: what a webhook receives of the objects newly visible to its organisation
# (STIX 2.1 objects as the TAXII read gives them).
OBJECT_VISIBLE = "object.visible"
# Not told to people: what a webhook receives of the versions withdrawn from its organisation's
# view (an agreement suspended, an object revoked, an addressee removed), as its TAXII
# ``withdrawn/`` read lists them.
OBJECT_WITHDRAWN = "object.withdrawn"


@dataclass(frozen=True)
class EventType:
    """One kind of event: its key (``agreement.expiring``), label, what it is about, the channel
    each role gets by default (``default`` for the others), the e-mail template (first line the
    subject; none: the caller gives ``title`` and ``text``), and whether webhooks may take it."""

    key: str
    label: str
    description: str
    defaults: dict[str, str] = field(default_factory=dict)
    default: str = Channel.IN_APP
    template: str = ""
    webhook: bool = True
    people: bool = True  # told to people (False: webhooks only)

    def channel_for(self, role: str) -> str:
        return self.defaults.get(role, self.default)


EVENT_TYPES: dict[str, EventType] = {}


def register(event: EventType) -> EventType:
    """Add an event type (a key registered twice must be the same type)."""
    known = EVENT_TYPES.get(event.key)
    if known is not None and known != event:
        raise ValueError(f"Event type {event.key} is registered already, differently.")
    EVENT_TYPES[event.key] = event
    return event


def event_type(key: str) -> EventType:
    """The registered type ``key`` (a ``KeyError`` names the known ones)."""
    try:
        return EVENT_TYPES[key]
    except KeyError:
        raise KeyError(f"Unknown event type {key!r}; known: {', '.join(sorted(EVENT_TYPES))}.") from None


def webhook_event_types() -> list[EventType]:
    return sorted((e for e in EVENT_TYPES.values() if e.webhook), key=lambda e: e.key)


_BOTH = Channel.BOTH
_MAIL = Channel.EMAIL
_INBOX = Channel.IN_APP
_CONTRIBUTOR, _READER, _MANAGER = Role.PARTNER_CONTRIBUTOR, Role.PARTNER_READER, Role.PROGRAMME_MANAGER

for _event in (
    EventType(
        "application.received",
        "Partnership application received",
        "An organisation applied to become a partner (the applicant is e-mailed its receipt).",
        webhook=False,
    ),
    EventType(
        "application.decided",
        "Partnership application decided",
        "An application was approved or declined (the applicant is e-mailed the decision).",
        webhook=False,
    ),
    EventType(
        "account.invitation",
        "Account invitation",
        "A person's account was opened: the link to set a password.",
        default=_MAIL,
        template="partners/email/invitation",
        webhook=False,
    ),
    EventType(
        "agreement.expiring",
        "Agreement expiring",
        "An agreement of your organisation ends in 30 or 7 days.",
        {_CONTRIBUTOR: _BOTH, _MANAGER: _BOTH},
    ),
    EventType(
        "agreement.activated",
        "Agreement activated",
        "An agreement of your organisation came into force.",
        {_CONTRIBUTOR: _BOTH},
    ),
    EventType(
        "agreement.suspended",
        "Agreement suspended",
        "An agreement of your organisation was suspended.",
        {_CONTRIBUTOR: _BOTH, _READER: _BOTH},
    ),
    EventType("submission.finished", "Submission finished", "Data you shared was stored: its counts."),
    EventType("submission.failed", "Submission failed", "Data you shared could not be stored, and why.", default=_BOTH),
    EventType(
        "object.correlated",
        "Your data correlated",
        "An object your organisation shared mentions a value another organisation's object mentions.",
        {_CONTRIBUTOR: _BOTH},
    ),
    EventType(
        "object.sighted",
        "Your data was sighted",
        "A partner reported seeing a value your organisation shared.",
        {_CONTRIBUTOR: _BOTH},
    ),
    EventType(
        "campaign.grew", "Campaign grew or merged", "A campaign holding your organisation's data grew or merged."
    ),
    EventType(
        "report.addressed",
        "Report addressed to you",
        "An intelligence report was disseminated to your organisation.",
        {_CONTRIBUTOR: _BOTH, _READER: _BOTH},
    ),
    EventType(
        "secondment.reminder",
        "Secondment reminder",
        "A placement ends soon, or an expert's clearance expires during one.",
        default=_BOTH,
        webhook=False,
    ),
    EventType(
        "training.reminder",
        "Training reminder",
        "A course session you are enrolled in starts soon.",
        default=_BOTH,
        webhook=False,
    ),
    EventType(
        "meeting.invitation",
        "Meeting invitation",
        "You are invited to a meeting (with its calendar event).",
        default=_BOTH,
        webhook=False,
    ),
    EventType(
        "meeting.changed",
        "Meeting changed",
        "A meeting you are invited to moved or was cancelled.",
        default=_BOTH,
        webhook=False,
    ),
    EventType(
        "recommendation.overdue",
        "Recommendation overdue",
        "A recommendation you own is past its due date.",
        default=_BOTH,
        webhook=False,
    ),
    EventType(
        "webhook.disabled",
        "Webhook disabled",
        "A webhook of your organisation failed repeatedly and was turned off.",
        {_CONTRIBUTOR: _BOTH},
        webhook=False,
    ),
    EventType(
        OBJECT_VISIBLE,
        "New object visible to us",
        "STIX 2.1 objects newly visible to your organisation, as its TAXII read gives them (webhooks only).",
        default=Channel.NONE,
        people=False,
    ),
    EventType(
        OBJECT_WITHDRAWN,
        "Object withdrawn from us",
        "Ids and versions of objects withdrawn from your organisation's view (an agreement suspended, an object "
        "revoked, an addressee removed), as its TAXII withdrawn/ read lists them (webhooks only).",
        default=Channel.NONE,
        people=False,
    ),
    EventType(
        "webhook.test",
        "Test event",
        "Sent by the “Send test event” button (webhooks only).",
        default=Channel.NONE,
        people=False,
    ),
):
    register(_event)
