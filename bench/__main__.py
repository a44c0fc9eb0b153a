"""Run every benchmark on a fresh, throw-away Accord home and print the figures.

``python -m bench`` (or ``make bench``). By default each benchmark runs on a new SQLite file in a
temporary ``ACCORD_HOME``; with ``ACCORD_DATABASE_URL`` naming a PostgreSQL server, on a new
database made on that server for each benchmark process, dropped when it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from typing import Any

from bench.common import fresh_store, report, timed

# The environment as given, for the benchmarks run as processes of their own: each makes its own
# home (and, on PostgreSQL, its own database on the server named), never the one of this process.
GIVEN = {k: v for k, v in os.environ.items() if k != "ACCORD_HOME"}


def _setup() -> None:
    os.environ["ACCORD_HOME"] = tempfile.mkdtemp(prefix="accord-bench-")
    fresh_store("accord-bench-")
    os.environ["ACCORD_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init", "--no-static", verbosity=0)


def main() -> None:
    _setup()
    from django.core.management import call_command
    from django.test import Client

    from accord.core.audit import audit_record, audit_verify
    from accord.core.models import Organisation
    from accord.core.services import organisation_create, token_issue

    call_command("demo", "--no-init", stdout=open(os.devnull, "w"))  # noqa: SIM115
    for i in range(1000):
        organisation_create(
            actor=None,
            name=f"Bench partner {i:04}",
            kind="private",
            sector="cybersecurity",
            country=["KE", "BR", "SG", "FR", "JO"][i % 5],
            status="vetting",
        )
    print(f"Accord benchmarks ({Organisation.objects.count()} organisations)\n")

    user = Organisation.objects.get(is_host=True).people.get(username="analyst")
    secret = token_issue(actor=None, user=user, name="bench", scopes=["read"]).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(path: str, params: dict[str, Any] | None = None) -> None:
        response = client.get(path, params or {})
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")

    report("GET /api/v1/me/ (Bearer token)", timed(lambda: get("/api/v1/me/"), 300))
    report(
        "GET /api/v1/organisations/?page_size=100",
        timed(lambda: get("/api/v1/organisations/", {"page_size": 100}), 100),
        100,
    )
    report(
        "GET /api/v1/organisations/?region=africa&q=partner",
        timed(lambda: get("/api/v1/organisations/", {"region": "africa", "q": "partner"}), 100),
    )

    batch = 1000
    report(
        f"audit_record x{batch} (one transaction each)",
        timed(lambda: [audit_record(actor=None, action="bench.event", details={"n": 1}) for _ in range(batch)], 3),
        batch,
    )
    from accord.core.models import AuditEvent

    events = AuditEvent.objects.count()
    report(f"audit_verify over {events} events", timed(audit_verify, 3), events)


if __name__ == "__main__":
    main()
    from bench import exports, ingest, notifications, policy, taxii

    policy.run()
    ingest.run(100_000)
    ingest.run(100_000, mixed=True)
    notifications.run(100_000, 20)  # one submission fanned out to 20 webhooks: the ingest keeps its pace
    taxii.run()
    # the same 10,000 objects over TAXII to medallion and to Accord, each a server on loopback
    subprocess.run([sys.executable, "-m", "bench.medallion"], check=True, env=GIVEN)  # noqa: S603
    ingest.run(1_000_000)
    exports.run(100_000)
    # a partner's campaigns, computed from what it sees, in a process (and Accord home) of its own
    subprocess.run([sys.executable, "-m", "bench.campaigns", "100000"], check=True, env=GIVEN)  # noqa: S603
    # partners and analysts at once through real servers and a worker, on a site of its own
    subprocess.run([sys.executable, "-m", "bench.load"], check=True, env=GIVEN)  # noqa: S603
    # the daily retention purge of a million expired objects, reads going on meanwhile
    subprocess.run([sys.executable, "-m", "bench.purge", "1000000"], check=True, env=GIVEN)  # noqa: S603
    # every main page and list API at 1,000,000 objects, in a process (and Accord home) of its own
    subprocess.run([sys.executable, "-m", "bench.pages", "1000000"], check=True, env=GIVEN)  # noqa: S603
