"""Signed checkpoints of the audit chain, kept outside the database.

The chain proves that no event was changed *relative to the head*; whoever can write the
database can still recompute every hash from event N to the end and move the head. A checkpoint
fixes the head as it was at one moment: ``{seq, hash, events, head_at, at}`` signed with an
Ed25519 key that lives in a file (``ACCORD_AUDIT_KEY_FILE``), never in the database, and
appended as one JSON line to ``ACCORD_AUDIT_CHECKPOINT_FILE`` (and e-mailed to
``ACCORD_AUDIT_CHECKPOINT_EMAIL``). :func:`checkpoints_verify` then finds a rewritten or cut
tail: the event at a checkpoint's ``seq`` must still exist with the checkpointed hash.

A checkpoint is only signed over a chain that verifies from the previous checkpoint on, so a
rewrite made between two checkpoints is refused instead of being signed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from accord.core.audit import GENESIS, audit_verify
from accord.core.errors import Conflict, ValidationFailed
from accord.core.mail import mail_after_commit
from accord.core.models import AuditChainHead, AuditEvent

__all__ = [
    "CheckpointReport",
    "audit_checkpoint",
    "audit_checkpoint_daily",
    "checkpoints_verify",
    "key_id",
    "load_public_key",
    "public_key_pem",
    "signing_key",
]

logger = logging.getLogger(__name__)

FORMAT = 1


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signing_key(*, create: bool = True) -> Ed25519PrivateKey:
    """The installation's checkpoint key from ``ACCORD_AUDIT_KEY_FILE``, made once (mode 0600)."""
    path = Path(settings.ACCORD_AUDIT_KEY_FILE)
    if not path.exists():
        if not create:
            raise ValidationFailed(
                f"No audit signing key at {path} (ACCORD_AUDIT_KEY_FILE): give the public key "
                "the checkpoints were signed with (--public-key)."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:  # O_EXCL: two processes starting at once cannot both write a key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationFailed(f"{path} (ACCORD_AUDIT_KEY_FILE) does not hold an Ed25519 private key.")
    return key


def public_key_pem() -> str:
    """The public half of the signing key, for whoever verifies the checkpoints elsewhere."""
    public = signing_key().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (as ``accord audit key`` prints it)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ValidationFailed(f"{path}: not a PEM public key ({error}).") from error
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationFailed(f"{path}: not an Ed25519 public key.")
    return key


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"line {number} is not a checkpoint (not JSON: {error}).") from error
    fields = {"accord_audit_checkpoint": int, "seq": int, "hash": str, "events": int, "at": str, "key": str, "sig": str}
    if not isinstance(entry, dict) or any(not isinstance(entry.get(k), t) for k, t in fields.items()):
        raise ValidationFailed(f"line {number} is not a checkpoint (it needs {', '.join(fields)}).")
    return entry


def _signature_ok(entry: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> str:
    """Empty if ``entry`` is signed by one of ``keys``, else what is wrong."""
    public = keys.get(entry["key"])
    if public is None:
        return f"signed by key {entry['key']}, which is not the key given ({', '.join(keys) or 'none'})"
    unsigned = {k: v for k, v in entry.items() if k != "sig"}
    try:
        public.verify(base64.b64decode(entry["sig"], validate=True), _canonical(unsigned))
    except (InvalidSignature, ValueError):
        return "its signature does not verify (the line was altered, or signed by another key)"
    return ""


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationFailed(f"Cannot read the checkpoint file {path}: {error.strerror}.") from error
    return [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]


def _last_checkpoint(path: Path, keys: dict[str, Ed25519PublicKey]) -> dict[str, Any] | None:
    if not path.exists():
        return None
    lines = _lines(path)
    if not lines:
        return None
    number, line = lines[-1]
    entry = _parse(line, number)
    if entry["key"] not in keys:
        return None  # an earlier key's series (a new machine, a new key): walk the whole chain
    if problem := _signature_ok(entry, keys):
        raise Conflict(f"The last checkpoint of {path} (line {number}) is not trusted: {problem}.")
    return entry


def audit_checkpoint(*, now: datetime | None = None) -> dict[str, Any]:
    """Sign the chain's head and append it to ``ACCORD_AUDIT_CHECKPOINT_FILE`` (and e-mail it).

    Refused (``Conflict``) if the chain does not verify from the file's last checkpoint on: a
    checkpoint never vouches for a rewritten chain.
    """
    key = signing_key()
    public = key.public_key()
    path = Path(settings.ACCORD_AUDIT_CHECKPOINT_FILE)
    previous = _last_checkpoint(path, {key_id(public): public})
    since = (previous["seq"], previous["hash"]) if previous is not None else None
    head = AuditChainHead.objects.filter(id=1).first()  # before the walk, which then covers it
    report = audit_verify(since=since)
    if not report.ok:
        anchor = f" from the checkpoint of event #{since[0]}" if since else ""
        raise Conflict(f"Not checkpointed: the audit chain does not verify{anchor}: {report.problem}.")
    seq, digest = (head.last_seq, head.last_hash) if head is not None else (0, GENESIS)
    head_event = AuditEvent.objects.filter(seq=seq).only("at").first()
    payload: dict[str, Any] = {
        "accord_audit_checkpoint": FORMAT,
        "seq": seq,
        "hash": digest,
        "events": AuditEvent.objects.filter(seq__lte=seq).count(),
        "head_at": _stamp(head_event.at) if head_event is not None else None,
        "at": _stamp(now or timezone.now()),
        "key": key_id(public),
    }
    payload["sig"] = base64.b64encode(key.sign(_canonical(payload))).decode()
    line = orjson.dumps(payload).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    for address in settings.ACCORD_AUDIT_CHECKPOINT_EMAIL:
        mail_after_commit(to=address, template="core/email/audit_checkpoint", context={"line": line, **payload})
    return payload


def audit_checkpoint_daily() -> str:
    """The worker's daily checkpoint (``ACCORD_DAILY_JOBS``). A chain that no longer matches the
    last checkpoint is logged as an error and e-mailed, instead of being signed."""
    try:
        payload = audit_checkpoint()
    except (Conflict, ValidationFailed) as error:
        logger.error("Audit checkpoint refused: %s", error.message)
        for address in settings.ACCORD_AUDIT_CHECKPOINT_EMAIL:
            mail_after_commit(to=address, template="core/email/audit_checkpoint_refused", context={"problem": error})
        return f"refused: {error.message}"
    return f"event #{payload['seq']} {payload['hash']}"


@dataclass(frozen=True)
class CheckpointReport:
    """The outcome of :func:`checkpoints_verify`: ``line`` is the first checkpoint that disagrees."""

    ok: bool
    checked: int
    line: int | None = None
    problem: str = ""


def checkpoints_verify(*, path: Path, public_keys: list[Ed25519PublicKey]) -> CheckpointReport:
    """Check every checkpoint of ``path``: signed by one of ``public_keys``, and the event at its
    ``seq`` still in the database with the checkpointed hash."""
    keys = {key_id(public): public for public in public_keys}
    entries = [(number, _parse(line, number)) for number, line in _lines(path)]
    wanted = {entry["seq"] for _, entry in entries}
    stored: dict[int, str] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        stored |= dict(AuditEvent.objects.filter(seq__in=chunk).values_list("seq", "hash"))
    for checked, (number, entry) in enumerate(entries):
        name = f"the checkpoint on line {number} (event #{entry['seq']}, taken {entry['at']})"
        if problem := _signature_ok(entry, keys):
            return CheckpointReport(False, checked, number, f"{name} is not trusted: {problem}")
        seq = entry["seq"]
        if seq == 0:
            continue
        if seq not in stored:
            return CheckpointReport(
                False, checked, number, f"{name} disagrees: event #{seq} is missing (the chain was cut below it)"
            )
        if stored[seq] != entry["hash"]:
            return CheckpointReport(
                False,
                checked,
                number,
                f"{name} disagrees: event #{seq} has another hash (the chain was rewritten at or before it)",
            )
    return CheckpointReport(True, len(entries))
