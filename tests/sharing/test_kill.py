"""A process killed by SIGKILL in the middle of an ingest leaves nothing half-stored."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection, transaction

from accord.sharing.models import ObjectObservable, Observable, StixObject, Submission
from tests.factories import make_agreement

ACCORD = str(Path(sys.executable).with_name("accord"))
OBJECTS = 8_000
MENTIONS = 5  # observables per object


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def _deep_in_the_write(home: Path) -> bool:
    """SQLite: the ingest's transaction holds the write lock, and the reading has got so far
    that several of its batches (``ACCORD_INGEST_BATCH`` below) have been written in it."""
    submission = Submission.objects.first()
    if submission is None:
        return False
    live = FileBasedCache(str(home / "cache" / "live"), {})
    if (live.get(f"submission-progress:{submission.pk}") or 0) < 80:
        return False
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()
    return False


def _readers_of(path: Path) -> list[int]:
    """Processes whose command line names ``path`` (the import and its reading process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def _blocked_on_our_lock() -> bool:
    """PostgreSQL: the ingest has inserted its objects and now waits for the row we hold."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is frozen within a transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_xid IS NOT NULL AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_sigkill_during_the_write_leaves_the_store_as_it_was(partner: Any, people: Any, tmp_path: Path) -> None:
    make_agreement(partner)
    path = tmp_path / "big.json"
    stamp = "2026-05-01T12:00:00.000Z"
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012}",
            "created": stamp,
            "modified": stamp,
            "valid_from": stamp,
            "pattern_type": "stix",
            "pattern": " OR ".join(
                f"[ipv4-addr:value = '10.{m // 65536}.{m // 256 % 256}.{m % 256}']"
                for m in range(n * MENTIONS, (n + 1) * MENTIONS)
            ),
        }
        for n in range(OBJECTS)
    ]
    path.write_bytes(
        orjson.dumps({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objects})
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    home = tmp_path / "home"
    environment |= {
        "ACCORD_HOME": str(home),
        "ACCORD_DATABASE_URL": _database_url(),
        "ACCORD_INGEST_BATCH": "500",
        "ACCORD_INGEST_HEARTBEAT_SECONDS": "2",
    }
    live = FileBasedCache(str(home / "cache" / "live"), {})  # the ingest's heartbeat, as TAXII reads it
    postgres = connection.vendor == "postgresql"
    if postgres:  # one of its observables exists already; we hold its row so the ingest waits there
        last = OBJECTS * MENTIONS - 1
        known = Observable.objects.create(type="ipv4", value=f"10.{last // 65536}.{last // 256 % 256}.{last % 256}")
    # On PostgreSQL we hold a row lock inside a transaction; SQLite needs no help (and such a
    # transaction would take its only write lock).
    with transaction.atomic() if postgres else contextlib.nullcontext():
        if postgres:
            Observable.objects.select_for_update().get(pk=known.pk)
        process = subprocess.Popen(
            [ACCORD, "import", str(path), "--org", partner.name],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 120
            while not (_blocked_on_our_lock() if postgres else _deep_in_the_write(home)):
                assert process.poll() is None, f"finished before it could be killed: {process.stderr.read()!r}"
                assert time.monotonic() < deadline, "never caught the ingest inside its transaction"
                time.sleep(0.01)
            alive = f"submission-alive:{Submission.objects.values_list('pk', flat=True).get()}"
            beating = live.has_key(alive)  # checked after the kill: first let nothing stop the kill
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10  # the reading process finds its pipe closed and ends too
    while _readers_of(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _readers_of(path)
    assert StixObject.objects.count() == 0
    assert Observable.objects.count() == (1 if postgres else 0)
    assert ObjectObservable.objects.count() == 0
    assert Submission.objects.get().status == "processing"  # recorded, never completed: can be retried
    assert beating, "the running ingest kept a heartbeat"
    deadline = time.monotonic() + 30  # its heartbeat stops within ACCORD_INGEST_HEARTBEAT_SECONDS
    while live.has_key(alive) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not live.has_key(alive), "a killed ingest is known for dead: TAXII readers no longer wait for it"
    # The worker reads it again from the start, under Accord's own settings (tasks queued in the
    # database for it): everything is stored once.
    worker = subprocess.run(
        [ACCORD, "worker", "--batch"], env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert worker.returncode == 0, worker.stderr
    submission = Submission.objects.get()
    assert (submission.status, submission.attempts, submission.new_count) == ("done", 2, OBJECTS)
    assert StixObject.objects.count() == OBJECTS
