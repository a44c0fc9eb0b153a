"""PostgreSQL restarted under load: while it is down, every request fails cleanly (a 503 that
says so, with Retry-After, never a 500); once it is back, Accord answers again without being
restarted. A real server on a PostgreSQL cluster of the test's own, stopped and started."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ACCORD = str(Path(sys.executable).with_name("accord"))
SU = shutil.which("su") or "/usr/bin/su"
_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))

pytestmark = pytest.mark.skipif(
    not (os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres") and _BINARIES and os.geteuid() == 0),
    reason="runs in the PostgreSQL pass, as root beside PostgreSQL's binaries (CI)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster of the test's own, run as the postgres user."""

    def __init__(self, root: Path) -> None:
        self.bin = _BINARIES[-1].parent
        self.data = root / "data"
        self.port = _free_port()
        self.root = root
        shutil.chown(root, "postgres", "postgres")
        self._as_postgres(f"{self.bin}/initdb -D {self.data} -U postgres -A trust -E UTF8")

    @staticmethod
    def as_postgres(command: str) -> list[str]:
        return ["postgres", "-s", "/bin/sh", "-c", command]

    def _as_postgres(self, command: str) -> None:
        subprocess.run([SU, *self.as_postgres(command)], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -l {self.root}/log -w -o '{options}' start")

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m fast -w stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="accord-pg-"))  # pytest's own temporary folders are closed to postgres
    found = Cluster(root)
    found.start()
    try:
        yield found
    finally:
        subprocess.run([SU, *found.as_postgres(f"{found.bin}/pg_ctl -D {found.data} -m immediate stop")], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _accord(environment: dict[str, str], *args: str) -> str:
    result = subprocess.run([ACCORD, *args], env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_requests_fail_cleanly_while_postgresql_restarts_and_recover_without_a_restart(
    cluster: Cluster, tmp_path: Path
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_DATABASE_URL": cluster.url}
    _accord(environment, "init")
    _accord(
        environment | {"ACCORD_ADMIN_PASSWORD": "a-long-enough-passphrase"},
        "createadmin",
        "--username",
        "ops",
        "--email",
        "ops@icd.example",
    )
    token = _accord(environment, "token", "issue", "--user", "ops", "--scopes", "read").strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port), "--workers", "2", "--no-worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answers: list[tuple[int, dict[str, str], bytes]] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/organisations/", headers={"Authorization": f"Bearer {token}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                    answers.append((response.status, dict(response.headers), response.read()))
            except urllib.error.HTTPError as error:
                answers.append((error.code, dict(error.headers), error.read()))
            except OSError:
                time.sleep(0.1)  # the server is still starting
                continue
            time.sleep(0.02)

    def answered(count: int, status: int, deadline: float) -> None:
        while sum(1 for found, _, _ in answers if found == status) < count:
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, f"no {count} answers {status}: {[a[0] for a in answers][-20:]}"
            time.sleep(0.1)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        answered(10, 200, time.monotonic() + 120)
        cluster.stop()
        answered(5, 503, time.monotonic() + 60)
        cluster.start()
        before = len(answers)
        deadline = time.monotonic() + 60
        while sum(1 for status, _, _ in answers[before:] if status == 200) < 20:
            assert time.monotonic() < deadline, f"never recovered: {[a[0] for a in answers[before:]][-20:]}"
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.terminate()
        server.wait(timeout=60)
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {200, 503}, statuses  # never a 500
    for status, headers, body in answers:
        if status == 503:
            assert json.loads(body)["error"]["code"] == "database_unavailable"
            assert int(headers["Retry-After"]) > 0
    assert statuses[-10:] == [200] * 10  # answering again, by the same server processes
