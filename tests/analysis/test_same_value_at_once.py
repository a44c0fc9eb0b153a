"""Rows inserted while skipping those another writer has: the store's observables are copied
straight into their table (PostgreSQL's ``COPY``) and, only when a row meets one another
transaction wrote meanwhile, staged and moved without it. On PostgreSQL two partners' ingests
mention the same new value at once: the second waits for the first, then links its object to
the value the first created."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.db import connection, connections

from accord.analysis.models import Correlation
from accord.sharing.bulk import insert_rows
from accord.sharing.models import ObjectObservable, Observable
from tests.analysis.conftest import MULE_IP, ip, share, waits_for_a_lock
from tests.stix_samples import indicator

TURN = "SELECT pg_advisory_xact_lock("  # the upkeep turn (accord.analysis.upkeep), after the inserts
COLUMNS = ("id", "type", "value", "extra", "first_seen", "last_seen")


def _row(pk: int, value: str) -> tuple[Any, ...]:
    return (pk, "ipv4", value, "{}", "2026-05-01T00:00:00Z", "2026-05-01T00:00:00Z")


@pytest.mark.django_db
def test_rows_another_writer_has_are_skipped_and_the_rest_written() -> None:
    insert_rows(Observable._meta.db_table, COLUMNS, [_row(10**9, "192.0.2.1")], json_columns=("extra",))
    written = insert_rows(
        Observable._meta.db_table,
        COLUMNS,
        [_row(10**9 + 1, "192.0.2.2"), _row(10**9 + 2, "192.0.2.1"), _row(10**9 + 3, "192.0.2.3")],
        json_columns=("extra",),
        ignore_conflicts=True,
    )
    assert written == 2
    stored = dict(Observable.objects.filter(type="ipv4").values_list("value", "pk"))
    assert stored == {"192.0.2.1": 10**9, "192.0.2.2": 10**9 + 1, "192.0.2.3": 10**9 + 3}


@pytest.mark.django_db(transaction=True)  # the two ingests are two connections
@pytest.mark.skipif(
    not os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres"),
    reason="SQLite has one writer at a time: the two ingests cannot overlap there",
)
def test_two_ingests_creating_the_same_value_at_once_share_it(api_for: Any, sharers: Any) -> None:
    kestrel, atlas = api_for(sharers[0]), api_for(sharers[1])
    inserted, go = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> None:
        """Kestrel's ingest, stopped once its value is inserted (uncommitted), at the upkeep turn."""

        def stop_at_turn(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.startswith(TURN) and not inserted.is_set():
                inserted.set()
                assert go.wait(60)
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(stop_at_turn):
                outcome["first"] = share(kestrel, indicator(1, ip(MULE_IP)))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            outcome["first"] = error
        finally:
            inserted.set()
            connections.close_all()

    def second() -> None:
        """Atlas's, mentioning the same value: its copy meets Kestrel's uncommitted row and waits."""
        try:
            connection.ensure_connection()
            outcome["pid"] = connection.connection.info.backend_pid
            outcome["second"] = share(atlas, indicator(2, ip(MULE_IP)))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            outcome["second"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert inserted.wait(60)
    two = threading.Thread(target=second)
    two.start()
    try:
        waited = waits_for_a_lock(outcome)
    finally:
        go.set()
        one.join(120)
        two.join(120)

    assert waited, "the second ingest did not wait for the first's value"
    assert isinstance(outcome["first"], dict), outcome["first"]
    assert isinstance(outcome["second"], dict), outcome["second"]
    value = Observable.objects.get(value=MULE_IP)
    assert ObjectObservable.objects.filter(observable=value).count() == 2
    assert Correlation.objects.get(observable=value).organisation_count == 2
