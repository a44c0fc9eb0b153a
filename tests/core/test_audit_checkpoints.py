"""Signed checkpoints anchor the audit chain outside the database: a tail rewritten with fresh
hashes (which the chain alone cannot see) or cut below a checkpoint is found and named."""

from __future__ import annotations

import stat
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accord.core.audit import GENESIS, audit_record, audit_verify, event_hash
from accord.core.checkpoints import audit_checkpoint_daily
from accord.core.models import AuditEvent
from accord.core.schedule import run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchored(settings, tmp_path: Path) -> Path:
    """Key and checkpoint file of their own; returns the checkpoint file."""
    settings.ACCORD_AUDIT_KEY_FILE = tmp_path / "keys" / "audit.pem"
    settings.ACCORD_AUDIT_CHECKPOINT_FILE = tmp_path / "offsite" / "checkpoints.jsonl"
    settings.ACCORD_AUDIT_CHECKPOINT_EMAIL = []
    return settings.ACCORD_AUDIT_CHECKPOINT_FILE


def _events(n: int) -> None:
    for i in range(n):
        audit_record(actor=None, action="test.event", details={"i": i})


def _checkpoint(capsys: pytest.CaptureFixture[str]) -> dict:
    call_command("audit", "checkpoint")
    return orjson.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _verify(path: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", "--checkpoint", str(path), *extra)
    assert caught.value.returncode == 1
    return str(caught.value)


def _unguard() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")


def _rewrite_tail(from_seq: int) -> None:
    """What someone who can write the database does: edit event ``from_seq``, recompute every
    hash from there to the end, move the head, all in raw SQL."""
    _unguard()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET justification = %s WHERE seq = %s", ["nothing happened", from_seq])  # noqa: S608
        prev = AuditEvent.objects.get(seq=from_seq - 1).hash if from_seq > 1 else GENESIS
        for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
            event.prev_hash = prev
            prev = event_hash(event)
            cursor.execute(
                "UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [event.prev_hash, prev, event.pk]
            )
        cursor.execute("UPDATE core_auditchainhead SET last_hash = %s WHERE id = 1", [prev])


def test_checkpoint_is_signed_printed_appended_and_mailed(
    anchored, settings, capsys, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ACCORD_AUDIT_CHECKPOINT_EMAIL = ["custody@icd.example", "auditor@icd.example"]
    _events(3)
    with django_capture_on_commit_callbacks(execute=True):
        printed = _checkpoint(capsys)
    head = AuditEvent.objects.get(seq=3)
    assert (printed["seq"], printed["hash"], printed["events"]) == (3, head.hash, 3)
    assert orjson.loads(anchored.read_text().splitlines()[-1]) == printed
    assert stat.S_IMODE(Path(settings.ACCORD_AUDIT_KEY_FILE).stat().st_mode) == 0o600
    assert [m.to for m in mailoutbox] == [["custody@icd.example"], ["auditor@icd.example"]]
    assert "event #3" in mailoutbox[0].subject
    assert orjson.dumps(printed).decode() in mailoutbox[0].body  # the line, not HTML-escaped
    call_command("audit", "verify", "--checkpoint", str(anchored))
    assert "Checkpoints agree: 1 in" in capsys.readouterr().out


def test_a_rewritten_tail_passes_the_chain_alone_but_not_its_checkpoints(anchored, capsys):
    _events(4)
    _checkpoint(capsys)
    _events(4)
    _checkpoint(capsys)
    _events(2)
    _rewrite_tail(6)
    assert audit_verify().ok  # the finding: the chain alone cannot see it
    message = _verify(anchored)
    assert "the checkpoint on line 2 (event #8" in message
    assert "rewritten" in message
    assert "1 agree" in message


def test_a_chain_cut_below_a_checkpoint_is_found(anchored, capsys):
    _events(8)
    _checkpoint(capsys)
    _unguard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq > 5")
        cursor.execute(
            "UPDATE core_auditchainhead SET last_seq = 5, last_hash = %s", [AuditEvent.objects.get(seq=5).hash]
        )
    assert audit_verify().ok
    message = _verify(anchored)
    assert "line 1 (event #8" in message and "missing" in message


def test_an_altered_checkpoint_line_is_not_trusted(anchored, capsys):
    _events(3)
    _checkpoint(capsys)
    _rewrite_tail(2)
    entry = orjson.loads(anchored.read_text())
    entry["hash"] = AuditEvent.objects.get(seq=3).hash  # made to agree with the rewritten chain
    anchored.write_bytes(orjson.dumps(entry) + b"\n")
    assert "signature does not verify" in _verify(anchored)


def _published_key(capsys, path):
    """The public key as `accord audit key` prints it, saved where a verifier would keep it."""
    call_command("audit", "key")
    path.write_text(capsys.readouterr().out)
    return path


def test_checkpoints_verify_with_the_published_key_elsewhere(anchored, settings, capsys, tmp_path):
    _events(2)
    _checkpoint(capsys)
    public = _published_key(capsys, tmp_path / "accord-audit.pub")
    settings.ACCORD_AUDIT_KEY_FILE = tmp_path / "no-such-key.pem"  # another machine, no private key
    call_command("audit", "verify", "--checkpoint", str(anchored), "--public-key", str(public))
    assert "Checkpoints agree: 1" in capsys.readouterr().out
    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert "not the key given" in _verify(anchored, "--public-key", str(stranger))
    with pytest.raises(CommandError, match="No audit signing key"):
        call_command("audit", "verify", "--checkpoint", str(anchored))


def test_a_malformed_checkpoint_file_is_named(anchored, capsys):
    _events(1)
    _checkpoint(capsys)
    with anchored.open("a") as handle:
        handle.write('{"seq": "eight"}\n')
    assert "line 2 is not a checkpoint" in _verify(anchored)


def test_no_checkpoint_vouches_for_a_chain_rewritten_since_the_last(
    anchored, settings, capsys, mailoutbox, django_capture_on_commit_callbacks
):
    _events(4)
    _checkpoint(capsys)
    _events(2)
    _rewrite_tail(3)
    with pytest.raises(CommandError, match="Not checkpointed: .*event #4 is not the one checkpointed"):
        call_command("audit", "checkpoint")
    assert len(anchored.read_text().splitlines()) == 1
    settings.ACCORD_AUDIT_CHECKPOINT_EMAIL = ["custody@icd.example"]
    with django_capture_on_commit_callbacks(execute=True):
        assert audit_checkpoint_daily().startswith("refused: Not checkpointed")
    assert "REFUSED" in mailoutbox[0].subject
    assert "event #4 is not the one checkpointed" in mailoutbox[0].body


def test_the_worker_writes_a_checkpoint_once_a_day(anchored):
    _events(2)
    ran = run_due_jobs()
    assert "accord.core.checkpoints.audit_checkpoint_daily" in ran
    entry = orjson.loads(anchored.read_text().splitlines()[-1])
    assert entry["seq"] >= 2
    assert AuditEvent.objects.get(seq=entry["seq"]).hash == entry["hash"]


def test_a_new_key_continues_the_file_after_a_whole_walk(anchored, settings, capsys, tmp_path):
    _events(2)
    _checkpoint(capsys)
    old_public = _published_key(capsys, tmp_path / "old.pub")
    settings.ACCORD_AUDIT_KEY_FILE = tmp_path / "new-machine.pem"
    _events(1)
    assert _checkpoint(capsys)["seq"] == 3
    assert "not the key given" in _verify(anchored)  # the old line, with the new key alone
    call_command("audit", "verify", "--checkpoint", str(anchored), "--public-key", str(old_public))
    assert "Checkpoints agree: 2" in capsys.readouterr().out
