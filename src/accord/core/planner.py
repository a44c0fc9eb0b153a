"""Statements that read a bounded number of rows, planned without PostgreSQL's parallel workers.

A page of a listing (``LIMIT limit + 1``) or a capped count (``LIMIT cap + 1``) stops after a
few thousand rows, but the planner costs the policy's conditions over every row an index could
yield and often chooses a Gather Merge of parallel workers. Starting them cost 8–15 ms on the
development machine, more than the rest of such a statement (a 1,000-object TAXII page: 7–10 ms
without them, 18–22 ms with; host staff's campaign list: 226 → 108 ms). Other statements, the
aggregates over whole tables among them, keep the server's setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

__all__ = ["without_parallel_workers"]

_SETTING = "max_parallel_workers_per_gather"


@contextmanager
def without_parallel_workers(using: str) -> Iterator[None]:
    """The block's statements on the connection ``using`` are planned with no parallel workers
    (PostgreSQL; elsewhere the block runs as it is). The setting is local to a transaction: one of
    the block's own when the connection is in none (its commit ends the setting), else the
    caller's, where it is put back when the block ends, so later statements are planned as
    before. On an error the caller's transaction, or savepoint, is rolled back with the setting."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    outer = connection.in_atomic_block
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT current_setting('{_SETTING}'), set_config('{_SETTING}', '0', true)")
            before = cursor.fetchone()[0]
        yield
        if outer:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT set_config('{_SETTING}', %s, true)", [before])
