"""Pages benchmark: the server time of every main page and list API on a large, real-shaped store.

``python -m bench.pages [objects]`` (1,000,000 by default; ``ACCORD_DATABASE_URL`` naming a
PostgreSQL server runs it there). The demo is loaded, then ``objects`` object versions are
written straight through ``sharing.bulk`` in the demo's shape — its partners under their
agreements and the host, a mix of STIX types and data categories, TLPs from CLEAR to RED, crime
types, 24 months of dates, values repeated within clusters and one long chain that makes a big
campaign — and everything derived is rebuilt (correlation, campaigns, the aggregates). Each page
is then asked for by the roles that see most (an analyst; a partner reader) through Django's test
client: the median of several requests after one that warms it (a partner's first read of its
campaigns computes them; that first request is printed too). Target: every page ≤ 300 ms; the
slowest five are printed last.
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from bench.common import fresh_store

TARGET_MS = 300
REPEAT = 5
SLOW = 2.0  # seconds: a page this slow is timed twice, its median of those
CHAIN = 20_000  # members of the planted big campaign: a chain of objects, each sharing a value with the next

# (type, data category, weight): what partners share, most of it technical
TYPES = [
    ("indicator", "technical_indicator", 40),
    ("observed-data", "technical_indicator", 10),
    ("domain-name", "technical_indicator", 8),
    ("url", "technical_indicator", 8),
    ("malware", "technical_indicator", 4),
    ("x-accord-bank-account", "financial_identifier", 10),
    ("x-accord-crypto-wallet", "financial_identifier", 8),
    ("identity", "personal_data", 4),
    ("report", "incident_report", 8),
]
TLPS = [("clear", 10), ("green", 55), ("amber", 22), ("amber+strict", 8), ("red", 5)]
CRIMES = [("phishing", 30), ("bec", 15), ("ransomware", 15), ("cryptojacking", 8), ("romance_scam", 12), ("", 20)]
VALUE_TYPES = {
    "technical_indicator": ["domain", "ipv4", "url", "sha256"],
    "financial_identifier": ["iban", "btc"],
    "personal_data": ["email", "phone"],
    "incident_report": ["domain", "url"],
}


def _weighted(rng: random.Random, table: list[Any]) -> list[Any]:
    """A long list to draw from with ``rng.choice``: each row as often as its weight says."""
    return [row[:-1] if len(row) > 2 else row[0] for row in table for _ in range(row[-1])]


def _setup() -> None:
    fresh_store("accord-bench-pages-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ["ACCORD_STORE_LISTENERS"] = "none"  # the store is written directly; rebuilt below
    os.environ["ACCORD_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("init", "--no-static", verbosity=0)
    call_command("demo", "--no-init", stdout=io.StringIO())


def _value(kind: str, n: int) -> str:
    return {
        "domain": f"host{n}.bench-{n % 9973}.example",
        "ipv4": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        "url": f"http://p{n}.bench-{n % 9973}.example/login",
        "sha256": f"{n:064x}",
        "iban": f"DE{n % 97:02}{n:018d}",
        "btc": f"bc1q{n:038x}",
        "email": f"u{n}@bench-mail.example",
        "phone": f"+4930{n:09d}",
    }[kind]


def populate(objects: int) -> None:
    """Write ``objects`` real-shaped object versions with their observables and links."""
    from django.db import transaction

    from accord.core.models import Organisation
    from accord.partners.models import Agreement
    from accord.sharing.bulk import adapt_datetime, insert_rows
    from accord.sharing.models import ObjectObservable, Observable, StixObject

    rng = random.Random(19)  # noqa: S311 - test data
    agreements = {
        a.organisation_id: a.pk
        for a in Agreement.objects.filter(kind="data_sharing", status="active").exclude(current_version=None)
    }
    host = Organisation.objects.get(is_host=True).pk
    sources = [(org, pk, 10) for org, pk in sorted(agreements.items())] + [(host, None, 3)]
    sources_pick = _weighted(rng, sources)
    types_pick = _weighted(rng, TYPES)
    tlps_pick = _weighted(rng, TLPS)
    crimes_pick = _weighted(rng, CRIMES)
    first_object = (StixObject.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_observable = (Observable.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = datetime.now(UTC)
    added = adapt_datetime(now)
    span = int(timedelta(days=730).total_seconds())
    columns = (
        "id", "stix_id", "created", "modified", "type", "spec_version", "body", "tlp", "data_category", "crime_type",
        "subject_category", "nature", "organisation_id", "agreement_id", "reliability", "purpose", "revoked",
        "added_at", "expires_at",
    )  # fmt: skip
    observables: dict[tuple[str, str], int] = {}
    links: list[tuple[int, int]] = []

    def observable(kind: str, n: int) -> int:
        key = (kind, _value(kind, n))
        if key not in observables:
            observables[key] = first_observable + len(observables)
        return observables[key]

    def object_rows() -> Any:
        cluster, left, unique = 0, 0, 10_000_000
        for n in range(objects):
            pk = first_object + n
            kind, category = types_pick[rng.randrange(len(types_pick))]
            organisation, agreement = sources_pick[rng.randrange(len(sources_pick))]
            stamp = now - timedelta(seconds=rng.randrange(span))
            value_kind = rng.choice(VALUE_TYPES[category])
            unique += 1
            mentions = {observable(value_kind, unique)}  # its own value
            if n < CHAIN:  # the big campaign: each shares a value with the next
                mentions |= {observable("domain", 1_000_000 + n), observable("domain", 1_000_000 + n + 1)}
            else:  # clusters of 2 to 30 objects repeating a pool of values
                if left == 0:
                    cluster, left = cluster + 1, rng.randint(2, 30)
                left -= 1
                for _ in range(rng.randint(1, 2)):
                    mentions.add(observable(value_kind, 2_000_000 + cluster * 8 + rng.randrange(8)))
            links.extend((pk, o) for o in sorted(mentions))
            body = f'{{"type": "{kind}", "name": "{kind} {n}"}}'
            expires = adapt_datetime(now + timedelta(days=365 + n % 365)) if n % 100 == 0 else None
            yield (
                pk, f"{kind}--00000000-0000-4000-8000-{n:012x}", adapt_datetime(stamp), adapt_datetime(stamp), kind,
                "2.1", body, tlps_pick[rng.randrange(len(tlps_pick))], category,
                crimes_pick[rng.randrange(len(crimes_pick))], "", "", organisation, agreement, "B", "investigation",
                False, added, expires,
            )  # fmt: skip

    start = time.perf_counter()
    with transaction.atomic():
        insert_rows(StixObject._meta.db_table, columns, object_rows(), json_columns=("body",))
        stamp = adapt_datetime(now)
        insert_rows(
            Observable._meta.db_table,
            ("id", "type", "value", "extra", "first_seen", "last_seen"),
            ((pk, kind, value, "{}", stamp, stamp) for (kind, value), pk in observables.items()),
            json_columns=("extra",),
        )
        insert_rows(ObjectObservable._meta.db_table, ("stix_object_id", "observable_id"), links)
    print(f"  store written in {time.perf_counter() - start:.1f} s: {objects} objects, {len(observables)} observables")


def rebuild(*, analysis: bool = True) -> None:
    """Everything derived from the store, as the incremental paths would have made it (the
    correlation and campaigns only with ``analysis``)."""
    from django.core.management import call_command
    from django.db import connection

    from accord.analysis.services import analysis_rebuild
    from accord.analysis.warninglists import index

    if analysis:
        index()
        start = time.perf_counter()
        analysis_rebuild(actor=None)
        print(f"  analysis rebuilt in {time.perf_counter() - start:.1f} s")
    try:
        start = time.perf_counter()
        call_command("aggregates", "rebuild", stdout=io.StringIO())
        print(f"  aggregates rebuilt in {time.perf_counter() - start:.1f} s")
    except Exception as exc:  # noqa: BLE001 - a store without the aggregates command (before it was built)
        print(f"  no aggregates rebuilt ({exc})")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def pages() -> list[tuple[str, str]]:
    """(role, path) of every main page and list API."""
    from accord.analysis.models import Campaign

    big = Campaign.objects.order_by("-objects_count", "pk").values_list("pk", flat=True).first()
    paths = [
        "/",
        "/shared/",
        "/observables/",
        "/analysis/correlations/",
        "/analysis/campaigns/",
        f"/analysis/campaigns/{big}/",
        "/analysis/trends/",
        "/analysis/reports/",
        "/governance/operations/",
        "/submissions/",
        "/api/v1/objects/",
        "/api/v1/observables/",
        "/api/v1/correlations/",
        "/api/v1/campaigns/",
        "/api/v1/trends/",
        "/api/v1/reports/",
        "/api/v1/submissions/",
        "/api/v1/governance/operations/",
    ]
    rows = [("analyst", p) for p in paths]
    rows += [("partner", p) for p in paths if "/campaigns/" not in p or p.endswith("campaigns/")]
    return rows


def measure(objects: int) -> None:
    from django.test import Client

    from accord.core.choices import Role
    from accord.core.models import User
    from accord.sharing.models import StixObject

    analyst = User.objects.filter(role=Role.ANALYST, is_active=True).order_by("pk").first()
    partner = (
        User.objects.filter(role=Role.PARTNER_READER, is_active=True, organisation__status="active")
        .order_by("pk")
        .first()
    )
    assert analyst is not None and partner is not None  # noqa: S101 - the demo made them
    clients = {}
    for name, user in (("analyst", analyst), ("partner", partner)):
        client = Client()
        client.force_login(user)
        clients[name] = client
    print(
        f"\nPages at {StixObject.objects.count()} objects "
        f"(median of {REPEAT} after a first request; of 2 past {SLOW:.0f} s)"
    )
    figures = []
    for role, path in pages():
        client = clients[role]
        start = time.perf_counter()
        response = client.get(path)
        first = time.perf_counter() - start
        if response.status_code != 200:
            print(f"  {role:<8} {path:<40} answered {response.status_code}")
            continue
        samples = [first] if first > SLOW else []  # a page of seconds is measured once more, not five times
        for _ in range(1 if samples else REPEAT):
            start = time.perf_counter()
            client.get(path)
            samples.append(time.perf_counter() - start)
        ms = median(samples) * 1000
        figures.append((ms, role, path))
        flag = "  OVER" if ms > TARGET_MS else ""
        print(f"  {role:<8} {path:<40} median {ms:8.1f} ms   first {first * 1000:8.1f} ms{flag}")
    print(f"\nSlowest five (target <= {TARGET_MS} ms)")
    for ms, role, path in sorted(figures, reverse=True)[:5]:
        print(f"  {role:<8} {path:<40} {ms:8.1f} ms")


def run(objects: int = 1_000_000) -> None:
    _setup()
    import logging

    from accord.sharing.models import StixObject

    logging.getLogger("accord.access").setLevel(logging.WARNING)  # a line per request is noise here
    print(f"\nPages benchmark ({objects} objects, home {os.environ['ACCORD_HOME']})")
    fresh = StixObject.objects.count() < objects  # a home given again (ACCORD_HOME) is measured as it is
    if fresh:
        populate(objects)
    rebuild(analysis=fresh)
    measure(objects)


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
