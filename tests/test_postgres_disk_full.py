"""PostgreSQL out of disk space: a submission to a real server is refused with a clear 507 that
says nothing was kept, nothing of it is stored, reads go on, and once there is room the same file
is taken whole. The database lives in a tablespace on a small filesystem of the test's own, so
its tables fill up while the write-ahead log (in the cluster's own directory) still has room, as
when a database volume fills."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.stix_samples import bundle, indicator
from tests.test_postgres_restart import ACCORD, Cluster, _accord, _free_port, cluster  # noqa: F401 - a fixture

pytestmark = pytest.mark.skipif(
    not (os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres") and os.geteuid() == 0),
    reason="runs in the PostgreSQL pass, as root beside PostgreSQL's binaries (CI)",
)

SPACE_MB = 48
MOUNT = shutil.which("mount") or "/usr/bin/mount"
UMOUNT = shutil.which("umount") or "/usr/bin/umount"
INDICATORS = 4000


@pytest.fixture
def small_volume(cluster: Cluster) -> Iterator[Path]:  # noqa: F811 - the fixture imported above
    """A 48 MB filesystem owned by postgres; skipped where nobody may mount one."""
    volume = cluster.root / "volume"
    volume.mkdir()
    mounted = subprocess.run(
        [MOUNT, "-t", "tmpfs", "-o", f"size={SPACE_MB}m", "tmpfs", str(volume)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.decode().strip()}")
    try:
        (volume / "pg").mkdir()
        os.chown(volume / "pg", *_postgres_ids())
        yield volume
    finally:
        subprocess.run([UMOUNT, "-l", str(volume)], check=False)


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def _fill(volume: Path, leave_mb: int) -> Path:
    """Take all the room on ``volume`` but ``leave_mb``."""
    filler = volume / "filler"
    free = os.statvfs(volume).f_bavail * os.statvfs(volume).f_frsize
    with filler.open("wb") as out:
        out.truncate(0)
        remaining = free - leave_mb * 1024 * 1024
        chunk = b"\0" * (1024 * 1024)
        while remaining > 0:
            out.write(chunk[: min(len(chunk), remaining)])
            remaining -= len(chunk)
    return filler


def _post(port: int, token: str, body: bytes) -> tuple[int, dict[str, str], dict]:
    boundary = uuid.uuid4().hex
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="many.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/submissions/",
        data=payload,
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _get(port: int, token: str, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        return response.status


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - a fixed name


def test_a_full_database_volume_keeps_nothing_and_takes_the_same_file_once_there_is_room(
    cluster: Cluster,  # noqa: F811 - the fixture imported above
    small_volume: Path,
    tmp_path: Path,
) -> None:
    with psycopg.connect(cluster.url, autocommit=True) as db:
        db.execute(f"CREATE TABLESPACE small LOCATION '{small_volume / 'pg'}'")
        db.execute("CREATE DATABASE accord TABLESPACE small")
    url = cluster.url.rsplit("/", 1)[0] + "/accord"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_DATABASE_URL": url}
    _accord(environment, "init")
    _accord(
        environment | {"ACCORD_ADMIN_PASSWORD": "a-long-enough-passphrase"},
        "createadmin",
        "--username",
        "ops",
        "--email",
        "ops@icd.example",
    )
    token = _accord(environment, "token", "issue", "--user", "ops", "--scopes", "read,write").strip().splitlines()[-1]
    many = bundle(
        *(indicator(n, f"[ipv4-addr:value = '198.51.{n // 256}.{n % 256}']") for n in range(1, INDICATORS + 1))
    )
    port = _free_port()
    server = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assert _get(port, token, "/api/v1/organisations/") == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        filler = _fill(small_volume, leave_mb=1)

        status, headers, body = _post(port, token, many)
        assert status == 507, body
        assert body["error"]["code"] == "storage_full"
        assert "nothing of it was kept" in body["error"]["message"]
        assert "postgres" not in body["error"]["message"].lower()
        assert int(headers["Retry-After"]) > 0
        assert _count(url, "sharing_stixobject") == 0
        assert _get(port, token, "/api/v1/organisations/") == 200  # reads go on

        filler.unlink()
        status, _, body = _post(port, token, many)
        assert status == 201 and body["status"] == "done", body
        assert body["accepted_count"] == INDICATORS
        assert _count(url, "sharing_stixobject") == INDICATORS
    finally:
        server.terminate()
        server.wait(timeout=60)
