"""The shared cache counts every hit of two processes counting at once (rate limits across hosts)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _count_elsewhere(key: str, seen: dict[str, int]) -> None:
    """What another process does: count one hit, on a connection of its own."""
    try:
        seen["count"] = cache.incr(key)
    finally:
        connections.close_all()


def _wait_until_it_waits(thread: threading.Thread) -> None:
    """Until the other connection waits for our lock (PostgreSQL shows it; SQLite does not say,
    so give it a moment to reach the cache)."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    while thread.is_alive():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)


def test_a_hit_counted_while_another_process_counts_is_not_lost():
    key = f"test-counter-{uuid.uuid4().hex}"
    cache.add(key, 0, timeout=60)
    seen: dict[str, int] = {}
    other = threading.Thread(target=_count_elsewhere, args=(key, seen))
    with transaction.atomic():
        assert cache.incr(key) == 1
        other.start()
        _wait_until_it_waits(other)
    other.join()
    assert seen["count"] == 2
    assert cache.get(key) == 2


def test_incr_of_a_missing_or_expired_key_is_refused():
    with pytest.raises(ValueError, match="not found"):
        cache.incr(f"test-missing-{uuid.uuid4().hex}")
    key = f"test-expired-{uuid.uuid4().hex}"
    cache.set(key, 5, timeout=-1)
    with pytest.raises(ValueError, match="not found"):
        cache.incr(key)


def test_incr_adds_the_delta_and_keeps_the_lifetime():
    key = f"test-delta-{uuid.uuid4().hex}"
    cache.set(key, 3, timeout=600)
    assert cache.incr(key, 4) == 7
    assert cache.get(key) == 7
