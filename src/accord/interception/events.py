"""The event types of payment interception, told through :mod:`accord.notifications`: in the
inbox and by e-mail at once by default (minutes count), and to the organisation's webhooks."""

from __future__ import annotations

from accord.notifications.choices import Channel
from accord.notifications.events import EventType, register

__all__ = ["EVENTS"]

EVENTS = {
    "raised": ("Interception request received", "A request to stop a fraudulent transfer is addressed to you."),
    "host_told": (
        "Interception request nobody can act on directly",
        "A request went to a country's unit, or to you, because no partner holds the account.",
    ),
    "acknowledged": ("Interception request acknowledged", "The addressee acknowledged a request you raised."),
    "outcome": ("Interception outcome reported", "The addressee reported an outcome of a request you raised."),
    "withdrawn": ("Interception request withdrawn", "A request addressed to you was withdrawn."),
    "escalated": ("Interception deadline passed", "A request's acknowledgement or first outcome is late."),
}

for _key, (_label, _description) in EVENTS.items():
    register(
        EventType(
            f"interception.{_key}",
            _label,
            _description,
            default=Channel.BOTH,
            template=f"interception/mail/{_key}",
        )
    )
