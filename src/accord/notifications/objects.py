"""Where webhooks get the objects newly visible to their organisation, and the versions withdrawn
from its view: ports the TAXII app fills.

Notifications sit low in the layers and know nothing of the policy or the store; the TAXII app
registers :func:`register_object_source` and :func:`register_withdrawal_source` in its
``AppConfig.ready`` with the reads its collections give the organisation, so that a webhook
receives exactly what a TAXII client of the same person would, and the policy is decided in one
place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accord.notifications.models import Webhook

__all__ = [
    "ObjectPage",
    "ObjectSource",
    "object_source",
    "register_object_source",
    "register_withdrawal_source",
    "withdrawal_source",
]


@dataclass(frozen=True)
class ObjectPage:
    """Objects (or withdrawal entries: JSON, as sent) after a position, the position of the last row read (``None``:
    nothing after it), and whether more follow."""

    objects: list[bytes] = field(default_factory=list)
    last: tuple[datetime, int] | None = None
    more: bool = False


# (webhook, after (date added, id), limit, now) -> the page
ObjectSource = Callable[["Webhook", tuple[datetime, int], int, datetime], ObjectPage]

_SOURCE: list[ObjectSource] = []
_WITHDRAWALS: list[ObjectSource] = []


def register_object_source(source: ObjectSource) -> None:
    """Install the read of newly visible objects (one; a second replaces it)."""
    _SOURCE[:] = [source]


def object_source() -> ObjectSource:
    """The installed read; without one, nothing is ever visible."""
    if _SOURCE:
        return _SOURCE[0]
    return lambda webhook, after, limit, now: ObjectPage()


def register_withdrawal_source(source: ObjectSource) -> None:
    """Install the read of versions withdrawn from an organisation's view, after a position of
    (date withdrawn, row id): each entry ``{"id", "version", "date_withdrawn"}`` (one; a second
    replaces it)."""
    _WITHDRAWALS[:] = [source]


def withdrawal_source() -> ObjectSource:
    """The installed read of withdrawals; without one, nothing is ever withdrawn."""
    if _WITHDRAWALS:
        return _WITHDRAWALS[0]
    return lambda webhook, after, limit, now: ObjectPage()
