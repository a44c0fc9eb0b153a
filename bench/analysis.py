"""Analysis benchmark: the full rebuild on a large synthetic store, the correlation storage next
to the link table, and what incremental correlation adds to the ingest.

``python -m bench.analysis [objects]`` (500,000 objects by default: 1,000,000 observables and
2,000,000 links from 20 organisations). Targets: rebuild <= 30 s; ingest overhead <= 20%.
"""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench.common import fresh_store

START = datetime(2026, 1, 1, tzinfo=UTC)
ORGANISATIONS = 20
CLUSTER = 10  # objects per planted cluster, sharing a pool of observables
HOT = 20  # values any cluster may mention: over-correlating at full size


def _setup(objects: int) -> None:
    fresh_store("accord-bench-analysis-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ["ACCORD_STORE_LISTENERS"] = "none"  # the store is written directly; rebuilt below
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init", "--no-static", verbosity=0)
    call_command("demo", "--no-init", stdout=io.StringIO())


def _populate(objects: int) -> list[int]:
    """Write ``objects`` object versions, 2 per observable on average, 4 links each."""
    from django.db import transaction

    from accord.core.models import Organisation
    from accord.core.services import organisation_create
    from accord.sharing.bulk import adapt_datetime, insert_rows
    from accord.sharing.models import ObjectObservable, Observable, StixObject

    organisations = list(Organisation.objects.filter(is_host=False).values_list("pk", flat=True))
    for i in range(ORGANISATIONS - len(organisations)):
        organisations.append(
            organisation_create(
                actor=None, name=f"Bench partner {i:02}", kind="private", sector="cybersecurity", country="FR"
            ).pk
        )
    organisations = organisations[:ORGANISATIONS]
    rng = random.Random(11)  # noqa: S311 - test data
    first_object = (StixObject.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_observable = (Observable.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = adapt_datetime(datetime.now(UTC))
    crimes = ["phishing", "bec", "ransomware", "cryptojacking", "romance_scam"]
    pool = objects  # shared observables: CLUSTER per cluster
    columns = (
        "id", "stix_id", "created", "modified", "type", "spec_version", "body", "tlp", "data_category", "crime_type",
        "subject_category", "nature", "organisation_id", "reliability", "purpose", "revoked", "added_at",
    )  # fmt: skip

    def object_rows() -> object:
        for n in range(objects):
            stamp = adapt_datetime(START + timedelta(minutes=n))
            yield (
                first_object + n, f"indicator--00000000-0000-4000-8000-{n:012x}", stamp, stamp, "indicator", "2.1",
                "{}", "green", "technical_indicator", crimes[n // CLUSTER % len(crimes)], "", "",
                organisations[n % ORGANISATIONS], "B", "investigation", False, now,
            )  # fmt: skip

    def observable_rows() -> object:
        for n in range(objects + pool):
            yield first_observable + n, "domain", f"d{n}.bench-{n % 9973}.xyz", "{}", now, now

    def link_rows() -> object:
        for n in range(objects):
            obj = first_object + n
            cluster = n // CLUSTER
            picks = {first_observable + n}  # its own value
            while len(picks) < 4:
                roll = rng.random()
                if roll < 0.002:
                    picks.add(first_observable + objects + rng.randrange(HOT))  # a hot value
                elif roll < 0.01:
                    picks.add(first_observable + objects + rng.randrange(pool))  # a bridge to anywhere
                else:
                    picks.add(first_observable + objects + cluster * CLUSTER + rng.randrange(CLUSTER))
            yield from ((obj, observable) for observable in sorted(picks))

    start = time.perf_counter()
    with transaction.atomic():
        insert_rows(StixObject._meta.db_table, columns, object_rows(), json_columns=("body",))  # type: ignore[arg-type]
        insert_rows(
            Observable._meta.db_table,
            ("id", "type", "value", "extra", "first_seen", "last_seen"),
            observable_rows(),  # type: ignore[arg-type]
            json_columns=("extra",),
        )
        insert_rows(ObjectObservable._meta.db_table, ("stix_object_id", "observable_id"), link_rows())  # type: ignore[arg-type]
    print(f"  store written in {time.perf_counter() - start:.1f} s")
    return organisations


def _sizes(tables: list[str]) -> dict[str, int]:
    """Bytes of each table with its indexes."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            found = {}
            for table in tables:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                found[table] = cursor.fetchone()[0]
            return found
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
        owner = {name: table for name, table in cursor.fetchall()}
        cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
        found = dict.fromkeys(tables, 0)
        for name, size in cursor.fetchall():
            if owner.get(name) in found:
                found[owner[name]] += size
        return found


def _rebuild(objects: int) -> None:
    _setup(objects)
    from django.db import connection

    from accord.analysis.models import Campaign, Correlation, ObservableSource
    from accord.analysis.services import analysis_rebuild
    from accord.analysis.warninglists import index
    from accord.sharing.models import ObjectObservable, Observable, StixObject

    index()  # built once per home, as `accord init` does
    print(f"\nAnalysis rebuild ({objects} objects)")
    _populate(objects)
    counts = (StixObject.objects.count(), Observable.objects.count(), ObjectObservable.objects.count())
    print(f"  store: {counts[0]} objects, {counts[1]} observables, {counts[2]} links")
    steps: dict[str, float] = {}
    clock = [time.perf_counter(), ""]

    def progress(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if clock[1]:
            steps[str(clock[1])] = now - float(clock[0])
        clock[0], clock[1] = now, step

    start = time.perf_counter()
    summary = analysis_rebuild(actor=None, progress=progress)
    elapsed = time.perf_counter() - start
    print(f"  full rebuild         {elapsed:8.2f} s   (target <= 30 s)")
    print("  steps                " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))
    print("  result               " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    tables = [
        ObjectObservable._meta.db_table,
        ObservableSource._meta.db_table,
        Correlation._meta.db_table,
        "analysis_campaignmember",
        Campaign._meta.db_table,
    ]
    sizes = _sizes(tables)
    links = sizes.pop(tables[0])
    added = sum(sizes.values())
    print(f"  link table           {links / 1e6:8.1f} MB (with its indexes)")
    print(
        f"  correlation storage  {added / 1e6:8.1f} MB = {added / links:.2f} x the link table ("
        + ", ".join(f"{t.removeprefix('analysis_')} {s / 1e6:.1f} MB" for t, s in sizes.items())
        + ")"
    )


def _ingest_seconds(listeners: str, objects: int) -> float:
    env = dict(os.environ, ACCORD_STORE_LISTENERS=listeners, ACCORD_HOME=tempfile.mkdtemp(prefix="accord-bench-ia-"))
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.ingest", str(objects)], check=True, env=env, capture_output=True, text=True
    ).stdout
    match = re.search(r"end to end\s+([\d.]+) s", out)
    assert match, out  # noqa: S101
    return float(match.group(1))


def overhead(objects: int = 100_000, repeat: int = 2) -> None:
    """The ingest benchmark with and without incremental correlation (best of ``repeat``)."""
    without = min(_ingest_seconds("none", objects) for _ in range(repeat))
    with_ = min(_ingest_seconds("accord.analysis.correlation.CorrelationListener", objects) for _ in range(repeat))
    print(f"\nIncremental correlation in the ingest ({objects} objects, best of {repeat})")
    print(f"  ingest without       {without:8.2f} s   {objects / without:10.0f} objects/s")
    print(f"  ingest with          {with_:8.2f} s   {objects / with_:10.0f} objects/s")
    print(f"  overhead             {100 * (with_ - without) / without:8.1f} %   (target <= 20 %)")


def run(objects: int = 500_000) -> None:
    subprocess.run([sys.executable, "-m", "bench.analysis", str(objects)], check=True)  # noqa: S603
    overhead()


if __name__ == "__main__":
    _rebuild(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
