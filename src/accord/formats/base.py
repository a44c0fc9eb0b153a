"""The reader interface every format implements, and the shapes readers produce.

A reader turns a submission's bytes into :class:`ParsedObject` items — STIX 2.1 objects with the
observables they mention, already normalised — or :class:`ReadError` items that say where
(object index or line), which field, and what was expected. A :class:`ReadError` concerns one
part (an object, a row, an attribute): that part alone is refused. An :class:`Unreadable` says
the file as a whole cannot be read (malformed or truncated, not the format): it is the last
item a reader yields, and the submission is refused whole. Readers never touch the database;
the ingest service decides.
"""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, NamedTuple

from accord.formats.normalisers import NO_FACTS, InvalidObservable, normalise

__all__ = [
    "READERS",
    "Mention",
    "ParsedObject",
    "ReadError",
    "Reader",
    "Unreadable",
    "detect_format",
    "looks_like_json",
    "register",
]


class Mention(NamedTuple):
    """An observable an object mentions: canonical type and value, with its context and the
    facts its normaliser derived (registered domain, IBAN country and bank code …)."""

    type: str
    value: str
    context: str = ""
    extra: Mapping[str, Any] = NO_FACTS


@dataclass
class ParsedObject:
    """One STIX 2.1 object read from a submission, with where it came from."""

    where: str
    stix: dict[str, Any]
    mentions: list[Mention] = field(default_factory=list)
    tlp: str | None = None


@dataclass(frozen=True)
class ReadError:
    """Why one part of a submission (an object, a row, an attribute) cannot be taken: where,
    which field, what was expected. The part is refused alone; the rest is taken."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Unreadable(ReadError):
    """Why a submission cannot be read at all (malformed or truncated, not the format it claims):
    there are no parts to take or refuse, so it is refused whole. A reader yields at most one,
    and nothing after it."""


class Reader(ABC):
    """Reads one format. ``namespace`` keys the ids it mints: the ingest gives each organisation
    its own, keyed with the installation's secret (``accord.sharing.services.minting_namespace``),
    so that the same value gets the same id again while no one else can compute it."""

    format: ClassVar[str]
    label: ClassVar[str]
    # Tried after every other format when detecting one (plain text: any UTF-8 is text), whatever
    # the order the readers were imported in.
    detected_last: ClassVar[bool] = False

    def __init__(self, *, namespace: uuid.UUID | None = None) -> None:
        self.namespace = namespace or uuid.NAMESPACE_URL

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes) -> bool:
        """Whether the first bytes of a submission look like this format."""

    @abstractmethod
    def read(self, stream: IO[bytes]) -> Iterator[ParsedObject | ReadError]:
        """Every object of the submission, or an error for each part that cannot be taken; an
        :class:`Unreadable` last when the file cannot be read on."""

    def done(self) -> float | None:
        """How much of the submission has been read, 0 to 1, for readers that load it whole and
        know better than the byte position; ``None`` lets the caller use the byte position."""
        return None

    def mention(self, where: str, field_name: str, type_: str, value: Any, context: str = "") -> Mention | ReadError:
        """Normalise one observable, or say what is wrong with it and where."""
        if not isinstance(value, str):
            return ReadError(where, field_name, f"expected a text value for {type_}, got {type(value).__name__}")
        try:
            canonical = normalise(type_, value)
        except InvalidObservable as exc:
            return ReadError(where, field_name, str(exc))
        return Mention(canonical.type, canonical.value, context, canonical.extra)

    def mint_id(self, stix_type: str, key: str) -> str:
        """A STIX id for an object this reader creates: UUIDv5 of ``key`` in the reader's
        namespace, so the same key gets the same id (a re-import updates, not duplicates)."""
        return f"{stix_type}--{uuid.uuid5(self.namespace, key)}"


READERS: dict[str, type[Reader]] = {}


def register(cls: type[Reader]) -> type[Reader]:
    READERS[cls.format] = cls
    return cls


_JSON_START = re.compile(rb'\s*(\{\s*["}]|\[\s*([{\["\]\d-]|true|false|null))')


def looks_like_json(head: bytes) -> bool:
    """Whether the first bytes open a JSON object or array (after a byte-order mark and blanks):
    ``{"`` or ``[{``, not a report that begins ``[Alert]``."""
    return bool(_JSON_START.match(head.removeprefix(b"\xef\xbb\xbf")))


def detect_format(head: bytes) -> str | None:
    """The format whose reader recognises these first bytes (``None`` when none does); readers
    ``detected_last`` after the others."""
    for name, reader in sorted(READERS.items(), key=lambda item: item[1].detected_last):
        if reader.sniff(head):
            return name
    return None
