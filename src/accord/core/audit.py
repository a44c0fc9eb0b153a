"""The hash-chained audit log: appending a link and verifying the chain.

Each :class:`~accord.core.models.AuditEvent` stores ``hash = SHA-256(canonical JSON of its
content, including prev_hash)``. Canonical JSON here is UTF-8, keys sorted, no insignificant
white space, timestamps in UTC ISO 8601 with microseconds. Appends are serialised by a lock on
the single :class:`~accord.core.models.AuditChainHead` row, so ``seq`` has no gaps and every
link names its predecessor: editing, removing or reordering any row breaks the chain from there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from accord.core.models import AuditChainHead, AuditEvent, Organisation, User

__all__ = ["GENESIS", "ChainReport", "audit_record", "audit_verify", "event_hash"]

GENESIS = "0" * 64


def _canonical(content: dict[str, Any]) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def _content(event: AuditEvent) -> dict[str, Any]:
    at: datetime = event.at.astimezone(UTC)
    return {
        "seq": event.seq,
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "details": event.details,
        "justification": event.justification,
        "prev_hash": event.prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    """The SHA-256 hex digest that ``event.hash`` must equal."""
    return hashlib.sha256(_canonical(_content(event))).hexdigest()


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    organisation: Organisation | None = None,
    details: dict[str, Any] | None = None,
    justification: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Called by every service that changes state, so the event commits (or rolls back) with the
    change it records. ``obj`` fills ``object_type``/``object_id`` from a model instance.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if organisation is None and actor is not None and getattr(actor, "is_authenticated", False):
        organisation = actor.organisation
    real_actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # Round-trip through JSON now so the hash is computed over what the database will return.
    clean_details = orjson.loads(orjson.dumps(details or {}, default=str, option=orjson.OPT_NON_STR_KEYS))
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=real_actor,
            actor_username=real_actor.get_username() if real_actor else "",
            organisation=organisation,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=clean_details,
            justification=justification,
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`audit_verify`: ``broken_seq`` is the first bad link, if any."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "broken_seq": self.broken_seq,
            "broken_id": self.broken_id,
            "problem": self.problem,
        }


def _events(chunk_size: int) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size)


def audit_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the whole chain in ``seq`` order and report the first broken link."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for event in _events(chunk_size):
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, None, f"event #{expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainReport(
                False,
                checked,
                event.seq,
                event.pk,
                f"event #{event.seq} does not follow event #{event.seq - 1} (prev_hash differs)",
            )
        if event_hash(event) != event.hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                event.pk,
                f"event #{event.seq} was altered (its content no longer matches its hash)",
            )
        checked += 1
        expected_seq, prev = expected_seq + 1, event.hash
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return ChainReport(
            False,
            checked,
            checked + 1,
            None,
            f"the chain ends at event #{checked} but its head records event #{head.last_seq}",
        )
    return ChainReport(True, checked)
