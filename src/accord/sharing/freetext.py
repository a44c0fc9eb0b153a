"""Free text reviewed before it is shared, as MISP's free-text import: the values a text names
are found and shown, the person unticks or retypes them, and only what they keep is stored.

Nothing is stored before the commit: the values found travel in the review form as a signed
draft (:func:`draft_dumps`), which the commit reads back (:func:`draft_loads`), so a draft
cannot be altered (its sentences, the values found) nor kept past :data:`DRAFT_MAX_AGE`.

Whether a value is known to be benign (the MISP warning lists, local exclusion lists) is asked
of the checks registered here (:func:`register_value_check`): the analysis app, above this one,
registers its own at start-up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.core import signing

from accord.core.errors import ValidationFailed
from accord.formats.text import TextReader

__all__ = [
    "DRAFT_MAX_AGE",
    "MAX_CANDIDATES",
    "Candidate",
    "ValueCheck",
    "draft_dumps",
    "draft_loads",
    "extract",
    "register_value_check",
    "value_notes",
]

# Values one review shows: each posts up to three fields (kept, type, value), and Django refuses
# a form of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000). A longer list is shared as a file.
MAX_CANDIDATES = 300
DRAFT_MAX_AGE = 24 * 3600  # seconds a review stays valid
_SALT = "accord.sharing.freetext"

# Given a type and canonical values of that type, why some are known to be benign (by value).
ValueCheck = Callable[[str, Iterable[str]], dict[str, str]]
_CHECKS: list[ValueCheck] = []


def register_value_check(check: ValueCheck) -> None:
    """Add a check the review consults for each type of value found (idempotent)."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def value_notes(kind: str, values: Iterable[str]) -> dict[str, str]:
    """Why values of one type are known to be benign, by value, as the registered checks say
    (the first that names a value wins); nothing with no check registered."""
    wanted = list(values)
    notes: dict[str, str] = {}
    for check in _CHECKS:
        rest = [value for value in wanted if value not in notes]
        if not rest:
            break
        notes.update((value, reason) for value, reason in check(kind, rest).items() if reason)
    return notes


@dataclass(frozen=True)
class Candidate:
    """One value found in the text: its type and canonical value, the sentence it came from (the
    other sensitive values in it masked), and why it is known to be benign ("" when not)."""

    type: str
    value: str
    context: str
    benign: str = ""


def extract(text: str) -> tuple[list[Candidate], int]:
    """The values ``text`` names (the free-text reader's, each once, in the order named), each
    with its warning-list hit, the first :data:`MAX_CANDIDATES`; and how many were found."""
    mentions = TextReader().mentions(text)
    shown = mentions[:MAX_CANDIDATES]
    by_type: dict[str, list[str]] = {}
    for mention in shown:
        by_type.setdefault(mention.type, []).append(mention.value)
    notes = {
        (kind, value): reason for kind, values in by_type.items() for value, reason in value_notes(kind, values).items()
    }
    found = [Candidate(m.type, m.value, m.context, notes.get((m.type, m.value), "")) for m in shown]
    return found, len(mentions)


def draft_dumps(candidates: list[Candidate], **settings: str | bool) -> str:
    """The review's draft (the values found, and the sharing settings chosen: TLP, agreement,
    file name), signed and compressed, to carry in the form."""
    payload = {"candidates": [asdict(c) for c in candidates], "settings": settings}
    return signing.dumps(payload, salt=_SALT, compress=True)


def draft_loads(token: str) -> tuple[list[Candidate], dict[str, Any]]:
    """The draft :func:`draft_dumps` signed: a 400 when it is altered, not a draft, or older than
    :data:`DRAFT_MAX_AGE` (the text is to be reviewed again)."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=DRAFT_MAX_AGE)
        candidates = [Candidate(**row) for row in payload["candidates"]]
        settings = dict(payload["settings"])
    except signing.SignatureExpired as exc:
        raise ValidationFailed("draft: this review is over a day old; paste the text again.") from exc
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise ValidationFailed("draft: this review was altered or is not one; paste the text again.") from exc
    return candidates, settings
