"""Read replicas on a real PostgreSQL streaming replica: a primary of the test's own, a standby
made from it by ``pg_basebackup -R``, and ``accord serve`` processes over both.

With the standby's replay paused, an analyst's list through the replica does not show what the
primary just stored (the primary does); a partner whose agreement was suspended on the primary
meanwhile reads through the replica what a suspended partner may, though the standby still
holds the agreement active; a standby further behind than allowed, and a standby that is down,
leave the reads to the primary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from accord.formats.markings import TLP2_IDS
from tests.stix_samples import indicator
from tests.test_postgres_restart import _BINARIES, ACCORD, SU, Cluster, _free_port

ROOT = Path(__file__).resolve().parents[1]
CORRELATIONS = "/api/v1/correlations/"
GREEN = [TLP2_IDS["green"]]
FIRST, SECOND = "194.147.78.20", "194.147.78.21"  # values no warning list names

pytestmark = pytest.mark.skipif(
    not (os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres") and _BINARIES and os.geteuid() == 0),
    reason="runs in the PostgreSQL pass, as root beside PostgreSQL's binaries (CI)",
)


class Standby(Cluster):
    """A streaming replica of ``primary``: its base backup, with the standby's settings (-R)."""

    def __init__(self, root: Path, primary: Cluster) -> None:  # no initdb: the backup is the data
        self.bin = primary.bin
        self.data = root / "data"
        self.port = _free_port()
        self.root = root
        shutil.chown(root, "postgres", "postgres")
        self._as_postgres(
            f"{self.bin}/pg_basebackup -h 127.0.0.1 -p {primary.port} -U postgres -D {self.data} -R -X stream"
        )


@dataclass
class Servers:
    primary: Cluster
    standby: Standby
    env: dict[str, str]
    urls: dict[str, str]
    tokens: dict[str, Any]


def _sql(url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(query, params).fetchall()  # type: ignore[arg-type]


def _accord(environment: dict[str, str], *args: str) -> str:
    result = subprocess.run([ACCORD, *args], env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _serve(environment: dict[str, str], home: Path, name: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = _free_port()
    log = (home / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return url, process
        except requests.RequestException:
            pass
        assert process.poll() is None and time.monotonic() < deadline, (home / f"{name}.log").read_text()[-3000:]
        time.sleep(0.2)


@pytest.fixture
def servers() -> Iterator[Servers]:
    """A primary and its standby, an Accord site on them (two partners under agreements, an
    analyst, a programme manager), and three servers: ``plain`` (the primary alone, for the
    writes, which then pin no one), ``replica`` (reads from the standby, however far behind)
    and ``strict`` (reads from the standby only within 1 s of the primary)."""
    root = Path(tempfile.mkdtemp(prefix="accord-replica-"))  # pytest's own temporary folders are closed to postgres
    (root / "primary").mkdir()
    (root / "standby").mkdir()
    (root / "home").mkdir()
    root.chmod(0o755)  # the clusters' folders within are postgres's
    primary = Cluster(root / "primary")
    processes: list[subprocess.Popen[bytes]] = []
    standby: Standby | None = None
    try:
        primary.start()
        standby = Standby(root / "standby", primary)
        standby.start()
        base = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k != "DJANGO_SETTINGS_MODULE"}
        env = base | {
            "ACCORD_HOME": str(root / "home"),
            "ACCORD_DATABASE_URL": primary.url,
            "ACCORD_TASK_BACKEND": "immediate",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        _accord(env, "init", "--no-static")
        made = subprocess.run(
            [sys.executable, "-m", "bench.load", "setup", "2", "1"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        tokens = json.loads(made.stdout)
        _accord(
            env | {"ACCORD_ADMIN_PASSWORD": "a-long-enough-passphrase"},
            "createadmin",
            "--username",
            "ops",
            "--email",
            "ops@icd.example",
        )
        issued = _accord(env, "token", "issue", "--user", "ops", "--scopes", "read,write,admin")
        tokens["admin"] = issued.strip().splitlines()[-1]
        replica = {"ACCORD_REPLICA_DATABASE_URL": standby.url}
        urls = {}
        for name, extra in (
            ("plain", {}),
            ("replica", replica | {"ACCORD_REPLICA_MAX_LAG_SECONDS": "3600"}),
            ("strict", replica | {"ACCORD_REPLICA_MAX_LAG_SECONDS": "1"}),
        ):
            urls[name], process = _serve(env | extra, root / "home", name)
            processes.append(process)
        yield Servers(primary, standby, env, urls, tokens)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        for cluster in (standby, primary):
            if cluster is not None:
                stop = f"{cluster.bin}/pg_ctl -D {cluster.data} -m immediate stop"
                subprocess.run([SU, *cluster.as_postgres(stop)], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _get(url: str, path: str, token: str) -> Any:
    answer = requests.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def _correlating(url: str, token: str) -> set[str]:
    return {row["value"] for row in _get(url, f"{CORRELATIONS}?page_size=100", token)["results"]}


def _share(url: str, token: str, n: int, value: str) -> None:
    body = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [indicator(n, f"[ipv4-addr:value = '{value}']", object_marking_refs=GREEN)],
    }
    answer = requests.post(
        f"{url}/api/v1/submissions/",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=120,
    )
    assert answer.status_code == 201, answer.text[:500]
    assert answer.json()["status"] == "done", answer.json()


def _served(url: str) -> dict[str, float]:
    """``accord_replica_reads_total`` of the server at ``url``, by outcome."""
    text = requests.get(f"{url}/metrics", timeout=60).text
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "accord_replica_reads_total"
    }


def _caught_up(servers: Servers) -> None:
    """Wait until the standby has replayed everything the primary wrote so far."""
    target = _sql(servers.primary.url, "SELECT pg_current_wal_lsn()")[0][0]
    deadline = time.monotonic() + 120
    while not _sql(servers.standby.url, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target)[0][0]:
        assert time.monotonic() < deadline, "the standby never caught up"
        time.sleep(0.1)


def _lag(servers: Servers) -> float:
    from accord.core.replicas import _LAG_SQL  # noqa: PLC0415 - the measure the servers take

    return float(_sql(servers.standby.url, _LAG_SQL)[0][0])


def test_analysts_read_from_the_standby_policy_from_the_primary_and_the_primary_when_it_cannot(
    servers: Servers,
) -> None:
    plain, replica, strict = servers.urls["plain"], servers.urls["replica"], servers.urls["strict"]
    first, second = (partner["token"] for partner in servers.tokens["partners"])
    analyst = servers.tokens["analysts"][0]
    _share(plain, first, 1, FIRST)
    _share(plain, second, 2, FIRST)
    _caught_up(servers)
    before = _served(replica)
    assert FIRST in _correlating(replica, analyst)
    assert _served(replica)["replica"] == before.get("replica", 0) + 1
    # A partner's correlations are rows kept for it (analysis.reader_correlations), judged fresh
    # by a stamp read on the primary: they are read there too, never from a standby that may
    # hold older ones.
    assert FIRST in _correlating(replica, first)
    assert FIRST in _correlating(replica, first)
    assert _served(replica)["replica"] == before.get("replica", 0) + 1

    # (1) Replay paused: what the primary stores next is not on the standby. The analyst's list
    # through the replica does not show it yet; the primary does.
    _sql(servers.standby.url, "SELECT pg_wal_replay_pause()")
    _share(plain, first, 3, SECOND)
    _share(plain, second, 4, SECOND)
    assert SECOND in _correlating(plain, analyst)
    assert SECOND not in _correlating(replica, analyst)
    assert FIRST in _correlating(replica, analyst)

    # (2) The first partner's agreement is suspended on the primary; the standby still holds it
    # active. Through the replica server the partner reads what a suspended partner may: the
    # other partner's GREEN object no longer reaches it, so its value no longer correlates for it.
    organisation = servers.tokens["partners"][0]["organisation"]
    agreement = _sql(servers.primary.url, "SELECT id FROM partners_agreement WHERE organisation_id = %s", organisation)
    suspended = requests.post(
        f"{plain}/api/v1/agreements/{agreement[0][0]}/suspend/",
        json={"reason": "a data breach"},
        headers={"Authorization": f"Bearer {servers.tokens['admin']}"},
        timeout=120,
    )
    assert suspended.status_code == 200, suspended.text[:500]
    standing = "SELECT status FROM partners_agreement WHERE organisation_id = %s"
    assert _sql(servers.standby.url, standing, organisation) == [("active",)]
    assert _sql(servers.primary.url, standing, organisation) == [("suspended",)]
    # Its kept correlations follow the agreement as the primary holds it, rewritten and read
    # there (the standby, replay paused, still holds the old rows and the agreement active).
    assert _correlating(replica, first) == set()
    assert _correlating(replica, first) == set()  # and again, once its rows are fresh

    # A standby further behind than allowed (1 s) is passed over: the strict server answers from
    # the primary and counts it.
    deadline = time.monotonic() + 60
    while _lag(servers) <= 1:
        assert time.monotonic() < deadline, "the paused standby never fell behind"
        time.sleep(0.2)
    assert SECOND in _correlating(strict, analyst)
    assert _served(strict).get("lagging", 0) >= 1

    # Replay resumed, the standby catches up and the replica shows it.
    _sql(servers.standby.url, "SELECT pg_wal_replay_resume()")
    _caught_up(servers)
    assert SECOND in _correlating(replica, analyst)

    # (3) The standby down: the replica server answers from the primary, and counts it.
    servers.standby.stop()
    _share(plain, second, 5, "194.147.78.22")
    _share(plain, servers.tokens["admin"], 6, "194.147.78.22")
    before = _served(replica)
    assert "194.147.78.22" in _correlating(replica, analyst)
    assert _served(replica)["unreachable"] == before.get("unreachable", 0) + 1
