"""The TAXII 2.1 filters of a read (§3.5): ``added_after`` and ``match[...]``, parsed once,
applied in SQL. Protocol-free: the API turns query parameters into an :class:`ObjectQuery`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from django.db.models import Exists, OuterRef, Q, QuerySet

from accord.core.choices import Purpose
from accord.core.errors import ValidationFailed
from accord.sharing.models import StixObject

__all__ = ["ObjectQuery", "parse_timestamp", "stamp"]

MATCH_FIELDS = ("id", "type", "version", "spec_version")
VERSION_WORDS = ("first", "last", "all")
_PURPOSES = frozenset(Purpose.values)  # Purpose.values builds its list anew on every use


def parse_timestamp(value: str, name: str) -> datetime:
    """An RFC 3339 timestamp (TAXII 2.1 §2.1 'timestamp'), in UTC."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name}: '{value}' is not a timestamp such as 2026-05-01T12:00:00.000Z.", details={name: ["Invalid."]}
        ) from None
    if moment.tzinfo is None:
        raise ValidationFailed(f"{name}: '{value}' has no time zone; end it with Z.", details={name: ["Invalid."]})
    return moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """A TAXII 2.1 timestamp with microseconds, as ``date_added`` and the headers carry it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _values(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class ObjectQuery:
    """``added_after``, ``match[id|type|version|spec_version]`` (comma lists) and the purpose
    of the read (an Accord extension, ``purpose=``, default investigation)."""

    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()
    purpose: str = Purpose.INVESTIGATION

    @classmethod
    def parse(cls, params: Mapping[str, str], *, default_versions: tuple[str, ...] = ("last",)) -> ObjectQuery:
        """Read the filters of a request; a malformed one is a 400, an unknown ``match[...]`` too."""
        for key in params:
            if key.startswith("match[") and key[6:-1] not in MATCH_FIELDS:
                raise ValidationFailed(
                    f"{key}: not a filter of this server; use match[{'], match['.join(MATCH_FIELDS)}].",
                    details={key: ["Unknown filter."]},
                )
        added_after = params.get("added_after")
        versions = tuple(_values(params.get("match[version]", ""))) or default_versions
        for version in versions:
            if version not in VERSION_WORDS:
                parse_timestamp(version, "match[version]")
        purpose = params.get("purpose", Purpose.INVESTIGATION)
        if purpose not in _PURPOSES:
            raise ValidationFailed(
                f"purpose: '{purpose}' is not one of {', '.join(Purpose.values)}.", details={"purpose": ["Invalid."]}
            )
        return cls(
            added_after=parse_timestamp(added_after, "added_after") if added_after else None,
            ids=tuple(_values(params.get("match[id]", ""))),
            types=tuple(_values(params.get("match[type]", ""))),
            versions=versions,
            spec_versions=tuple(_values(params.get("match[spec_version]", ""))),
            purpose=purpose,
        )

    @property
    def single_version(self) -> str | None:
        """``"last"`` or ``"first"`` when the read asks for exactly that version of one object and
        nothing else narrows it: then it is the newest (or oldest) of the object's versions the
        reader may see, found by ordering them, without a "no newer visible version" check."""
        plain = not (self.added_after or self.types or self.spec_versions)
        if plain and len(self.ids) == 1 and self.versions in (("last",), ("first",)):
            return self.versions[0]
        return None

    def fingerprint(self, *scope: object) -> str:
        """A digest of the filters and what else a ``next`` token is bound to (collection, asker)."""
        data = {
            "a": stamp(self.added_after) if self.added_after else None,
            "i": self.ids,
            "t": self.types,
            "v": self.versions,
            "s": self.spec_versions,
            "p": self.purpose,
            "scope": [str(part) for part in scope],
        }
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]

    def apply(self, qs: QuerySet[StixObject], base: QuerySet[StixObject]) -> QuerySet[StixObject]:
        """``qs`` narrowed by the filters. ``base`` is what the reader may see in the collection:
        "first" and "last" are the first and last versions *visible there* (TAXII 2.1 §3.5.1)."""
        conditions = Q()
        if self.added_after is not None:
            conditions &= Q(added_at__gt=self.added_after)
        if self.ids:
            conditions &= Q(stix_id__in=self.ids)
        if self.types:
            conditions &= Q(type__in=self.types)
        if self.spec_versions:
            conditions &= Q(spec_version__in=self.spec_versions)
        if "all" in self.versions:
            return qs.filter(conditions)
        wanted = Q(pk__in=[])
        stamps = [parse_timestamp(v, "match[version]") for v in self.versions if v not in VERSION_WORDS]
        if stamps:
            wanted |= Q(modified__in=stamps)
        # One filter per query: each clones the policy's conditions (the costly part of a read).
        if "last" in self.versions:
            newer = base.filter(stix_id=OuterRef("stix_id"), modified__gt=OuterRef("modified"))
            wanted |= ~Q(Exists(newer))
        if "first" in self.versions:
            older = base.filter(stix_id=OuterRef("stix_id"), modified__lt=OuterRef("modified"))
            wanted |= ~Q(Exists(older))
        return qs.filter(conditions, wanted)
