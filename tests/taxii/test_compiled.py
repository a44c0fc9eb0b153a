"""TAXII reads run SQL compiled once per shape (accord.taxii.compiled): two readers whose
agreements differ never run one compiled statement, a statement kept under the wrong shape is
refused, an agreement that changes is a new shape, and a read by id costs a fixed number of
queries."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest
from django.utils import timezone

from accord.core.choices import OrganisationKind, Tlp
from accord.partners.models import Agreement
from accord.partners.services import agreement_amend, agreement_suspend
from accord.sharing.models import StixObject
from accord.taxii import compiled
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.taxii.conftest import Taxii, secret_for
from tests.taxii.test_protocol import shared_id


def _store(sharer: Any) -> dict[str, str]:
    """A TLP:GREEN and a TLP:AMBER indicator shared by Kestrel under its agreement."""
    now = timezone.now()
    ids = {}
    for n, tlp in enumerate((Tlp.GREEN, Tlp.AMBER)):
        stix_id = f"indicator--00000000-0000-4000-8000-{n:012}"
        body = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": stix_id,
            "created": "2026-05-01T12:00:00.000Z",
            "modified": "2026-05-01T12:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '198.51.100.{n + 1}']",
            "pattern_type": "stix",
            "valid_from": "2026-05-01T12:00:00.000Z",
        }
        StixObject.objects.create(
            stix_id=stix_id,
            type="indicator",
            created=now,
            modified=now,
            organisation=sharer.organisation,
            agreement=sharer,
            tlp=tlp,
            data_category="technical_indicator",
            body=body,
        )
        ids[tlp] = stix_id
    return ids


def _reader(kind: str, ceiling: str) -> Taxii:
    organisation = OrganisationFactory(kind=kind, country="GB")
    make_agreement(organisation, tlp_ceiling=ceiling)
    user = UserFactory(role="partner_reader", organisation=organisation)
    return Taxii(user, secret_for(user))


def _read(reader: Taxii) -> tuple[set[str], list[compiled.Compiled]]:
    """What one page of the shared collection serves the reader, and the statements compiled for it."""
    before = {id(entry) for entry in compiled.compiled_entries()}
    response = reader.get(f"collections/{shared_id()}/objects/")
    assert response.status_code == 200, response.content
    made = [entry for entry in compiled.compiled_entries() if id(entry) not in before]
    return {obj["id"] for obj in response.json().get("objects", [])}, made


@pytest.fixture
def readers(sharer: Any) -> dict[str, Any]:
    # Ids are used again after a test's rollback: an earlier test's reader may have had the same
    # values, so the same shape (rightly the same statement). Each test starts with none.
    compiled._CACHE.clear()
    return {
        "ids": _store(sharer),
        "police": _reader(OrganisationKind.LAW_ENFORCEMENT, Tlp.AMBER),
        "bank": _reader(OrganisationKind.PRIVATE, Tlp.GREEN),
    }


def test_readers_with_different_agreements_never_share_a_compiled_statement(readers):
    police, police_made = _read(readers["police"])
    bank, bank_made = _read(readers["bank"])
    assert police == {readers["ids"][Tlp.GREEN], readers["ids"][Tlp.AMBER]}
    assert bank == {readers["ids"][Tlp.GREEN]}
    # Each read compiled its own statement: the second reader's did not find the first's.
    assert len(police_made) == 1 and len(bank_made) == 1
    police_entry, bank_entry = police_made[0], bank_made[0]
    assert police_entry.shape != bank_entry.shape
    assert police_entry.shape.seen.recipient_caps != bank_entry.shape.seen.recipient_caps
    # Read again, each runs its own statement and compiles nothing more.
    assert _read(readers["police"]) == (police, [])
    assert _read(readers["bank"]) == (bank, [])


def test_a_statement_kept_under_another_readers_shape_is_refused(readers):
    _read(readers["police"])
    _read(readers["bank"])
    police_entry, bank_entry = compiled.compiled_entries()[-2:]
    planted = {
        # kept under the bank's shape, still saying it was built for the police's
        "mis-keyed": police_entry,
        # built for the police's reader, claiming the bank's shape
        "relabelled": replace(police_entry, shape=bank_entry.shape),
    }
    for case, entry in planted.items():
        compiled._CACHE[bank_entry.shape] = entry
        try:
            with pytest.raises(RuntimeError, match="shape it was not built for|differs from the same read"):
                readers["bank"].get(f"collections/{shared_id()}/objects/")
        finally:
            compiled._CACHE[bank_entry.shape] = bank_entry
        assert case
    assert _read(readers["bank"])[0] == {readers["ids"][Tlp.GREEN]}


def test_an_agreement_that_changes_is_a_new_shape(readers, sharer):
    served, made = _read(readers["police"])
    assert served and len(made) == 1 and sharer.pk in made[0].shape.seen.permitting
    # The originator's new terms in force no longer let its data onward to law enforcement.
    amended = sharer.current_version
    amended.pk, amended.number, amended.onward_kinds = None, 2, [OrganisationKind.PRIVATE]
    amended.save()
    sharer.current_version = amended
    sharer.save(update_fields=["current_version"])
    served, made = _read(readers["police"])
    assert served == set()
    assert len(made) == 1 and sharer.pk not in made[0].shape.seen.permitting


def test_an_object_by_id_costs_a_fixed_number_of_queries(readers, django_assert_num_queries):
    reader = readers["police"]
    path = f"collections/{shared_id()}/objects/{readers['ids'][Tlp.AMBER]}/"
    assert reader.get(path).status_code == 200  # compiles, and notes the token's use
    # The token with its person and organisation; the collection; the agreements' states, read
    # once for the reader's own, the originators' the SQL permits and those its decision reads;
    # the ingests running; the object.
    with django_assert_num_queries(5):
        response = reader.get(path)
    assert response.status_code == 200 and response.json()["objects"][0]["id"] == readers["ids"][Tlp.AMBER]


def test_an_agreement_suspended_between_two_reads_counts_on_the_second(readers, sharer):
    """Each read reads the agreements' states again: the reader's own agreement suspended after
    one read withholds everything from the next, and the originator's agreement amended to let
    its data onward to private companies only withholds its objects from the police."""
    path = f"collections/{shared_id()}/objects/{readers['ids'][Tlp.GREEN]}/"
    bank, police = readers["bank"], readers["police"]
    assert bank.get(path).status_code == 200
    assert police.get(path).status_code == 200
    own = Agreement.objects.get(organisation=bank.user.organisation)
    agreement_suspend(actor=None, agreement=own, reason="Its data handling is under review.")
    assert bank.get(path).status_code == 404
    assert police.get(path).status_code == 200
    agreement_amend(
        actor=None, agreement=sharer, change_note="Onward to companies only.", terms={"onward_kinds": ["private"]}
    )
    assert police.get(path).status_code == 404


SETTING = "max_parallel_workers_per_gather"
OBJECTS_READ = ("WITH", 'SELECT "id", "organisation_id"', 'SELECT "sharing_stixobject"."id"')  # compiled reads' starts


def _planned_with(reader: Taxii, path: str) -> tuple[list[str], str]:
    """The parallel workers each statement of a read could plan for (PostgreSQL's setting as each
    ran), and the setting after the read."""
    from django.db import connection

    seen: list[str] = []

    def note(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.startswith(
            ("WITH", 'SELECT "id", "organisation_id"', 'SELECT "sharing_stixobject"."id"')
        ):  # objects read
            with connection.cursor() as cursor:
                cursor.execute(f"SHOW {SETTING}")
                seen.append(cursor.fetchone()[0])
        return result

    with connection.execute_wrapper(note):
        response = reader.get(path)
    assert response.status_code == 200, response.content
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {SETTING}")
        return seen, cursor.fetchone()[0]


def _planned_serially(sharer: Any) -> None:
    ids = _store(sharer)
    reader = _reader(OrganisationKind.PRIVATE, Tlp.AMBER)
    before = _planned_with(reader, f"collections/{shared_id()}/")[1]
    assert before != "0"
    listing, after = _planned_with(reader, f"collections/{shared_id()}/objects/")
    assert listing == ["0"] and after == before
    one, after = _planned_with(reader, f"collections/{shared_id()}/objects/{ids[Tlp.GREEN]}/")
    assert one == [before] and after == before


ON_POSTGRESQL = pytest.mark.skipif(
    not os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL's parallel query"
)


@ON_POSTGRESQL
def test_a_listing_is_planned_without_parallel_workers_and_nothing_else_is(sharer):
    """Starting parallel workers cost most of a page's statement: a listing runs with none, set
    for that statement alone (inside the caller's transaction here, put back after it); a read
    of one object is left as it is."""
    _planned_serially(sharer)


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)  # the request outside any transaction, as served
def test_outside_a_transaction_a_listing_runs_in_one_of_its_own(sharer):
    _planned_serially(sharer)


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@ON_POSTGRESQL
def test_an_object_the_token_and_the_collection_are_read_prepared_and_a_listing_is_planned_each_time(readers):
    """The reads of every request by key — the token, the collection, one object's versions —
    are prepared on the server and run from their plan (accord.core.prepared.planned_once); a
    page of a listing is planned for its position on each read, never prepared."""
    reader = readers["police"]
    path = f"collections/{shared_id()}/objects/{readers['ids'][Tlp.AMBER]}/"
    for _ in range(2):
        response = reader.get(path)
        assert response.status_code == 200 and response.json()["objects"][0]["id"] == readers["ids"][Tlp.AMBER]
    assert reader.get(f"collections/{shared_id()}/objects/").status_code == 200
    statements = _prepared_statements()
    assert any('FROM "core_apitoken"' in sql and "$1" in sql for sql in statements)
    assert any('FROM "taxii_collection"' in sql for sql in statements)
    one = [sql for sql in statements if 'FROM "sharing_stixobject"' in sql and '"modified" DESC' in sql]
    assert one and all("$" in sql for sql in one)
    assert not [sql for sql in statements if 'WITH "part0"' in sql]  # the listing's statement
