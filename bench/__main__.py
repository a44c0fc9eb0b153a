"""Run every benchmark on a fresh, throw-away Accord home and print the figures.

``python -m bench`` (or ``make bench``). ``ACCORD_DATABASE_URL`` selects the database as usual;
by default a new SQLite file in a temporary ``ACCORD_HOME``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from statistics import median
from typing import Any


def _setup() -> None:
    home = tempfile.mkdtemp(prefix="accord-bench-")
    os.environ["ACCORD_HOME"] = home
    os.environ["ACCORD_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init", "--no-static", verbosity=0)


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _report(name: str, samples: list[float], unit_count: int = 1) -> None:
    med = median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    rate = unit_count / med if med else float("inf")
    print(f"{name:<48} median {med * 1000:8.2f} ms   p95 {p95 * 1000:8.2f} ms   {rate:10.0f}/s")


def main() -> None:
    _setup()
    from django.test import Client

    from accord.core import demo
    from accord.core.audit import audit_record, audit_verify
    from accord.core.models import Organisation
    from accord.core.services import organisation_create, token_issue

    demo.load()
    for i in range(1000):
        organisation_create(
            actor=None,
            name=f"Bench partner {i:04}",
            kind="private",
            sector="cybersecurity",
            country=["KE", "BR", "SG", "FR", "JO"][i % 5],
            status="active",
        )
    print(f"Accord benchmarks ({Organisation.objects.count()} organisations)\n")

    user = Organisation.objects.get(is_host=True).people.get(username="analyst")
    secret = token_issue(actor=None, user=user, name="bench", scopes=["read"]).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(path: str, params: dict[str, Any] | None = None) -> None:
        response = client.get(path, params or {})
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")

    _report("GET /api/v1/me/ (Bearer token)", _timed(lambda: client.get("/api/v1/me/"), 300))
    _report(
        "GET /api/v1/organisations/?page_size=100",
        _timed(lambda: client.get("/api/v1/organisations/", {"page_size": 100}), 100),
        100,
    )
    _report(
        "GET /api/v1/organisations/?region=africa&q=partner",
        _timed(lambda: client.get("/api/v1/organisations/", {"region": "africa", "q": "partner"}), 100),
    )

    batch = 1000
    _report(
        f"audit_record x{batch} (one transaction each)",
        _timed(lambda: [audit_record(actor=None, action="bench.event", details={"n": 1}) for _ in range(batch)], 3),
        batch,
    )
    from accord.core.models import AuditEvent

    events = AuditEvent.objects.count()
    _report(f"audit_verify over {events} events", _timed(audit_verify, 3), events)


if __name__ == "__main__":
    main()
