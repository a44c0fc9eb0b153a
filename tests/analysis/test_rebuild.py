"""``accord analysis rebuild`` at its edges: it gives what the incremental path kept (summaries
included), a partner's kept correlations survive it, a second rebuild rewrites nothing, and on
PostgreSQL the foreign keys of the tables it rewrites are in place after it and still refuse a
row naming nothing."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from accord.analysis.models import Campaign, CampaignMember, CampaignMonthCell, Correlation, ObservableSource
from accord.analysis.rewrite import TableRewrite
from tests.analysis.conftest import CORRELATIONS, DROP, GREEN, MULE_IP, domain, ip, observable, share
from tests.stix_samples import indicator

ON_POSTGRES = os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres")
REWRITTEN = ("analysis_observablesource", "analysis_correlation", "analysis_campaignmember")


def _state() -> Any:
    summary = (
        "pk", "name", "first_seen", "last_seen", "objects_count", "observables_count", "organisations_count",
        "organisation_ids", "regions", "crime_types", "policy_groups", "first_group", "second_group",
    )  # fmt: skip
    # the campaigns per month and first two groups, kept by the database's triggers, which a
    # rebuild writing as a replica must fire too
    cells = CampaignMonthCell.objects.filter(count__gt=0).values_list("month", "first_group", "second_group", "count")
    return (
        sorted(Correlation.objects.values_list("observable_id", "organisation_count", "object_count", "correlated_at")),
        sorted(ObservableSource.objects.values_list("observable_id", "organisation_id", "object_count")),
        sorted(CampaignMember.objects.values_list("stix_object_id", "campaign_id")),
        list(Campaign.objects.order_by("pk").values_list(*summary)),
        sorted(cells),
    )


def _share_a_ring(api_for: Any, sharers: Any) -> None:
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN), indicator(2, domain(DROP)))
    share(
        api_for(banker),
        indicator(3, f"{ip(MULE_IP)} OR {domain(DROP)}", object_marking_refs=GREEN),
        indicator(4, domain(DROP), object_marking_refs=GREEN),
    )


def test_a_rebuild_gives_the_kept_state_and_a_partner_keeps_its_correlations(api_for, sharers):
    kestrel, _ = sharers
    _share_a_ring(api_for, sharers)
    listed = api_for(kestrel).get(CORRELATIONS).json()["results"]
    assert MULE_IP in [row["value"] for row in listed]
    before = _state()
    assert before[3] and before[3][0][4] == 4  # one campaign of the four objects, summarised as they joined

    call_command("analysis", "rebuild")
    assert _state() == before
    # its kept rows named the correlations the rebuild rewrote: they are computed again, not lost
    assert api_for(kestrel).get(CORRELATIONS).json()["results"] == listed


def test_a_rebuild_from_nothing_gives_what_the_incremental_path_gave(api_for, sharers):
    _share_a_ring(api_for, sharers)
    before = _state()
    with connection.cursor() as cursor:
        for table in ("analysis_readercorrelation", *REWRITTEN):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    Campaign.objects.all().delete()
    call_command("analysis", "rebuild")
    after = _state()
    assert after[:3] == (
        [row[:3] + (after[0][i][3],) for i, row in enumerate(before[0])],  # correlated now, not before
        before[1],
        [(obj, after[2][0][1]) for obj, _ in before[2]],  # a new campaign's number
    )
    assert [row[2:] for row in after[3]] == [row[2:] for row in before[3]]
    assert after[4] == before[4] and before[4]


@pytest.mark.skipif(not ON_POSTGRES, reason="the rows are written as PostgreSQL writes them without per-row checks")
def test_a_second_rebuild_rewrites_nothing(api_for, sharers):
    _share_a_ring(api_for, sharers)
    call_command("analysis", "rebuild")
    stamps = (
        sorted(Correlation.objects.values_list("pk", "updated_at")),
        sorted(Campaign.objects.values_list("pk", "updated_at")),
    )
    call_command("analysis", "rebuild")
    assert (
        sorted(Correlation.objects.values_list("pk", "updated_at")),
        sorted(Campaign.objects.values_list("pk", "updated_at")),
    ) == stamps


@pytest.mark.skipif(not ON_POSTGRES, reason="the foreign keys are PostgreSQL's")
def test_the_foreign_keys_stay_deferred_and_refuse_a_row_naming_nothing(api_for, sharers):
    def keys() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, condeferrable, condeferred, convalidated, "
                "pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                [list(REWRITTEN)],
            )
            return cursor.fetchall()

    _share_a_ring(api_for, sharers)
    before = keys()
    assert len(before) == 5 and all(row[2:5] == (True, True, True) for row in before)
    call_command("analysis", "rebuild")
    assert keys() == before

    source = ObservableSource.objects.first()
    assert source is not None
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analysis_observablesource (observable_id, organisation_id, object_count) VALUES (%s, %s, 2)",
            [10**12, source.organisation_id],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.skipif(not ON_POSTGRES, reason="the foreign keys are PostgreSQL's")
def test_a_role_that_may_not_write_as_a_replica_rebuilds_with_the_keys_dropped_and_made_again(
    api_for, sharers, monkeypatch
):
    """A role without the grant (most production roles): the keys are dropped before the first
    write and made again on leaving, the same as before, and the rebuild gives the same state."""
    from accord.analysis import rewrite

    _share_a_ring(api_for, sharers)
    before = _state()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), condeferrable, condeferred, convalidated "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1",
            [list(REWRITTEN)],
        )
        keys = cursor.fetchall()
    modes: list[str] = []
    original_enter = rewrite.TableRewrite.__enter__

    def entered(self: Any) -> Any:
        found = original_enter(self)
        modes.append(self.mode)
        return found

    monkeypatch.setattr(rewrite, "may_write_as_replica", lambda cursor: False)
    monkeypatch.setattr(rewrite.TableRewrite, "__enter__", entered)
    call_command("analysis", "rebuild")
    assert modes and set(modes) == {"drop"}
    assert _state() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), condeferrable, condeferred, convalidated "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1",
            [list(REWRITTEN)],
        )
        assert cursor.fetchall() == keys


@pytest.mark.skipif(not ON_POSTGRES, reason="the foreign keys are PostgreSQL's")
def test_a_rewrite_naming_a_missing_row_is_refused_and_undone(api_for, sharers):
    _share_a_ring(api_for, sharers)
    before = _state()
    mule = observable(MULE_IP).pk
    with pytest.raises(IntegrityError), transaction.atomic(), TableRewrite([ObservableSource]) as rewrite:
        rows = [(mule, 10**12, 2)]  # an organisation that does not exist
        rewrite.stage("analysis_observablesource", ("observable_id", "organisation_id", "object_count"), rows)
        rewrite.apply("analysis_observablesource", ["observable_id", "organisation_id"], ["object_count"])
    assert _state() == before
