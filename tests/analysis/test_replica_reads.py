"""Which reads a read replica serves, through real requests (``accord.core.replicas``).

The replica here is a second connection to the test database, added as the alias ``replica``:
it holds what the primary holds, so these tests show where each query goes, not staleness
(``tests/test_postgres_replica.py`` shows that on a real streaming replica)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.partners.models import Agreement
from tests.analysis.conftest import CORRELATIONS, MULE_IP, PHISH, observable
from tests.core.test_metrics import scrape, value
from tests.ids import pid

ACCORD = str(Path(sys.executable).with_name("accord"))
PAGES = ["/analysis/trends/", "/analysis/correlations/", "/analysis/campaigns/", "/analysis/reports/"]
API_LISTS = [
    "/api/v1/trends/",
    "/api/v1/correlations/",
    "/api/v1/campaigns/",
    "/api/v1/reports/",
    "/api/v1/sightings/",
    "/api/v1/observables/",
]
# What the policy decides by: never read from a replica, not even joined into a query of its.
# rows kept per reader, judged fresh by a stamp read on the primary: read there alone
KEPT_FOR_READER = re.compile(r'"analysis_reader\w+"')
POLICY_INPUTS = re.compile(r'"(partners_\w+|core_apitoken|django_session|otp_\w+)"|FROM "core_(user|organisation)"')


def _replica_alias(**where: Any) -> Iterator[Any]:
    """A connection under the alias ``replica`` to the test database, or ``where`` else, made by
    hand (the alias is unknown to ``DATABASES``, so the test runner neither creates nor flushes
    it)."""
    primary = connections["default"].settings_dict
    connections["replica"] = load_backend(primary["ENGINE"]).DatabaseWrapper(dict(primary, **where), "replica")
    try:
        yield connections["replica"]
    finally:
        connections["replica"].close()
        del connections["replica"]


@pytest.fixture
def replicated(transactional_db: Any, workbench: dict[str, Any], settings: Any) -> Iterator[Any]:
    """The alias ``replica`` on the test database, configured as Accord's replica once the
    workbench is shared (committed data only: the tests that use it run outside a transaction,
    as requests do)."""
    settings.ACCORD_REPLICA_ALIASES = ["replica"]
    settings.DATABASE_ROUTERS = ["accord.core.replicas.ReplicaRouter"]
    yield from _replica_alias()


@pytest.fixture
def unreachable(transactional_db: Any, workbench: dict[str, Any], settings: Any, tmp_path: Path) -> Iterator[Any]:
    """A replica that cannot be opened: a file in a folder that does not exist, a server port
    where nothing listens."""
    settings.ACCORD_REPLICA_ALIASES = ["replica"]
    settings.DATABASE_ROUTERS = ["accord.core.replicas.ReplicaRouter"]
    if connections["default"].vendor == "postgresql":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield from _replica_alias(HOST="127.0.0.1", PORT=str(port))
    else:
        yield from _replica_alias(NAME=str(tmp_path / "no such folder" / "replica.sqlite3"))


def _read(client: Any, path: str) -> tuple[Any, list[str], list[str]]:
    """``client``'s answer to ``path`` and the SQL the primary and the replica ran for it."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return response, [q["sql"] for q in primary.captured_queries], [q["sql"] for q in replica.captured_queries]


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["analyst", "kestrel"])
def test_analysts_pages_and_lists_are_read_from_the_replica_and_the_policy_inputs_never(
    replicated: Any, workbench: dict[str, Any], people: dict[str, Any], api_for: Any, who: str
) -> None:
    user = people["analyst"] if who == "analyst" else workbench["kestrel"]
    clients = [(_signed_in(user), PAGES), (api_for(user, scopes=("read",)), API_LISTS)]
    for client, paths in clients:
        client.get(paths[0])  # a partner's first read writes its campaigns (then read from the primary)
        for path in paths:
            _, primary, replica = _read(client, path)
            kept = who == "kestrel" and ("correlations" in path or "campaigns" in path)
            assert kept or replica, f"{path}: nothing read from the replica"
            assert not [sql for sql in replica if POLICY_INPUTS.search(sql) or KEPT_FOR_READER.search(sql)], path
            assert [sql for sql in primary if '"partners_agreement"' in sql or "core_user" in sql], path


def test_what_the_policy_decides_by_comes_from_the_primary(
    replicated: Any, workbench: dict[str, Any], people: dict[str, Any], api_for: Any
) -> None:
    """A partner suspended on the primary sees through the replica path what a suspended partner
    may: its own values no longer correlate with what others shared."""
    kestrel = api_for(workbench["kestrel"], scopes=("read",))
    before = kestrel.get(CORRELATIONS).json()["results"]
    assert before
    agreement = Agreement.objects.get(organisation=workbench["kestrel"].organisation)
    suspended = api_for("programme_manager").post(
        f"/api/v1/agreements/{agreement.pk}/suspend/", {"reason": "a data breach"}, format="json"
    )
    assert suspended.status_code == 200, suspended.content
    # The first read after the change computes the partner's kept correlations again, from the
    # primary; they are read there, now and later (a lagging replica may hold the old rows while
    # the stamp, read on the primary, says they are fresh).
    for _ in range(2):
        response, _, replica = _read(kestrel, CORRELATIONS)
        assert response.json()["results"] == [] and not [sql for sql in replica if KEPT_FOR_READER.search(sql)]


def test_a_person_who_just_wrote_reads_from_the_primary(
    replicated: Any, workbench: dict[str, Any], people: dict[str, Any], api_for: Any
) -> None:
    writer = api_for("analyst")
    before = scrape()
    assert _read(writer, CORRELATIONS)[2]
    answer = writer.post("/api/v1/sightings/", {"type": "ipv4", "value": MULE_IP}, format="json")
    assert answer.status_code == 201, answer.content
    _, primary, replica = _read(writer, CORRELATIONS)
    assert replica == [] and primary
    # someone else reads from the replica all the same
    assert _read(api_for("auditor", scopes=("read",)), CORRELATIONS)[2]
    after = scrape()
    assert value(after, "accord_replica_reads_total", outcome="pinned") == (
        value(before, "accord_replica_reads_total", outcome="pinned") + 1
    )
    assert value(after, "accord_replica_reads_total", outcome="replica") == (
        value(before, "accord_replica_reads_total", outcome="replica") + 2
    )


def test_reads_not_marked_for_the_replica_stay_on_the_primary(
    replicated: Any, workbench: dict[str, Any], people: dict[str, Any], api_for: Any
) -> None:
    analyst = api_for("analyst", scopes=("read",))
    campaign = workbench["phishing"]
    for path in (
        f"{CORRELATIONS}{pid(observable(MULE_IP))}/",
        f"/api/v1/campaigns/{campaign.pk}/",
        f"/api/v1/campaigns/{campaign.pk}/graph/",
        "/api/v1/objects/",
        "/api/v1/organisations/",
    ):
        assert _read(analyst, path)[2] == [], path
    assert _read(_signed_in(people["analyst"]), f"/analysis/campaigns/{campaign.pk}/")[2] == []


def test_a_partners_campaigns_are_computed_from_the_primary(
    replicated: Any, workbench: dict[str, Any], api_for: Any
) -> None:
    """A partner's campaigns are a cache stamped with the primary's state: computed from a
    replica's older objects they would be kept as current; and read from a replica behind the
    primary, older rows would pass for the fresh ones the primary's stamp vouches for. They are
    computed and read on the primary, every time."""
    kestrel = api_for(workbench["kestrel"], scopes=("read",))
    response, primary, replica = _read(kestrel, "/api/v1/campaigns/")
    assert replica == []
    assert response.json()["results"]
    again, _, replica = _read(kestrel, "/api/v1/campaigns/")
    assert not [sql for sql in replica if KEPT_FOR_READER.search(sql)]
    assert again.json() == response.json()


def test_an_unreachable_replica_leaves_the_reads_to_the_primary(
    unreachable: Any, workbench: dict[str, Any], people: dict[str, Any], api_for: Any
) -> None:
    before = scrape()
    analyst = api_for("analyst", scopes=("read",))
    listed = analyst.get(CORRELATIONS)
    assert listed.status_code == 200
    assert PHISH in {row["value"] for row in listed.json()["results"]}
    assert _signed_in(people["analyst"]).get("/analysis/trends/").status_code == 200
    after = scrape()
    assert value(after, "accord_replica_reads_total", outcome="unreachable") > value(
        before, "accord_replica_reads_total", outcome="unreachable"
    )
    assert value(after, "accord_replica_reads_total", outcome="replica") == value(
        before, "accord_replica_reads_total", outcome="replica"
    )


@pytest.mark.django_db
def test_without_a_replica_nothing_is_asked_of_the_cache(people: dict[str, Any], api_for: Any) -> None:
    analyst = api_for("analyst", scopes=("read",))
    with CaptureQueriesContext(connections["default"]) as primary:
        assert analyst.get(CORRELATIONS).status_code == 200
        assert analyst.post("/api/v1/sightings/", {"type": "ipv4", "value": MULE_IP}, format="json")
    assert not [q for q in primary.captured_queries if "replica" in q["sql"]]
    assert set(connections) == {"default"}


@pytest.mark.parametrize(
    ("primary", "replicas", "message"),
    [
        ("", "postgresql://accord@replica.example/accord", "ACCORD_DATABASE_URL must name a PostgreSQL primary"),
        (
            "postgresql://accord@primary.example/accord",
            "postgresql://accord@replica.example/accord,mysql://accord@other.example/accord",
            "replica 2 is not a PostgreSQL URL",
        ),
    ],
)
def test_a_replica_url_that_cannot_serve_is_refused_at_start(
    tmp_path: Path, primary: str, replicas: str, message: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(tmp_path), "ACCORD_REPLICA_DATABASE_URL": replicas}
    if primary:
        environment["ACCORD_DATABASE_URL"] = primary
    result = subprocess.run(
        [ACCORD, "check"], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert message in result.stderr
