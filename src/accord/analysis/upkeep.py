"""One transaction at a time keeps correlations and campaigns.

Correlation counts, sources, sightings and campaign membership are read, then written from what
was read, by every ingest batch, revocation, purge and analyst action. On PostgreSQL two such
transactions run side by side under READ COMMITTED, so one could add members to a campaign that
the other was merging away (a foreign-key failure at commit: the submission fails), or add to a
count the other had just read. Each therefore waits for its turn on a transaction-scoped advisory
lock before it reads, and holds the turn until it commits or rolls back: it then reads what every
earlier turn committed. Everything before the upkeep (reading, checking and inserting the objects)
still runs in parallel. SQLite has one writer at a time already (``transaction_mode`` IMMEDIATE).
"""

from __future__ import annotations

import hashlib

from django.db import connection

__all__ = ["upkeep_turn"]

_KEY = int.from_bytes(hashlib.blake2b(b"accord.analysis.upkeep", digest_size=8).digest(), "big", signed=True)


def upkeep_turn() -> None:
    """Wait until no other transaction keeps correlations or campaigns, and keep the turn until
    this one ends (taking it again in the same transaction is free)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_KEY])
