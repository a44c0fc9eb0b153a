"""Retention purge benchmark: every object of a large store past its retention, purged by the
daily job with correlation and campaigns kept in step, while another connection keeps reading.

``python -m bench.purge [objects]`` (1,000,000 by default: 2,000,000 observables and 4,000,000
links from 20 organisations, correlated and grouped into campaigns first). Targets: the purge
<= 60 s; reads go on meanwhile (none fails; their latency is printed); memory flat.

On PostgreSQL, ``ACCORD_BENCH_STORE=<name>`` keeps the store as it stands before the purge (made,
correlated, every object expired) as the database ``<name>_<objects>``, made by the first run,
and later runs purge a copy of it (``CREATE DATABASE … TEMPLATE``) instead of making the store
again, which takes longer than the purge at a million objects. Drop it when done.
"""

from __future__ import annotations

import io
import os
import resource
import statistics
import sys
import threading
import time
from datetime import timedelta

from bench.analysis import _populate, _setup
from bench.common import analyse, fresh_store


def _reader(stop: threading.Event, latencies: list[float], failures: list[str], top: int) -> None:
    """Read one object by id and one page of a list, as a reader of the store does, until told."""
    from django.db import connection

    from accord.sharing.models import StixObject

    n = 0
    try:
        while not stop.is_set():
            n += 1
            start = time.perf_counter()
            try:
                StixObject.objects.filter(pk=1 + (n * 7919) % top).values_list("stix_id", flat=True).first()
                list(StixObject.objects.order_by("-pk").values_list("pk", "stix_id")[:50])
            except Exception as error:  # noqa: BLE001 - counted and printed
                failures.append(f"{type(error).__name__}: {error}")
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)
    finally:
        connection.close()


def purge_while_reading(top: int) -> tuple[dict[str, int], float, list[float], list[str]]:
    """The retention purge, another connection reading meanwhile (objects ``1..top`` by id):
    its summary and seconds, the reads' latencies and failures."""
    from accord.sharing.services.objects import retention_purge

    stop, latencies, failures = threading.Event(), list[float](), list[str]()
    reader = threading.Thread(target=_reader, args=(stop, latencies, failures, top))
    reader.start()
    start = time.perf_counter()
    try:
        summary = retention_purge()
    finally:
        stop.set()
        reader.join()
    return summary, time.perf_counter() - start, latencies, failures


def _kept(objects: int) -> tuple[str, bool]:
    """The database keeping the store before the purge (``ACCORD_BENCH_STORE``, on PostgreSQL;
    else none) and whether it exists already."""
    url, name = os.environ.get("ACCORD_DATABASE_URL", ""), os.environ.get("ACCORD_BENCH_STORE", "")
    if not (name and url.startswith("postgres")):
        return "", False
    import psycopg

    kept = f"{name}_{objects}"
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        return kept, admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [kept]).fetchone() is not None


def _keep(kept: str) -> None:
    """Copy the database this run made (the store before its purge) as ``kept``."""
    from django.db import connection, connections

    made = connection.settings_dict["NAME"]
    connections.close_all()  # copying needs the database alone
    import psycopg

    url = os.environ["ACCORD_DATABASE_URL"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{kept}" TEMPLATE "{made}"')
    print(f"  store kept as database {kept}")


def _copied(kept: str) -> None:
    """Django set up on a copy of the kept store."""
    fresh_store("accord-bench-purge-", template=kept)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ["ACCORD_STORE_LISTENERS"] = "none"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init", "--no-static", stdout=io.StringIO())


def run(objects: int = 1_000_000) -> None:
    kept, exists = _kept(objects)
    if exists:
        _copied(kept)
    else:
        _setup(objects)
    from django.conf import settings
    from django.utils import timezone

    from accord.analysis.models import Campaign, Correlation
    from accord.analysis.services import analysis_rebuild
    from accord.analysis.warninglists import index
    from accord.sharing.listeners import store_listeners
    from accord.sharing.models import ObjectObservable, Observable, StixObject

    index()
    print(f"\nRetention purge ({objects} objects, on {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})")
    if exists:
        print(f"  store copied from database {kept}")
    else:
        _populate(objects)
        start = time.perf_counter()
        analysis_rebuild(actor=None)
        print(f"  correlated in {time.perf_counter() - start:.1f} s: {Correlation.objects.count()} correlations, "
              f"{Campaign.objects.count()} campaigns")  # fmt: skip
        StixObject.objects.update(expires_at=timezone.now() - timedelta(days=1))
        analyse()  # the planner's statistics, as autovacuum would have gathered them by the day of the purge
        if kept:
            _keep(kept)
    settings.ACCORD_STORE_LISTENERS = ["accord.analysis.correlation.CorrelationListener"]
    store_listeners.cache_clear()  # the purge keeps correlation and campaigns in step, as in service
    top = StixObject.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    before = (StixObject.objects.count(), Observable.objects.count(), ObjectObservable.objects.count())

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary, elapsed, latencies, failures = purge_while_reading(top)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    after = (StixObject.objects.count(), Observable.objects.count(), ObjectObservable.objects.count())
    print(f"  store before         {before[0]} objects, {before[1]} observables, {before[2]} links")
    print(f"  purge                {elapsed:8.2f} s   {summary['objects'] / elapsed:10.0f} objects/s (target <= 60 s)")
    print(f"  store after          {after[0]} objects, {after[1]} observables, {after[2]} links, "
          f"{Correlation.objects.count()} correlations, {Campaign.objects.count()} campaigns")  # fmt: skip
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(
            f"  reads meanwhile      {len(latencies)} served, {len(failures)} failed; "
            f"p50 {1000 * statistics.median(ordered):.1f} ms, p99 {1000 * p99:.1f} ms, max {1000 * ordered[-1]:.1f} ms"
        )
    for failure in failures[:3]:
        print(f"    {failure}")
    print(f"  peak memory          {rss_after:8.0f} MB (before the purge {rss_before:.0f} MB)")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
