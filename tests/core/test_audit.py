"""The hash chain: every change leaves a link, the database refuses edits, tampering is found."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accord.core.audit import GENESIS, audit_record, audit_verify, event_hash
from accord.core.models import AuditChainHead, AuditEvent
from accord.core.services import organisation_create

pytestmark = pytest.mark.django_db


def _chain(n: int) -> list[AuditEvent]:
    return [audit_record(actor=None, action="test.event", details={"i": i, "note": "ünïcode"}) for i in range(n)]


def _drop_append_only_guard() -> None:
    """What someone with database access would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")


def test_links_name_their_predecessor_and_verify():
    events = _chain(5)
    assert events[0].prev_hash == GENESIS
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    stored = AuditEvent.objects.get(pk=events[2].pk)
    assert event_hash(stored) == stored.hash  # the hash survives the database round trip
    assert audit_verify().ok
    assert audit_verify().checked == 5


def test_service_writes_its_event_in_the_same_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        organisation_create(actor=None, name="Ghost", kind="academia", country="FR")
        raise RuntimeError("the caller fails after the service")
    assert not AuditEvent.objects.filter(action="organisation.create").exists()
    assert audit_verify().ok


def test_database_refuses_update():
    event = _chain(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")


def test_model_refuses_save_and_delete_of_an_existing_event():
    event = _chain(1)[0]
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@pytest.mark.parametrize("field", ["action", "details", "justification", "at"])
def test_tampered_row_is_found_and_named_by_verify(field):
    events = _chain(6)
    victim = events[3]
    _drop_append_only_guard()
    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        if field == "details":
            cursor.execute(f"UPDATE {table} SET details = %s WHERE id = %s", ['{"i": 99}', victim.pk])  # noqa: S608
        elif field == "at":
            cursor.execute(f"UPDATE {table} SET at = %s WHERE id = %s", ["2020-01-01 00:00:00", victim.pk])  # noqa: S608
        else:
            cursor.execute(f"UPDATE {table} SET {field} = %s WHERE id = %s", ["edited", victim.pk])  # noqa: S608
    report = audit_verify()
    assert not report.ok
    assert report.broken_seq == victim.seq
    assert report.checked == 3
    with pytest.raises(CommandError, match=f"event #{victim.seq}") as caught:
        call_command("audit", "verify")
    assert caught.value.returncode == 1


def test_rehashing_a_tampered_row_breaks_the_next_link():
    events = _chain(4)
    victim = AuditEvent.objects.get(pk=events[1].pk)
    _drop_append_only_guard()
    victim.action = "forged"
    forged_hash = event_hash(victim)
    AuditEvent.objects.filter(pk=victim.pk).update(action="forged", hash=forged_hash)
    report = audit_verify()
    assert (report.ok, report.broken_seq) == (False, 3)
    assert "does not follow" in report.problem


def test_removed_row_and_truncated_tail_are_found():
    events = _chain(5)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[4].pk])
    report = audit_verify()
    assert not report.ok
    assert "head records event #5" in report.problem
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    assert audit_verify().broken_seq == 2


def test_head_follows_the_chain():
    events = _chain(3)
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, events[-1].hash)


def test_verify_command_succeeds_on_an_intact_chain(capsys):
    _chain(3)
    call_command("audit", "verify")
    assert "3 events verified" in capsys.readouterr().out
