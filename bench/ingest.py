"""Ingest benchmark: a realistic STIX 2.1 bundle through the same service the API uses.

Indicators with patterns over ipv4, domain, url, hashes and e-mail; about 10% of values repeat
values other partners already reported. Prints objects per second end to end, peak memory, and
the floor (orjson parse + raw ``sqlite3.executemany`` of the same rows) with the ratio.
``python -m bench.ingest [OBJECTS] [--mixed]`` (``make bench`` runs it at 100,000 for speed, on
indicators and on the real-shaped mix of :mod:`bench.mixed`, and at 1,000,000 for memory, each
in a fresh process). The floor is timed up to 200,000 indicators.
"""

from __future__ import annotations

import io
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.common import fresh_store
from bench.mixed import mixed_objects

START = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _value(n: int) -> tuple[str, str]:
    kind = n % 6
    if kind == 0:
        return "ipv4-addr:value", f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    if kind == 1:
        return "domain-name:value", f"host{n}.example{n % 97}.com"
    if kind == 2:
        return "url:value", f"http://login{n}.example.org/verify?id={n}"
    if kind == 3:
        return "file:hashes.'SHA-256'", f"{n:064x}"
    if kind == 4:
        return "file:hashes.MD5", f"{n:032x}"
    return "email-addr:value", f"mule{n}@example.net"


def _objects(objects: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 - test data
    for n in range(objects):
        value_number = rng.randrange(objects // 10) if rng.random() < 0.1 else objects + n  # ~10% repeats
        path, value = _value(value_number)
        stamp = (START + timedelta(seconds=n * 7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # each object its own
        yield {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012x}",
            "created": stamp,
            "modified": stamp,
            "valid_from": stamp,
            "pattern_type": "stix",
            "pattern": f"[{path} = '{value}']",
            "labels": ["phishing"],
        }


def write_bundle(path: Path, objects: int, *, mixed: bool = False) -> None:
    """The bundle, written object by object (memory stays flat at any size): indicators only, or
    the real-shaped mix of :mod:`bench.mixed`."""
    made = mixed_objects(objects) if mixed else _objects(objects)
    with path.open("wb") as out:
        out.write(b'{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [')
        for n, item in enumerate(made):
            out.write(b"," * (n > 0) + orjson.dumps(item))
        out.write(b"]}")


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def floor(data: bytes) -> float:
    """orjson parse and raw sqlite3 executemany of the minimum: three bare tables (one unique
    index each), a fixed observable per object. What no ingest could beat."""
    start = time.perf_counter()
    objects = orjson.loads(data)["objects"]
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "floor.sqlite3")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE o (id INTEGER PRIMARY KEY, stix_id TEXT, type TEXT, modified TEXT, body TEXT, tlp TEXT,"
            " UNIQUE (stix_id, modified))"
        )
        db.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, type TEXT, value TEXT, UNIQUE (type, value))")
        db.execute("CREATE TABLE l (o INTEGER, v INTEGER, UNIQUE (o, v))")
        with db:
            db.executemany(
                "INSERT INTO o (stix_id, type, modified, body, tlp) VALUES (?, ?, ?, ?, ?)",
                ((o["id"], o["type"], o["modified"], orjson.dumps(o).decode(), "amber") for o in objects),
            )
            db.executemany(
                "INSERT OR IGNORE INTO v (type, value) VALUES (?, ?)", (("x", o["pattern"]) for o in objects)
            )
            db.executemany("INSERT OR IGNORE INTO l (o, v) VALUES (?, ?)", ((n, n) for n in range(len(objects))))
        db.close()
    return time.perf_counter() - start


def floor_same_schema(data: bytes, schema: list[str]) -> float:
    """orjson parse and raw sqlite3 executemany of the same rows into Accord's own tables (their
    DDL taken from the bench's database: every column, index and check), values taken straight
    from each pattern, ids given in Python: the ingest without its checks, normalisation,
    deduplication against the store and framework."""
    start = time.perf_counter()
    objects = orjson.loads(data)["objects"]
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "floor.sqlite3")
        db.execute("PRAGMA journal_mode=WAL")
        for statement in schema:
            db.execute(statement)
        seen: dict[tuple[str, str], int] = {}
        links = []
        with db:
            db.executemany(
                "INSERT INTO sharing_stixobject (id, stix_id, created, modified, type, spec_version, body, tlp,"
                " data_category, crime_type, credibility, subject_category, nature, organisation_id, agreement_id,"
                " submission_id, reliability, purpose, expires_at, revoked, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (n, o["id"], o["created"], o["modified"], o["type"], "2.1", orjson.dumps(o).decode(), "amber")
                    + ("technical_indicator", "phishing", None, "", "", 1, 1, 1, "B", "investigation", STOP, 0, STOP)
                    for n, o in enumerate(objects, 1)
                ),
            )
            new = []
            for n, o in enumerate(objects, 1):
                path, _, value = o["pattern"][1:-2].partition(" = '")
                key = (path, value)
                if key not in seen:
                    seen[key] = len(seen) + 1
                    new.append((seen[key], path, value, "{}", STOP, STOP))
                links.append((n, seen[key]))
            db.executemany(
                "INSERT INTO sharing_observable (id, type, value, extra, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                new,
            )
            db.executemany("INSERT INTO sharing_objectobservable (stix_object_id, observable_id) VALUES (?, ?)", links)
        db.close()
    return time.perf_counter() - start


STOP = "2027-05-01 12:00:00"


FLOOR_UP_TO = 200_000  # the floor loads the whole bundle: beyond this it measures only itself


def run(objects: int = 100_000, *, mixed: bool = False) -> None:
    """Ingest ``objects`` in a fresh process (so its peak memory is the ingest's own)."""
    command = [sys.executable, "-m", "bench.ingest", str(objects), *(["--mixed"] if mixed else [])]
    subprocess.run(command, check=True)  # noqa: S603


def _ingest(objects: int, *, mixed: bool = False) -> None:
    fresh_store("accord-bench-ingest-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init", "--no-static", verbosity=0)
    call_command("demo", "--no-init", stdout=io.StringIO())
    from accord.core.models import Organisation
    from accord.sharing.services import submission_create, submission_process

    kestrel = Organisation.objects.get(short_name="Kestrel")
    path = Path(os.environ["ACCORD_HOME"]) / "bench-bundle.json"
    write_bundle(path, objects, mixed=mixed)
    size = path.stat().st_size
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with path.open("rb") as stream:
        submission, _ = submission_create(actor=None, organisation=kestrel, stream=stream, filename="bench.json")
    submission = submission_process(submission_id=submission.pk)
    elapsed = time.perf_counter() - start
    writer_cpu = _cpu(resource.RUSAGE_SELF) - cpu_before[0]
    reader_cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu_before[1]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert (submission.status, submission.rejected_count) == ("done", 0), submission.errors[:3]
    shape = "real-shaped mix" if mixed else "indicators"
    print(
        f"\nIngest ({objects} STIX objects, {shape}, {size / 1e6:.1f} MB, {submission.observables_count} observables)"
    )
    print(f"  end to end           {elapsed:8.2f} s   {objects / elapsed:10.0f} objects/s (target >= 20000)")
    from django.db import connection

    print(f"  on                   {connection.vendor}")
    if objects <= FLOOR_UP_TO and not mixed and connection.vendor == "sqlite":  # one pattern per object
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name IN (%s, %s, %s) AND sql IS NOT NULL ORDER BY type DESC",
                ["sharing_stixobject", "sharing_observable", "sharing_objectobservable"],
            )
            schema = [row[0] for row in cursor.fetchall()]
        data = path.read_bytes()
        for label, base in (
            ("floor, bare tables    ", floor(data)),
            ("floor, Accord's tables", floor_same_schema(data, schema)),
        ):
            print(f"  {label}{base:8.2f} s   {objects / base:10.0f} objects/s   ratio {elapsed / base:5.2f}")
        print("  (ratio target <= 3, against the floor on Accord's tables: same rows, same indexes)")
    print(f"  cpu                  {writer_cpu:8.2f} s in the writing process, {reader_cpu:.2f} s in the reading one")
    print(f"  peak memory          {rss_after / 1024:8.0f} MB (grew {(rss_after - rss_before) / 1024:.0f} MB)", end="")
    print(f", reading process {rss_reader / 1024:.0f} MB (target <= 500 MB at 1,000,000 objects)")


if __name__ == "__main__":
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    _ingest(int(numbers[0]) if numbers else 100_000, mixed="--mixed" in sys.argv[1:])
