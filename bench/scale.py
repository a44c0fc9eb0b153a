"""Scale benchmark: a store of 10,000,000 real-shaped objects on PostgreSQL and the figures of
issue 20 on it.

``python -m bench.scale [objects] [--purge]`` (10,000,000 by default; ``python -m bench.scale
1000000`` for a million) with ``ACCORD_DATABASE_URL`` naming a PostgreSQL server: a database of
its own is made on it and dropped at the end (SQLite is refused: a file of that size is not what
the figures are for). Not part of ``make bench`` nor of CI: the 10M build takes an hour or more
and about 40 GB of the server's disk; the million, a few minutes.

Steps, each printed with its time:

1. the demo, then ``objects`` object versions in the demo's shape written through
   ``sharing.bulk`` (:mod:`bench.store`: ``COPY``, a transaction per 250,000 objects; progress
   with objects/s and the time left);
2. the re-correlation of the whole store (``analysis_rebuild``: correlation, campaigns) with
   the number of observables it went through, the aggregates, ``VACUUM ANALYZE``;
3. TAXII against a real ``accord serve`` on loopback: get-by-id p50 over 1,000 random objects
   (target <= 3 ms), paging the read collection with ``limit=1000`` for up to 9,000 pages
   (objects/s, target >= 60,000), page 1 against the deepest page reached (page 9,000 at 10M;
   within 20 %), and page 1 against page 9,001 with ``limit=10``;
4. every main page and list API through Django's test client (target <= 300 ms; the slowest
   five), as :mod:`bench.pages` does;
5. a further 100,000-object real-shaped submission ingested into the big store with the
   incremental correlation on (objects/s, peak memory);
6. with ``--purge``: 1,000,000 objects made expired and purged by the retention job while
   another connection reads (target <= 60 s, reads served meanwhile).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

import orjson

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
DEEP = 9_000  # the page of limit=1000 the issue compares with page 1
FURTHER = 100_000  # objects of the submission ingested into the big store
PURGED = 1_000_000


def _progress(done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds else 0.0
    left = (total - done) / rate if rate else 0.0
    print(f"    {done:>11,} / {total:,} objects   {rate:9.0f} objects/s   {left / 60:6.1f} min left", flush=True)


def _disk() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return str(cursor.fetchone()[0])


def build(objects: int) -> None:
    from bench.pages import _setup
    from bench.store import populate, rebuild

    _setup()
    from accord.sharing.models import ObjectObservable, Observable

    print(f"  building {objects:,} objects (database {os.environ['ACCORD_DATABASE_URL'].rsplit('/', 1)[-1]})")
    populate(objects, progress=_progress)
    observables, links = Observable.objects.count(), ObjectObservable.objects.count()
    print(f"  re-correlation over {observables:,} observables and {links:,} links")
    took = rebuild(analysis=True)
    per_million = took["analysis"] * 1_000_000 / max(observables, 1)
    flag = "" if per_million <= 30 else "  OVER"
    print(
        f"  re-correlation       {took['analysis']:8.1f} s, {per_million:.1f} s a million observables"
        f" (target <= 30 s for 1,000,000){flag}"
    )
    print(f"  database size        {_disk()}")


def _stop(server: Any) -> None:
    """The server stopped, killed if it has not gone a minute after being asked (a loaded machine)."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _get(session: Any, url: str, params: dict[str, Any] | None = None) -> Any:
    response = session.get(url, params)
    assert response.status == 200, response.text[:300]  # noqa: S101
    return orjson.loads(response.content)


def _alternate(
    session: Any, url: str, first: dict[str, Any], later: dict[str, Any], repeat: int
) -> tuple[float, float]:
    """Medians of ``first`` and ``later`` asked in turn (both under the same load)."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for params, samples in ((first, a), (later, b)):
            begin = time.perf_counter()
            _get(session, url, params)
            samples.append(time.perf_counter() - begin)
    return median(a), median(b)


def taxii() -> None:
    import gc

    from accord.core.models import User
    from accord.core.services import token_issue
    from accord.taxii.services import collections_sync
    from bench.client import NAME, LeanClient
    from bench.taxii import _free_port, _serve

    collections_sync()
    secret = token_issue(actor=None, user=User.objects.get(username="analyst"), name="scale", scopes=["taxii"]).secret
    rng = random.Random(5)  # noqa: S311 - test data
    port = _free_port()
    server = _serve(port, 2)
    root = f"http://127.0.0.1:{port}/taxii2/api/"
    try:
        # the client bench.taxii and bench.medallion use, the collector kept off Django's objects
        gc.collect()
        gc.freeze()
        reader = LeanClient(root, {"Accept": TAXII_MEDIA_TYPE}, bearer=secret)
        shared = _get(reader, f"{root}collections/shared/")["id"]
        url = f"{root}collections/{shared}/objects/"
        print(f"\nTAXII against accord serve (2 workers; client: {NAME})")
        tokens: list[str] = []
        seen: list[str] = []
        count, params = 0, {"limit": 1000}
        start = time.perf_counter()
        while len(tokens) < DEEP - 1:
            body = _get(reader, url, params)
            received = [o.get("id", "") for o in body.get("objects", [])]
            count += len(received)
            seen += rng.sample(received, min(5, len(received)))  # ids the reader sees, from every depth
            if not body.get("more"):
                break
            tokens.append(body["next"])
            params = {"limit": 1000, "next": body["next"]}
            if len(tokens) % 1000 == 0:
                print(f"    paged {count:,} objects, {count / (time.perf_counter() - start):.0f} objects/s", flush=True)
        elapsed = time.perf_counter() - start
        rate = count / elapsed
        print(
            f"  page with limit=1000, {len(tokens) + 1} pages   {count:,} objects in {elapsed:.1f} s"
            f"   {rate:8.0f} objects/s (target >= 60000){'  MISSED' * (rate < 60_000)}"
        )
        ids = rng.sample(seen, min(1000, len(seen)))
        samples = []
        for stix_id in ids:
            begin = time.perf_counter()
            _get(reader, f"{url}{stix_id}/")
            samples.append(time.perf_counter() - begin)
        samples.sort()
        p50, p95 = median(samples) * 1000, samples[int(len(samples) * 0.95) - 1] * 1000
        print(
            f"  GET object by id x{len(samples)}   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms"
            f" (target p50 <= 3 ms){'  OVER' * (p50 > 3)}"
        )
        index = len(tokens) - 1 - (not body.get("more"))  # the deepest full page reached
        if index < 0:
            return
        first, deep = _alternate(reader, url, {"limit": 1000}, {"limit": 1000, "next": tokens[index]}, 20)
        print(
            f"  page 1 vs page {index + 2} (limit=1000)   {1000 / first:8.0f} vs {1000 / deep:8.0f} objects/s"
            f"   {(deep / first - 1) * 100:+5.1f} % (target within 20 %)"
        )
        if len(tokens) >= 90:
            first, deep = _alternate(reader, url, {"limit": 10}, {"limit": 10, "next": tokens[89]}, 100)
            print(
                f"  page 1 vs page 9001 (limit=10)   p50 {first * 1000:6.2f} vs {deep * 1000:6.2f} ms"
                f"   {(deep / first - 1) * 100:+5.1f} %"
            )
    finally:
        _stop(server)


def ingest() -> None:
    """A further real-shaped submission into the big store, the listeners on as in service."""
    from django.conf import settings

    from accord.core.models import Organisation
    from accord.sharing.listeners import store_listeners
    from bench.ingest import write_bundle
    from bench.notifications import _ingest

    settings.ACCORD_STORE_LISTENERS = [
        "accord.analysis.correlation.CorrelationListener",
        "accord.analysis.aggregates.TrendListener",
    ]
    store_listeners.cache_clear()
    path = Path(os.environ["ACCORD_HOME"]) / "scale-bundle.json"
    write_bundle(path, FURTHER, mixed=True)
    kestrel = Organisation.objects.get(short_name="Kestrel")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    elapsed, _ = _ingest(kestrel, path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nIngest of {FURTHER:,} real-shaped objects into the big store   {elapsed:.1f} s"
        f"   {FURTHER / elapsed:8.0f} objects/s (target >= 20000); peak memory {rss:.0f} MB (before {rss_before:.0f})"
    )
    path.unlink()


def purge() -> None:
    from django.utils import timezone

    from accord.sharing.models import StixObject
    from bench.purge import purge_while_reading

    top = StixObject.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    low = StixObject.objects.order_by("pk").values_list("pk", flat=True).first() or 1
    StixObject.objects.filter(pk__lt=low + PURGED).update(expires_at=timezone.now() - timedelta(days=1))
    summary, elapsed, latencies, failures = purge_while_reading(top)
    ordered = sorted(latencies) or [0.0]
    p50, worst = statistics.median(ordered) * 1000, ordered[-1] * 1000
    print(f"\nPurge of {summary['objects']:,} expired objects   {elapsed:.1f} s (target <= 60 s)")
    print(f"  reads meanwhile {len(latencies)} served, {len(failures)} failed, p50 {p50:.1f} ms, max {worst:.1f} ms")


def run(objects: int = 10_000_000, *, with_purge: bool = False) -> None:
    if not os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit(
            "bench.scale runs on PostgreSQL only: set ACCORD_DATABASE_URL to a server "
            "(postgresql://user@host:port/; a database of its own is made there and dropped at the end)"
        )
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress, when sent to a file
    print(f"Scale benchmark ({objects:,} objects on PostgreSQL; load average {os.getloadavg()[0]:.2f})")
    start = time.perf_counter()
    build(objects)
    print(f"  built in {(time.perf_counter() - start) / 60:.1f} min")
    import logging

    from bench.pages import measure

    logging.getLogger("accord.access").setLevel(logging.WARNING)
    taxii()
    measure(objects)
    ingest()
    if with_purge:
        purge()
    print(f"\nDone in {(time.perf_counter() - start) / 60:.1f} min; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    numbers = [arg for arg in sys.argv[1:] if arg.replace("_", "").isdigit()]
    run(int(numbers[0]) if numbers else 10_000_000, with_purge="--purge" in sys.argv[1:])
