"""Marking definitions a submission carries (STIX 2.1 §7.2.1), kept in their own store and never
as shared data (:class:`~accord.sharing.models.MarkingDefinition`).

Marking definitions are immutable (STIX 2.1 §7.2.1: they have no ``modified`` and no versions),
so one id has one content: a definition sent again with the same content is taken as a no-op,
one that claims a known id with other content is refused, alone. The standard TLP definitions
(TLP 1.0, built into STIX 2.1 §7.2.1.4, and TLP 2.0) are never stored and never altered: a
partner's copy is a no-op when it is the published one and refused when it is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.formats.base import ParsedObject, ReadError
from accord.formats.markings import STANDARD_DEFINITIONS
from accord.sharing.models import MarkingDefinition, Submission
from accord.sharing.store import RefusalLog

__all__ = ["MarkingWriter", "same_definition"]

_STAMPS = ("created",)


def same_definition(sent: dict[str, Any], known: dict[str, Any]) -> bool:
    """Whether ``sent`` has the content of ``known``: equal property by property, timestamps as
    instants (``…00Z`` and ``…00.000Z`` are one time); ``name``, optional in STIX 2.1 (§7.2.1),
    may be left out of a copy of a standard definition."""

    def norm(body: dict[str, Any]) -> dict[str, Any]:
        out = dict(body)
        for stamp in _STAMPS:
            value = out.get(stamp)
            if isinstance(value, str):
                try:
                    out[stamp] = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    pass
        return out

    if known.get("id") in STANDARD_DEFINITIONS and "name" not in sent:
        known = {name: value for name, value in known.items() if name != "name"}
    return norm(sent) == norm(known)


def _definition_problem(stix: dict[str, Any]) -> str | None:
    """What keeps a marking definition from being one (STIX 2.1 §7.2.1), else ``None``."""
    has_definition = "definition_type" in stix or "definition" in stix
    well_formed = isinstance(stix.get("definition_type"), str) and isinstance(stix.get("definition"), dict)
    if has_definition and not well_formed:
        return "expected definition_type (a string) together with definition (an object)"
    if not has_definition and not isinstance(stix.get("extensions"), dict):
        return "expected definition_type and definition, or an extension that defines the marking"
    return None


class MarkingWriter:
    """Takes a submission's marking definitions as they are read and stores the new ones once
    everything is read, inside the ingest's transaction; refusals go with the others."""

    def __init__(self, submission: Submission, refusals: RefusalLog) -> None:
        self.submission = submission
        self.refusals = refusals
        self.pending: dict[str, dict[str, Any]] = {}

    def add(self, item: ParsedObject) -> bool:
        """Take one definition; ``False`` when it is refused (with its refusal recorded)."""
        stix = item.stix
        stix_id = str(stix["id"])
        problem = _definition_problem(stix)
        field = "definition"
        if problem is None:
            field = "id"
            known = STANDARD_DEFINITIONS.get(stix_id) or self.pending.get(stix_id)
            if known is None:
                known = MarkingDefinition.objects.filter(stix_id=stix_id).values_list("body", flat=True).first()
            if known is None:
                self.pending[stix_id] = stix
                return True
            if same_definition(stix, known):
                return True
            problem = (
                f"{stix_id} is a standard TLP marking definition; it is taken only as published (STIX 2.1 §7.2.1.4)"
                if stix_id in STANDARD_DEFINITIONS
                else f"{stix_id} is already defined with other content; marking definitions are immutable "
                "(STIX 2.1 §7.2.1): choose another id for another marking"
            )
        self.refusals.add(ReadError(item.where, field, problem))
        return False

    def flush(self) -> int:
        """Store the new definitions; how many."""
        MarkingDefinition.objects.bulk_create(
            MarkingDefinition(
                stix_id=stix_id, body=body, organisation_id=self.submission.organisation_id, submission=self.submission
            )
            for stix_id, body in self.pending.items()
        )
        count, self.pending = len(self.pending), {}
        return count
