"""The opaque ``next`` of TAXII 2.1 §3.4 as a signed keyset cursor.

A token holds the position of the last object served (``date_added``, row id) and a digest of
the filters, collection and asker it belongs to, signed with the site's secret key. Any worker
of any node reads it back, after any restart, without server-side state; a token that was
altered, or that is replayed with other filters, is refused.
"""

from __future__ import annotations

from datetime import datetime

from django.core import signing

from accord.core.errors import ValidationFailed
from accord.taxii.filters import parse_timestamp, stamp

__all__ = ["Position", "next_decode", "next_encode"]

_SALT = "accord.taxii.next"

Position = tuple[datetime, int]


def next_encode(position: Position, binding: str) -> str:
    """The token for the page after ``position`` under filters digested as ``binding``."""
    return signing.dumps([stamp(position[0]), position[1], binding], salt=_SALT)


def next_decode(token: str, binding: str) -> Position:
    """The position a token names; a 400 if it was tampered with or belongs to other filters."""
    try:
        added, pk, bound = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationFailed(
            "next: not a token this server issued (or it was altered).", details={"next": ["Invalid."]}
        ) from None
    if bound != binding or not isinstance(pk, int) or not isinstance(added, str):
        raise ValidationFailed(
            "next: this token belongs to another request; repeat the filters of the request that returned it.",
            details={"next": ["Issued for other filters."]},
        )
    return parse_timestamp(added, "next"), pk
