"""Public ids: the numbers readers meet for rows of shared data, a keyed permutation of row ids.

Rows are numbered in the order they were stored, across every organisation. Shown as they are,
the gap between two of a partner's own rows would count what others stored meanwhile, hidden
rows included. So wherever an id of a covered model (:data:`COVERED`) leaves the server (API,
web pages, CLI) it is the row id under a keyed pseudo-random permutation, and wherever one comes
in it is mapped back; the tables, the bulk ingest's id allocation, orderings and keyset paging
keep the row ids (see ``docs/decisions.md``).

The permutation is a Feistel network of eight rounds over 53 bits, with keyed BLAKE2b (a MAC by
design, RFC 7693; as strong a round function as HMAC-SHA256 at a third of its cost) as round
function, cycle-walked around 0 to the domain ``1 .. 2**53 - 1``: a public id is a positive integer
that JSON numbers carry exactly in any browser, and a bijection of the domain, so no two rows
share one and every public id names at most one row. Row ids must stay below ``2**53``
(nine quadrillion rows). The key is derived from ``ACCORD_ID_KEY``, so public ids survive a change
of the secret key exactly as minted STIX ids do.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from django.conf import settings

__all__ = ["COVERED", "LIMIT", "PublicIdConverter", "RowId", "decode", "encode", "is_covered", "parse", "permute_below"]

LIMIT = 2**53
"""Public ids and row ids are the integers ``1 .. LIMIT - 1``."""

# Labels of the models whose ids a reader meets through the interfaces and could learn from:
# what partners share, what the ingest made of it, and the feedback on it.
COVERED: frozenset[str] = frozenset(
    {
        "sharing.submission",
        "sharing.stixobject",
        "sharing.observable",
        "analysis.sighting",
        "enrichment.enrichment",
    }
)

# An unbalanced Feistel network over exactly 53 bits: a 26-bit and a 27-bit part, each round
# mixing one into the other (the structure of NIST SP 800-38G's FF1, with exclusive-or).
_BITS = (26, 27)
_MASKS = ((1 << 26) - 1, (1 << 27) - 1)
_ROUNDS = 8


def is_covered(model: Any) -> bool:
    """Whether ids of ``model`` (a class or an instance) go out as public ids."""
    return bool(model._meta.label_lower in COVERED)


@lru_cache(maxsize=4)
def _round_functions(id_key: str) -> tuple[bytes, ...]:
    """One key per round, derived from the installation's id key (and used for nothing else)."""
    key = hmac.new(id_key.encode(), b"accord public row ids", hashlib.sha256).digest()
    return tuple(hmac.new(key, bytes([i]), hashlib.sha256).digest() for i in range(_ROUNDS))


def _rounds() -> tuple[bytes, ...]:
    return _round_functions(settings.ACCORD_ID_KEY)


def _f(key: bytes, part: int, mask: int) -> int:
    digest = hashlib.blake2b(part.to_bytes(4, "big"), key=key, digest_size=4).digest()
    return int.from_bytes(digest, "big") & mask


def _forward(x: int, rounds: tuple[bytes, ...]) -> int:
    a, b = x >> _BITS[1], x & _MASKS[1]
    for i, key in enumerate(rounds):
        a, b = b, a ^ _f(key, b, _MASKS[i % 2])
    return (a << _BITS[1]) | b


def _backward(x: int, rounds: tuple[bytes, ...]) -> int:
    a, b = x >> _BITS[1], x & _MASKS[1]
    for i in reversed(range(len(rounds))):
        a, b = b ^ _f(rounds[i], a, _MASKS[i % 2]), a
    return (a << _BITS[1]) | b


def _in_domain(value: int) -> bool:
    return 0 < value < LIMIT


@lru_cache(maxsize=65536)
def _encode(row: int, id_key: str) -> int:
    rounds = _round_functions(id_key)
    # Cycle walking: the permutation of 0 .. 2**53 - 1, applied again while it lands on 0, is a
    # permutation of the domain (the walk from a member of it comes back to it).
    value = _forward(row, rounds)
    while not _in_domain(value):
        value = _forward(value, rounds)
    return value


def encode(row: int) -> int:
    """The public id of row ``row``; a ``ValueError`` for a row id outside the domain."""
    if not isinstance(row, int) or isinstance(row, bool) or not _in_domain(row):
        raise ValueError(f"row id outside 1 .. 2**53 - 1: {row!r}")
    return _encode(int(row), settings.ACCORD_ID_KEY)


def decode(public: int) -> int:
    """The row id a public id names; a ``ValueError`` for one outside the domain."""
    if not isinstance(public, int) or isinstance(public, bool) or not _in_domain(public):
        raise ValueError(f"public id outside 1 .. 2**53 - 1: {public!r}")
    rounds = _rounds()
    value = _backward(int(public), rounds)
    while not _in_domain(value):
        value = _backward(value, rounds)
    return value


@lru_cache(maxsize=8)
def _labelled_rounds(id_key: str, label: str) -> tuple[bytes, ...]:
    key = hmac.new(id_key.encode(), label.encode(), hashlib.sha256).digest()
    return tuple(hmac.new(key, bytes([i]), hashlib.sha256).digest() for i in range(_ROUNDS))


@lru_cache(maxsize=65536)
def _permute_below(row: int, size: int, label: str, id_key: str) -> int:
    rounds = _labelled_rounds(id_key, label)
    # An unbalanced network over just the bits ``size`` needs (as for public ids), so that the
    # walk below leaves the range rarely: fewer than two steps on average.
    bits = max(2, (size - 1).bit_length())
    low = bits - bits // 2
    masks = ((1 << (bits // 2)) - 1, (1 << low) - 1)
    value = row
    while True:
        a, b = value >> low, value & masks[1]
        for i, key in enumerate(rounds):
            a, b = b, a ^ _f(key, b, masks[i % 2])
        value = (a << low) | b
        if 0 < value < size:  # cycle walking, as for public ids
            return value


def permute_below(row: int, size: int, label: str) -> int:
    """A keyed permutation of ``1 .. size - 1`` (``row`` among them), one per ``label``: numbers
    that must stay in a small range and be stable (a detection rule's ``sid``) without telling
    the row they come from. A ``ValueError`` for a row outside the range."""
    if not 0 < row < size:
        raise ValueError(f"row id outside 1 .. {size - 1}: {row!r}")
    return _permute_below(int(row), size, label, settings.ACCORD_ID_KEY)


class RowId(int):
    """A row id read from a public id in a request, remembering the text as sent.

    ``str()`` and f-strings give that text, so that a message naming the id ("No submission 83…
    (or you may not see it).") names what the asker sent, never the row it maps to. Text that is
    no public id (not a number, not in canonical form, out of the domain) reads as row 0, which
    no row has: it gets the very answer of a missing row."""

    text: str

    def __new__(cls, row: int, text: str) -> RowId:
        value = super().__new__(cls, row)
        value.text = text
        return value

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"RowId({self.text!r})"

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)


def parse(text: Any) -> RowId:
    """The row a public id given as text (a URL part, a query parameter, a CLI argument) names."""
    text = str(text)
    # "²" is a digit to str.isdigit, not a number; "012" is not how a public id is written
    if text.isascii() and text.isdigit() and len(text) < 20 and str(int(text)) == text and _in_domain(int(text)):
        return RowId(decode(int(text)), text)
    return RowId(0, text)


class PublicIdConverter:
    """``<public_id:pk>``: a covered model's id in a URL. ``reverse()`` and ``{% url %}`` take the
    row id and write its public id; the view receives a :class:`RowId`. Any text matches, so that
    a malformed id reaches the view and gets the answer of a missing one."""

    regex = "[^/]+"

    def to_python(self, value: str) -> RowId:
        return parse(value)

    def to_url(self, value: Any) -> str:
        return str(encode(int(value)))
