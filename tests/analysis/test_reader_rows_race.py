"""A partner's read beside the store's other writers, on PostgreSQL. A version whose retention
ends while the reader's rows are computed is deleted by the purge before, or after, they are
written: either way the reader's rows end as those computed from everything (the read that
could not write them, the foreign key refusing a deleted version at commit, reads again; a
campaign written after the purge read its members is found by its count when the purge is
followed). Two ingests side by side commit in the other order than their ids: the reader
follows both."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accord.analysis.models import ReaderCampaign, ReaderCampaignMember
from accord.analysis.reader_campaigns import reader_campaigns_refresh
from accord.analysis.reader_correlations import reader_correlations_refresh
from accord.policy import principal_context
from accord.sharing.models import StixObject
from accord.sharing.services import retention_purge
from tests.analysis.test_reader_rows_added import assert_computed_alike, refresh, share_objects, view, world

__all__ = ["world"]  # the fixture, as the module it comes from defines it

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the reader and the purge are two connections
    pytest.mark.skipif(
        not os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres"),
        reason="SQLite has one writer at a time: the purge and the read's writing cannot overlap there",
    ),
]

MEMBERS = ReaderCampaignMember._meta.db_table
WRITING = f"DELETE FROM {MEMBERS}"  # noqa: S608 - a statement's start, to stop at
READING = f"SELECT DISTINCT campaign_id FROM {MEMBERS}"  # noqa: S608
TURN = "SELECT pg_advisory_xact_lock("  # the upkeep turn (accord.analysis.upkeep)


def _ended(world: dict[str, Any], k: int) -> datetime:
    """The retention of the ``k``-th object shared ended a minute ago: a moment before that."""
    ended = timezone.now() - timedelta(minutes=1)
    StixObject.objects.filter(stix_id=world["shared"][k][0]).update(expires_at=ended)
    return ended - timedelta(minutes=1)


def _refresh_as_of(world: dict[str, Any], at: datetime) -> tuple[str, str]:
    """The reader's read computing from the moment ``at`` (begun then, written now)."""
    reader = world["reader"]
    ctx = principal_context(reader, at)
    return reader_campaigns_refresh(reader, ctx), reader_correlations_refresh(reader, ctx)


def _purge_in_a_thread(done: dict[str, Any], **waits: threading.Event) -> threading.Thread:
    """The purge, on a connection of its own."""

    def purge() -> None:
        try:
            if waits:  # stopped once it has read which partners' campaigns hold its versions
                read, written = waits["read"], waits["written"]

                def pause(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                    result = execute(sql, params, many, context)
                    if sql.startswith(READING) and not read.is_set():
                        read.set()
                        assert written.wait(60)
                    return result

                with connection.execute_wrapper(pause):
                    done["purged"] = retention_purge()
            else:
                done["purged"] = retention_purge()
        finally:
            connection.close()

    thread = threading.Thread(target=purge)
    thread.start()
    return thread


def test_a_version_purged_between_a_reads_computing_and_its_writing(world: dict[str, Any]) -> None:
    """The reader computes its campaign of Kestrel's and Atlas's objects; before it writes, the
    purge deletes Atlas's. Its rows cannot name the deleted version: it reads again."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0})])
    before = _ended(world, 1)
    done: dict[str, Any] = {}

    def purge_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith(WRITING) and "purged" not in done:
            _purge_in_a_thread(done).join(60)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(purge_first):
        assert _refresh_as_of(world, before) == ("computed", "computed")
    assert done["purged"]["objects"] == 1
    kept = view(world)
    assert kept["campaigns"]["count"] == 0
    assert_computed_alike(world, kept)


def test_a_campaign_written_after_the_purge_read_its_members_is_followed(world: dict[str, Any]) -> None:
    """Atlas's object joins Kestrel's and Corvid's. The purge reads which partners' campaigns
    hold it before the reader's first rows are written; they are written with it, and the
    purge deletes it, with its member row. Following the purge, the reader finds the campaign
    short of a member and computes it again."""
    share_objects(world, 0, [("green", {0})])
    share_objects(world, 1, [("green", {0, 1})])
    share_objects(world, 2, [("green", {1})])
    before = _ended(world, 1)
    read, written, done = threading.Event(), threading.Event(), {}
    purging = _purge_in_a_thread(done, read=read, written=written)
    try:
        assert read.wait(60)
        assert _refresh_as_of(world, before) == ("computed", "computed")
        written_rows = ReaderCampaign.objects.filter(reader_id=world["reader"].pk)
        assert list(written_rows.values_list("seen_objects", flat=True)) == [3]  # as of that moment
    finally:
        written.set()
        purging.join(60)
    assert done["purged"]["objects"] == 1
    assert refresh(world) == ("followed", "followed")
    followed = view(world)
    assert followed["campaigns"]["count"] == 0
    assert_computed_alike(world, followed)


def test_a_batch_that_commits_after_one_with_higher_ids_is_followed(world: dict[str, Any]) -> None:
    """Atlas's ingest inserts its objects first (the lower ids) and waits for the upkeep turn
    while Kestrel's inserts, takes the turn and commits; the reader follows Kestrel's. Atlas's
    commits next: its change is recorded after Kestrel's (the turn's order, not the ids'), so the
    reader's next read follows it too, though no id rose above those it had. (The two mention
    different values: an ingest waits for another that touched a value it mentions.)"""
    share_objects(world, 2, [("green", {1}), ("green", {2})])  # Corvid's
    assert refresh(world) == ("computed", "computed")
    waiting, go, failures = threading.Event(), threading.Event(), []

    def atlas() -> None:
        def wait_for_turn(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.startswith(TURN) and not waiting.is_set():
                waiting.set()
                assert go.wait(60)
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(wait_for_turn):
                share_objects(world, 1, [("green", {0, 1})])
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            connection.close()

    ingest = threading.Thread(target=atlas)
    ingest.start()
    try:
        assert waiting.wait(60)
        atlas_objects = StixObject.objects.filter(organisation=world["sharers"][1].organisation)
        share_objects(world, 0, [("green", {2})])  # Kestrel's, above Atlas's uncommitted ids
        assert refresh(world) == ("followed", "followed")
        assert [c["objects_seen"] for c in view(world)["campaigns"]["results"]] == [2]
    finally:
        go.set()
        ingest.join(60)
    assert not failures
    atlas_ids = list(atlas_objects.values_list("pk", flat=True))
    kestrel_ids = StixObject.objects.filter(organisation=world["sharers"][0].organisation).values_list("pk", flat=True)
    assert max(atlas_ids) < min(kestrel_ids)  # Atlas's committed last, with the lower ids
    assert refresh(world) == ("followed", "followed")
    joined = view(world)
    assert [c["objects_seen"] for c in joined["campaigns"]["results"]] == [2, 2]
    assert_computed_alike(world, joined)
