"""The retention purge on PostgreSQL proves the foreign keys naming what it deletes by one
statement per key (as a replica, when the role may), not by a trigger per row: a row it would
leave naming a deleted one refuses the batch and leaves the store as it was; a role without the
grant purges through the triggers, as before."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.analysis.models import Campaign, CampaignMember, Correlation, ObservableSource
from accord.core.models import AuditEvent
from accord.sharing.bulk import array_param, by_index
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.sharing.services import retention_purge
from tests.analysis.conftest import DROP, GREEN, MULE_IP, domain, ip, share, waits_for_a_lock
from tests.stix_samples import indicator

pytestmark = pytest.mark.skipif(
    not os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres"), reason="the foreign keys are PostgreSQL's"
)


def _state() -> Any:
    return (
        sorted(StixObject.objects.values_list("pk", flat=True)),
        sorted(Observable.objects.values_list("pk", flat=True)),
        sorted(ObjectObservable.objects.values_list("stix_object_id", "observable_id")),
        sorted(Correlation.objects.values_list("observable_id", "organisation_count", "object_count")),
        sorted(ObservableSource.objects.values_list("observable_id", "organisation_id", "object_count")),
        sorted(CampaignMember.objects.values_list("stix_object_id", "campaign_id")),
        sorted(Campaign.objects.values_list("pk", "objects_count")),
        AuditEvent.objects.filter(action="retention.purge").count(),
    )


@pytest.fixture
def expired(api_for: Any, sharers: Any) -> int:
    """Two partners share a ring correlated on an address; Kestrel's first indicator (mentioning the
    address and a domain only it mentions) is past its retention. Its id."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN), indicator(2, domain(DROP)))
    share(api_for(banker), indicator(3, ip(MULE_IP), object_marking_refs=GREEN))
    share(api_for(kestrel), indicator(4, f"[domain-name:value = 'only-{uuid.uuid4().hex[:6]}.example']"))
    gone = StixObject.objects.get(stix_id=indicator(1, "")["id"])
    StixObject.objects.filter(pk=gone.pk).update(expires_at=timezone.now() - timedelta(days=1))
    return gone.pk


def _dependant_naming(pk: int) -> None:
    """A table no model declares, keyed to the objects as Django keys its own, with a row naming
    ``pk``: nothing the purge deletes it with."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE purge_probe (id bigserial PRIMARY KEY, stix_object_id bigint NOT NULL "
            "REFERENCES sharing_stixobject (id) DEFERRABLE INITIALLY DEFERRED)"
        )
        cursor.execute("INSERT INTO purge_probe (stix_object_id) VALUES (%s)", [pk])


def _as_a_plain_role() -> None:
    """The rest of the test runs as a role that is no superuser and may not set
    ``session_replication_role`` (most production roles), with every privilege on the tables;
    the role and its privileges go with the test's transaction."""
    role = f"accord_plain_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        assert cursor.fetchone()[0] is False


def test_a_purge_leaving_a_row_that_names_a_purged_object_is_refused_whole(expired):
    """The proof finds the row before the commit: the batch is undone (objects, links,
    observables, correlation, campaigns, audit) and the error names the row."""
    _dependant_naming(expired)
    before = _state()
    with pytest.raises(IntegrityError, match=rf"purge_probe\.stix_object_id = {expired} names a row"):
        call_command("retention", "purge")
    assert _state() == before
    with connection.cursor() as cursor:  # the keys hold: nothing was deleted under them
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_a_purge_proves_the_keys_and_leaves_the_mode_as_it_found_it(expired):
    """Without such a row the purge deletes the object, its links and the domain only it
    mentioned, keeps the correlation's other side right, and every key holds."""
    mentioned = set(ObjectObservable.objects.filter(stix_object_id=expired).values_list("observable_id", flat=True))
    call_command("retention", "purge")
    assert not StixObject.objects.filter(pk=expired).exists()
    assert not ObjectObservable.objects.filter(stix_object_id=expired).exists()
    assert set(Observable.objects.filter(pk__in=mentioned).values_list("value", flat=True)) == {MULE_IP}
    assert not Correlation.objects.exists()  # the address is mentioned once now
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_a_role_without_the_grant_purges_through_the_foreign_key_triggers(expired):
    """The same purge as a role that may not write as a replica: the same deletes, checked by
    PostgreSQL's own triggers at the commit (here made immediate), which all pass."""
    _as_a_plain_role()
    call_command("retention", "purge")
    assert not StixObject.objects.filter(pk=expired).exists()
    assert not Correlation.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_without_the_grant_a_row_naming_a_purged_object_fails_the_databases_own_check(expired):
    """No proof as that role: the purge deletes, and the row left naming the purged object is
    refused by PostgreSQL's key, which would fail the batch's commit."""
    _dependant_naming(expired)
    _as_a_plain_role()
    call_command("retention", "purge")
    assert not StixObject.objects.filter(pk=expired).exists()
    with pytest.raises(IntegrityError, match="purge_probe"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.cursor() as cursor:  # the check queued is still pending: without the row, it passes
        cursor.execute("DELETE FROM purge_probe")


def test_a_purge_of_thousands_leaves_what_a_rebuild_gives(api_for, sharers):
    """A batch of thousands (correlations deleted by proof too, past ``_PROVED_FROM``): 1,100
    expired indicators (each its own domain, two to an address) leave correlation, sources and
    campaigns as a rebuild from the store would, and every key holds."""
    kestrel, banker = sharers
    indicators = [
        indicator(n, f"[ipv4-addr:value = '10.9.{n // 512}.{n // 2 % 256}'] OR [domain-name:value = 'd{n}.example']")
        for n in range(1, 1201)
    ]
    share(api_for(kestrel), *indicators)
    share(api_for(banker), indicator(5000, ip("10.9.2.40")), indicator(5001, ip("10.9.0.7")))
    expired = [indicator(n, "")["id"] for n in range(1, 1101)]
    StixObject.objects.filter(stix_id__in=expired).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge")
    assert StixObject.objects.count() == 102
    purged = _state()
    call_command("analysis", "rebuild")
    assert _state()[:7] == purged[:7]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_trigger_of_its_own_on_a_table_the_purge_deletes_from_still_fires(expired):
    """The replica mode would silence every ordinary trigger, not only the keys': where a table of
    the cascade has one of its own, the purge deletes through the triggers, and it fires."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE purge_log (stix_object_id bigint NOT NULL)")
        cursor.execute(
            "CREATE FUNCTION purge_log_link() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO purge_log VALUES (OLD.stix_object_id); RETURN OLD; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER purge_log_link AFTER DELETE ON sharing_objectobservable "
            "FOR EACH ROW EXECUTE FUNCTION purge_log_link()"
        )
    links = ObjectObservable.objects.filter(stix_object_id=expired).count()
    call_command("retention", "purge")
    assert not StixObject.objects.filter(pk=expired).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM purge_log WHERE stix_object_id = %s", [expired])
        assert cursor.fetchone()[0] == links > 0
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_purges_statements_take_their_keys_when_they_run(expired):
    """The purge's locks, deletes, proofs and reads by key take the batch's keys as an init plan's array,
    which the planner does not estimate key by key (10–45 ms a statement over 40,000 keys), and
    the plan reads them through the keys' indexes."""
    at_run = "= ANY((SELECT "
    alone = StixObject.objects.filter(stix_id=indicator(4, "")["id"])  # the only one to mention its domain
    alone.update(expires_at=timezone.now() - timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        call_command("retention", "purge")
    statements = [q["sql"] for q in queries]
    deletes = ('DELETE FROM "sharing_stixobject"', 'DELETE FROM "sharing_observable"')
    proofs = [sql for sql in statements if sql.startswith('SELECT "') and sql.endswith("LIMIT 1")]
    locks = [sql for sql in statements if sql.endswith("FOR UPDATE) locked")]
    chosen = [sql for sql in statements if sql.startswith(deletes)] + proofs + locks
    assert all(any(sql.startswith(delete) for sql in chosen) for delete in deletes) and locks
    assert all(at_run in sql for sql in chosen)
    with connection.cursor() as cursor, by_index():
        condition, param = array_param([expired, expired + 1])
        cursor.execute(f"EXPLAIN SELECT id FROM sharing_stixobject WHERE id {condition}", [param])  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "InitPlan" in plan and "Index" in plan, plan
    condition, _ = array_param([expired])
    assert at_run not in condition  # outside the block, the array is a constant as before


def test_a_recount_reads_the_sources_totals_and_the_correlations_once(api_for, sharers):
    """After the sources are counted again, one statement updates the correlations and finds
    those that stopped linking, those left without sources and those missing, where four read
    the totals three times; a partner's revocation and the purge after it leave what a rebuild
    gives."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)), indicator(2, f"{ip(MULE_IP)} OR {domain(DROP)}"))
    share(api_for(banker), indicator(3, ip(MULE_IP)), indicator(4, domain(DROP)))
    with CaptureQueriesContext(connection) as queries:
        response = api_for(banker).post(
            f"/api/v1/objects/{indicator(4, '')['id']}/revoke/", {"reason": "x"}, format="json"
        )
    assert response.status_code == 200
    recounts = [q["sql"] for q in queries if "analysis_correlation SET organisation_count = t.orgs" in q["sql"]]
    assert len(recounts) == 1 and recounts[0].startswith("WITH t AS MATERIALIZED")
    StixObject.objects.filter(stix_id=indicator(2, "")["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge")
    counted = _state()[:7]
    call_command("analysis", "rebuild")
    assert _state()[:7] == counted


def test_the_observables_nothing_mentions_any_more_are_found_from_their_keys(expired):
    """The observables the purged versions alone mentioned are found by probing the links' index
    with each key, without reading the observables' rows first; they are deleted, the others kept."""
    alone = StixObject.objects.filter(stix_id=indicator(4, "")["id"])
    mentioned = set(ObjectObservable.objects.filter(stix_object__in=alone).values_list("observable_id", flat=True))
    alone.update(expires_at=timezone.now() - timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        call_command("retention", "purge")
    assert not Observable.objects.filter(pk__in=mentioned).exists()
    assert Observable.objects.filter(value=MULE_IP).exists()
    orphans = [q["sql"] for q in queries if "NOT EXISTS (SELECT 1 FROM sharing_objectobservable l" in q["sql"]]
    assert len(orphans) == 1 and orphans[0].startswith("SELECT v.id FROM unnest(")


LINKS_BY_OBJECT = f'DELETE FROM "{ObjectObservable._meta.db_table}" WHERE "stix_object_id"'  # noqa: S608 - a statement's start


@pytest.mark.django_db(transaction=True)  # the purge and the other writer are two connections
def test_a_link_written_beside_the_purge_to_an_object_it_deletes_is_refused(expired):
    """The purge locks the versions it deletes before deleting anything, so the keys it empties by
    those versions need no proof: another transaction's link to one, written after the purge
    deleted the version's links and committed before the version is deleted, waits on the lock at
    its commit and fails once the version is gone. Nothing is left naming it. (Without the lock
    that link commits at once and stays, naming a deleted version, since no proof looks for it.)"""
    other = ObjectObservable.objects.exclude(stix_object_id=expired).exclude(
        observable__in=ObjectObservable.objects.filter(stix_object_id=expired).values("observable")
    )
    observable = other.values_list("observable_id", flat=True).first()
    paused, go = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def purge() -> None:
        def pause(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            result = execute(sql, params, many, context)
            if sql.startswith(LINKS_BY_OBJECT) and not paused.is_set():
                paused.set()
                assert go.wait(60)
            return result

        try:
            with connection.execute_wrapper(pause):
                outcome["purge"] = retention_purge()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            outcome["purge"] = error
        finally:
            paused.set()
            connections.close_all()

    def link() -> None:
        try:
            connection.ensure_connection()
            outcome["pid"] = connection.connection.info.backend_pid
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {ObjectObservable._meta.db_table} (stix_object_id, observable_id) VALUES (%s, %s)",  # noqa: S608
                    [expired, observable],
                )
            outcome["link"] = "committed"
        except BaseException as error:  # noqa: BLE001 - reported by the test
            outcome["link"] = error
        finally:
            connections.close_all()

    purging = threading.Thread(target=purge)
    purging.start()
    try:
        assert paused.wait(60)
        linking = threading.Thread(target=link)
        linking.start()
        waited = waits_for_a_lock(outcome)  # else it committed at once
    finally:
        go.set()
        purging.join(60)
    linking.join(60)
    assert isinstance(outcome["purge"], dict), outcome["purge"]
    assert waited, outcome.get("link")
    assert isinstance(outcome["link"], IntegrityError), outcome["link"]
    assert not StixObject.objects.filter(pk=expired).exists()
    assert not ObjectObservable.objects.filter(stix_object_id=expired).exists()


@pytest.mark.django_db(transaction=True)  # the isolation level is set as the transaction begins
def test_under_repeatable_read_every_key_is_proved(expired):
    """A statement of a ``REPEATABLE READ`` transaction reads its first snapshot, so the lock
    would not show it a row committed later: there the keys the cascade empties are proved too."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with CaptureQueriesContext(connection) as repeatable:
            retention_purge()
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as committed:
        retention_purge()
    links = f'SELECT "stix_object_id" FROM "{ObjectObservable._meta.db_table}" WHERE "stix_object_id"'  # noqa: S608 - the proof
    assert any(query["sql"].startswith(links) for query in repeatable.captured_queries)
    assert not any(query["sql"].startswith(links) for query in committed.captured_queries)
    assert any(" FOR UPDATE) locked" in query["sql"] for query in committed.captured_queries)
    assert not StixObject.objects.filter(pk=expired).exists()
