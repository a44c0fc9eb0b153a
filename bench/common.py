"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import atexit
import io
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["analyse", "demo_store", "fresh_store", "postgresql_database", "report", "timed"]


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def postgresql_database(url: str, prefix: str, template: str = "") -> Iterator[str]:
    """A new database on the PostgreSQL server ``url`` names, made from the server's maintenance
    database (the one ``url`` names need not exist), a copy of ``template`` if named, and dropped
    on the way out; its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    maintenance = _with_database(url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _with_database(url, name)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_store(prefix: str, template: str = "") -> None:
    """Before Django starts: a throw-away ``ACCORD_HOME`` (unless one is set) and, when
    ``ACCORD_DATABASE_URL`` names a PostgreSQL server, a new database on it for this process (a
    copy of the database ``template``, if named), dropped when it ends. A benchmark never writes
    into a database it did not make."""
    os.environ.setdefault("ACCORD_HOME", tempfile.mkdtemp(prefix=prefix))
    url = os.environ.get("ACCORD_DATABASE_URL", "")
    if url.startswith("postgres"):
        made = postgresql_database(url, "accord_bench", template)
        os.environ["ACCORD_DATABASE_URL"] = made.__enter__()
        atexit.register(_drop, made)


def _drop(made: AbstractContextManager[str]) -> None:
    from django.db import connections

    connections.close_all()
    made.__exit__(None, None, None)


def demo_store(prefix: str, objects: int) -> int:
    """Django set up on ``$ACCORD_HOME`` (a new temporary one unless set), with the demo and at
    least ``objects`` shared objects (a generated bundle ingested as Kestrel); how many are stored."""
    fresh_store(prefix)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from accord.core.models import Organisation, User
    from accord.sharing.models import StixObject
    from accord.sharing.services import submission_create, submission_process
    from bench.ingest import write_bundle

    call_command("init", "--no-static", verbosity=0)
    if not User.objects.filter(username="analyst").exists():
        call_command("demo", "--no-init", stdout=io.StringIO())
    if StixObject.objects.count() < objects:
        path = Path(os.environ["ACCORD_HOME"]) / f"{prefix}bundle.json"
        write_bundle(path, objects)
        kestrel = Organisation.objects.get(short_name="Kestrel")
        with path.open("rb") as data:
            submission, _ = submission_create(actor=None, organisation=kestrel, stream=data, filename=path.name)
        done = submission_process(submission_id=submission.pk)
        assert (done.status, done.rejected_count) == ("done", 0), "the bench bundle is refused"  # noqa: S101
        path.unlink()
    analyse()
    return StixObject.objects.count()


def accounts_made_long_ago() -> None:
    """Every account of the store as made sixty days ago and never signed in. The worker beside
    ``accord serve`` computes ahead the kept rows of accounts made within two weeks that have
    none (``analysis.services.readers``): right for a partner just onboarded, but for the demo's
    accounts, all made minutes ago, it would compete with what a benchmark measures (seconds per
    account at a million objects)."""
    from datetime import timedelta

    from django.utils import timezone

    from accord.core.models import ApiToken, User

    User.objects.update(date_joined=timezone.now() - timedelta(days=60), last_login=None)
    ApiToken.objects.update(last_used_at=None)


def analyse() -> None:
    """Planner statistics for what was just loaded, on PostgreSQL (as autovacuum would gather
    them, a minute or more later): without them the planner takes a table it has never measured
    for a few rows, and a TAXII page over 100,000 objects plans a nested loop that runs for
    minutes instead of milliseconds."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def report(name: str, samples: list[float], unit_count: int = 1) -> None:
    med = median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    rate = unit_count / med if med else float("inf")
    print(f"{name:<58} median {med * 1000:9.2f} ms   p95 {p95 * 1000:9.2f} ms   {rate:10.0f}/s")
