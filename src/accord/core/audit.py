"""The hash-chained audit log: appending a link and verifying the chain.

Each :class:`~accord.core.models.AuditEvent` stores ``hash = SHA-256(canonical JSON of its
content, including prev_hash)``. Canonical JSON here is UTF-8, keys sorted, no insignificant
white space, timestamps in UTC ISO 8601 with microseconds. Appends are serialised by a lock on
the single :class:`~accord.core.models.AuditChainHead` row, so ``seq`` has no gaps and every
link names its predecessor: editing, removing or reordering any row breaks the chain from there.
"""

from __future__ import annotations

import hashlib
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


def audit_verify(
    *, chunk_size: int = 2000, since: tuple[int, str] | None = None, using: str = "default"
) -> ChainReport:
    """Walk the chain in ``seq`` order and report the first broken link.

    ``since`` (a checkpoint's ``(seq, hash)``) starts the walk at that event, which must still
    carry that hash, instead of at the first: what a new checkpoint needs, in time proportional
    to the events added since the last one. ``using`` names the database (a backup's snapshot).
    """
    # The head first: events appended while the walk runs come after it and are walked too, but
    # the head is only compared with the event it named, so a busy chain never looks broken.
    head = AuditChainHead.objects.using(using).filter(id=1).first()
    events = AuditEvent.objects.using(using).order_by("seq")
    expected_seq, prev = 1, GENESIS
    if since is not None and since[0] > 0:
        anchor = events.filter(seq=since[0]).first()
        if anchor is None:
            return ChainReport(False, 0, since[0], None, f"event #{since[0]} is missing")
        if anchor.hash != since[1]:
            return ChainReport(
                False, 0, since[0], anchor.pk, f"event #{since[0]} is not the one checkpointed (its hash differs)"
            )
        expected_seq, prev = since[0], anchor.prev_hash
        events = events.filter(seq__gte=since[0])
    checked = 0
    at_head = GENESIS
    for event in events.iterator(chunk_size=chunk_size):
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
        if head is not None and event.seq == head.last_seq:
            at_head = event.hash
    last = expected_seq - 1
    if head is not None and last < head.last_seq:
        return ChainReport(
            False,
            checked,
            last + 1,
            None,
            f"the chain ends at event #{last} but its head records event #{head.last_seq}",
        )
    if head is not None and head.last_seq and at_head != head.last_hash:
        return ChainReport(
            False, checked, head.last_seq, None, f"the head records another hash for event #{head.last_seq}"
        )
    return ChainReport(True, checked)
