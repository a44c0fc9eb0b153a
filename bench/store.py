"""A large, real-shaped store written straight through ``sharing.bulk``, and everything derived
from it rebuilt: what :mod:`bench.pages` and :mod:`bench.scale` measure.

The demo's shape: its partners under their agreements and the host, a mix of STIX types and data
categories, TLPs from CLEAR to RED, crime types, 24 months of dates, values repeated within
clusters and one long chain that makes a big campaign. The rows are generated deterministically
and streamed in chunks, each its own transaction of three ``COPY`` statements on PostgreSQL
(objects, their new observables, the links), so memory stays flat at any size: an observable is
remembered only while it can recur (the chain's and the current cluster's), every other value is
an object's own.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

__all__ = ["populate", "rebuild"]

CHAIN = 20_000  # members of the planted big campaign: a chain of objects, each sharing a value with the next
CHUNK = 250_000  # objects a transaction

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
UNIQUE = 10_000_000  # an object's own values are numbered from here; the chain's and clusters' below


def _weighted(rng: random.Random, table: list[Any]) -> list[Any]:
    """A long list to draw from with ``rng.choice``: each row as often as its weight says."""
    return [row[:-1] if len(row) > 2 else row[0] for row in table for _ in range(row[-1])]


def _value(kind: str, n: int) -> str:
    return {
        "domain": f"host{n}.bench-{n % 9973}.example",
        "ipv4": f"{10 + (n >> 24)}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",  # 11.x.x.x past 2**24
        "url": f"http://p{n}.bench-{n % 9973}.example/login",
        "sha256": f"{n:064x}",
        "iban": f"DE{n % 97:02}{n:018d}",
        "btc": f"bc1q{n:038x}",
        "email": f"u{n}@bench-mail.example",
        "phone": f"+4930{n:09d}",
    }[kind]


class _Shape:
    """The generator: object rows, and as a side effect the observables first seen and the links."""

    def __init__(self, first_object: int, first_observable: int, chain: int) -> None:
        from accord.core.models import Organisation
        from accord.partners.models import Agreement
        from accord.sharing.bulk import adapt_datetime

        self.rng = random.Random(19)  # noqa: S311 - test data
        agreements = {
            a.organisation_id: a.pk
            for a in Agreement.objects.filter(kind="data_sharing", status="active").exclude(current_version=None)
        }
        host = Organisation.objects.get(is_host=True).pk
        sources = [(org, pk, 10) for org, pk in sorted(agreements.items())] + [(host, None, 3)]
        self.sources = _weighted(self.rng, sources)
        self.types = _weighted(self.rng, TYPES)
        self.tlps = _weighted(self.rng, TLPS)
        self.crimes = _weighted(self.rng, CRIMES)
        self.first_object, self.next_observable, self.chain_length = first_object, first_observable, chain
        self.now = datetime.now(UTC)
        self.added = adapt_datetime(self.now)
        self.span = int(timedelta(days=730).total_seconds())
        self.chain: dict[tuple[str, int], int] = {}  # values that recur: the chain's
        self.cluster_values: dict[tuple[str, int], int] = {}  # and the current cluster's
        self.cluster, self.left, self.unique = 0, 0, UNIQUE
        self.new_observables: list[tuple[str, str]] = []  # (type, value) first seen, in id order
        self.links: list[tuple[int, int]] = []

    def _observable(self, kind: str, n: int, known: dict[tuple[str, int], int] | None) -> int:
        if known is not None and (kind, n) in known:
            return known[(kind, n)]
        pk = self.next_observable
        self.next_observable += 1
        self.new_observables.append((kind, _value(kind, n)))
        if known is not None:
            known[(kind, n)] = pk
        return pk

    def rows(self, start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        from accord.sharing.bulk import adapt_datetime
        from accord.sharing.sent import sent_form

        rng, now = self.rng, self.now
        for n in range(start, stop):
            pk = self.first_object + n
            kind, category = self.types[rng.randrange(len(self.types))]
            organisation, agreement = self.sources[rng.randrange(len(self.sources))]
            stamp = now - timedelta(seconds=rng.randrange(self.span))
            value_kind = rng.choice(VALUE_TYPES[category])
            self.unique += 1
            mentions = {self._observable(value_kind, self.unique, None)}  # its own value
            own = self.new_observables[-1][1]
            if n < self.chain_length:  # the big campaign: each shares a value with the next
                mentions |= {
                    self._observable("domain", 1_000_000 + n, self.chain),
                    self._observable("domain", 1_000_000 + n + 1, self.chain),
                }
            else:  # clusters of 2 to 30 objects repeating a pool of values
                if self.left == 0:
                    self.cluster, self.left = self.cluster + 1, rng.randint(2, 30)
                    self.cluster_values.clear()  # a cluster's values never come back after it
                self.left -= 1
                for _ in range(rng.randint(1, 2)):
                    number = 2_000_000 + self.cluster * 8 + rng.randrange(8)
                    mentions.add(self._observable(value_kind, number, self.cluster_values))
            self.links.extend((pk, o) for o in sorted(mentions))
            stix_id, when = f"{kind}--00000000-0000-4000-8000-{n:012x}", f"{stamp:%Y-%m-%dT%H:%M:%S.000Z}"
            body = {
                "type": kind, "spec_version": "2.1", "id": stix_id, "created": when, "modified": when,
                "name": f"{kind} {n}", "description": f"Reported by a partner: {own}",
            }  # fmt: skip
            tlp = self.tlps[rng.randrange(len(self.tlps))]
            expires = adapt_datetime(now + timedelta(days=365 + n % 365)) if n % 100 == 0 else None
            yield (
                pk, stix_id, adapt_datetime(stamp), adapt_datetime(stamp), kind,
                "2.1", orjson.dumps(body).decode(), tlp, category,
                self.crimes[rng.randrange(len(self.crimes))], "", "", organisation, agreement, "B", "investigation",
                False, self.added, expires,
                sent_form(body, tlp),  # as an ingest records it: how the body leaves when nothing is withheld
            )  # fmt: skip


OBJECT_COLUMNS = (
    "id", "stix_id", "created", "modified", "type", "spec_version", "body", "tlp", "data_category", "crime_type",
    "subject_category", "nature", "organisation_id", "agreement_id", "reliability", "purpose", "revoked",
    "added_at", "expires_at", "sent_form",
)  # fmt: skip


@contextmanager
def _bulk_load(tables: list[str]) -> Iterator[None]:
    """On PostgreSQL, the load as its documentation advises for populating a database: the
    tables' plain indexes dropped and made again after (one sort each instead of millions of
    insertions; the primary keys and unique ones stay, the rows are checked against them), and,
    when the role may, no foreign-key triggers during the load (the generator writes every row
    its links name, in the same transaction or an earlier one)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s)"
            " AND NOT i.indisprimary AND NOT i.indisunique",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        if superuser:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            if superuser:
                cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
        print(f"  {len(indexes)} indexes made again in {time.perf_counter() - start:.1f} s")


def populate(
    objects: int,
    *,
    chunk: int = CHUNK,
    chain: int = CHAIN,
    progress: Callable[[int, int, float], None] | None = None,
) -> None:
    """Write ``objects`` real-shaped object versions with their observables and links, ``chunk``
    objects a transaction, the first ``chain`` of them a chain; ``progress(written, objects,
    seconds)`` after each chunk."""
    from django.db import connection

    from accord.sharing.models import ObjectObservable, Observable, StixObject

    tables = [StixObject._meta.db_table, Observable._meta.db_table, ObjectObservable._meta.db_table]
    with _bulk_load(tables):
        _populate(objects, chunk, chain, progress)
    if connection.vendor == "postgresql":  # the rows came with their ids: the sequences move past them
        with connection.cursor() as cursor:
            for table in tables[:2]:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608
                    [table],
                )


def _populate(objects: int, chunk: int, chain: int, progress: Callable[[int, int, float], None] | None) -> None:
    from django.db import transaction

    from accord.sharing.bulk import adapt_datetime, insert_rows
    from accord.sharing.models import ObjectObservable, Observable, StixObject

    first_object = (StixObject.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_observable = (Observable.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    shape = _Shape(first_object, first_observable, chain)
    stamp = adapt_datetime(shape.now)
    start, observables = time.perf_counter(), 0
    for begin in range(0, objects, chunk):
        end = min(objects, begin + chunk)
        first_new = shape.next_observable
        with transaction.atomic():
            insert_rows(StixObject._meta.db_table, OBJECT_COLUMNS, shape.rows(begin, end), json_columns=("body",))
            insert_rows(
                Observable._meta.db_table,
                ("id", "type", "value", "extra", "first_seen", "last_seen"),
                (
                    (first_new + i, kind, value, "{}", stamp, stamp)
                    for i, (kind, value) in enumerate(shape.new_observables)
                ),
                json_columns=("extra",),
            )
            insert_rows(ObjectObservable._meta.db_table, ("stix_object_id", "observable_id"), shape.links)
        observables += len(shape.new_observables)
        shape.new_observables, shape.links = [], []
        if progress is not None:
            progress(end, objects, time.perf_counter() - start)
    print(f"  store written in {time.perf_counter() - start:.1f} s: {objects} objects, {observables} observables")


def rebuild(*, analysis: bool = True, vacuum: bool = True) -> dict[str, float]:
    """Everything derived from the store, as the incremental paths would have made it (the
    correlation and campaigns only with ``analysis``); the seconds each step took."""
    from django.core.management import call_command
    from django.db import connection

    from accord.analysis.services import analysis_rebuild
    from accord.analysis.warninglists import index

    took: dict[str, float] = {}
    if analysis:
        index()
        start = time.perf_counter()
        analysis_rebuild(actor=None)
        took["analysis"] = time.perf_counter() - start
        print(f"  analysis rebuilt in {took['analysis']:.1f} s")
    try:
        start = time.perf_counter()
        call_command("aggregates", "rebuild", stdout=io.StringIO())
        took["aggregates"] = time.perf_counter() - start
        print(f"  aggregates rebuilt in {took['aggregates']:.1f} s")
    except Exception as exc:  # noqa: BLE001 - a store without the aggregates command (before it was built)
        print(f"  no aggregates rebuilt ({exc})")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum and connection.vendor == "postgresql" else "ANALYZE")
    took["analyze"] = time.perf_counter() - start
    print(f"  {'VACUUM ' * (vacuum and connection.vendor == 'postgresql')}ANALYZE in {took['analyze']:.1f} s")
    return took
