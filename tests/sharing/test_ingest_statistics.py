"""A large ingest keeps PostgreSQL's statistics of the tables it grows, and tells its progress
only when the figure moves."""

from __future__ import annotations

import io
from typing import Any

import psycopg
import pytest
from django.db import connection

from accord.sharing.bulk import GrowthStatistics
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.services import ingest, submission_create, submission_process
from tests.factories import make_agreement
from tests.sharing.test_ingest import post
from tests.stix_samples import bundle, indicator

OBJECTS = 2500
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner statistics")


@pytest.fixture
def store(partner: Any, people: Any, settings: Any, tmp_path: Any, monkeypatch: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_INGEST_BATCH = 1000
    make_agreement(partner)
    monkeypatch.setattr(GrowthStatistics, "FLOOR", 500)  # the store's tables analysed from 500 rows written


def _payload() -> bytes:
    return bundle(*(indicator(n, f"[ipv4-addr:value = '10.1.{n // 256}.{n % 256}']") for n in range(OBJECTS)))


def _described(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s AND relkind = 'r'", [table])
        return float(cursor.fetchone()[0])


TABLES = (StixObject._meta.db_table, Observable._meta.db_table, ObjectObservable._meta.db_table)


@on_postgresql
def test_an_ingest_that_grows_the_store_leaves_statistics_of_its_own_rows(api_for, store):
    before = {table: _described(table) for table in TABLES}
    assert all(count < OBJECTS / 2 for count in before.values())  # the planner's view of a young store
    response = post(api_for("partner_contributor"), _payload())
    assert response.status_code == 201, response.json()
    assert response.json()["new_count"] == OBJECTS
    # analysed inside the ingest's transaction as the tables doubled: the planner sees at least
    # the rows written up to the last doubling, not the empty tables it began with
    for table in TABLES:
        assert _described(table) >= 1000, table


@on_postgresql
def test_a_table_whose_statistics_another_holds_is_not_waited_for(api_for, store):
    objects = StixObject._meta.db_table
    params = connection.get_connection_params()
    with psycopg.connect(**params) as other:  # an autovacuum, or another ingest analysing it, until it commits
        other.execute(f'LOCK TABLE "{objects}" IN SHARE UPDATE EXCLUSIVE MODE')
        before = _described(objects)
        response = post(api_for("partner_contributor"), _payload())
        assert response.status_code == 201, response.json()
        assert (response.json()["status"], response.json()["new_count"]) == ("done", OBJECTS)
        assert _described(objects) == before  # left as it was, that table alone
        assert _described(Observable._meta.db_table) >= 1000
        other.rollback()


def test_progress_is_told_only_when_the_figure_moves(partner, people, store, monkeypatch):
    monkeypatch.setattr(ingest, "READ_BATCH", 10)  # 250 batches: each says where the reading is
    submission, _ = submission_create(
        actor=None, organisation=partner, stream=io.BytesIO(_payload()), filename="feed.json"
    )
    told: list[int] = []
    assert submission_process(submission_id=submission.pk, on_progress=told.append).status == "done"
    assert len(told) == len(set(told)) > 50  # every figure once
    assert told == sorted(told) and told[-1] == 99
