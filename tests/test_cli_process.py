"""The ``accord`` console script as a user runs it: fresh home, init, demo, tokens, audit, help."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ACCORD = str(Path(sys.executable).with_name("accord"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ACCORD_HOME on its own SQLite file with the demo loaded."""
    path = tmp_path_factory.mktemp("accord-home")
    result = accord(path, "demo")
    assert result.returncode == 0, result.stderr
    return path


def accord(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}"}
    environment |= env or {}
    return subprocess.run([ACCORD, *args], capture_output=True, text=True, env=environment, timeout=300, check=False)


def test_help_lists_accords_commands(tmp_path):
    out = accord(tmp_path, "--help").stdout
    for command in ("init", "createadmin", "serve", "demo", "token", "audit", "roles", "worker"):
        assert f"\n  {command} " in out


def test_secret_key_is_generated_once_with_mode_0600(home):
    key_file = home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_text()
    accord(home, "check")
    assert key_file.read_text() == before


def test_init_makes_the_audit_signing_key_once_with_mode_0600(home):
    key_file = home / "audit_signing_key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_bytes()
    assert accord(home, "init", "--no-static").returncode == 0
    assert key_file.read_bytes() == before
    checkpoint = accord(home, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert (home / "audit_checkpoints.jsonl").read_text().strip() == checkpoint.stdout.strip()


def test_demo_prints_the_logins(home):
    result = accord(home, "demo", "--no-init")
    assert result.returncode == 0
    assert "admin" in result.stdout and "accord-demo-2026" in result.stdout
    # Administrators must have a second factor: the demo says how they get one.
    assert "Administrators sign in with a second factor" in result.stdout
    assert "ACCORD_TOTP_REQUIRED_ROLES= (empty)" in result.stdout


def test_an_unknown_role_in_the_second_factor_setting_is_refused_by_name(tmp_path):
    result = accord(tmp_path, "check", env={"ACCORD_TOTP_REQUIRED_ROLES": "admin,wizard"})
    assert result.returncode != 0
    assert "ACCORD_TOTP_REQUIRED_ROLES: unknown role(s) wizard" in result.stderr


def test_export_as_a_demo_person(home):
    target = home / "reader.rules"
    result = accord(
        home, "export", "--format", "suricata", "--as", "reader", "--purpose", "prevention", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert "object(s) as suricata to" in result.stderr
    rules = [line for line in target.read_text().splitlines() if line.startswith("alert ")]
    assert rules and all("sid:" in line for line in rules)
    unknown = accord(home, "export", "--format", "pdf", "--as", "reader")
    assert unknown.returncode != 0 and "formats: blocklist, csv" in unknown.stderr


def test_token_issue_then_audit_verify_then_tamper(home):
    issued = accord(home, "token", "issue", "--user", "analyst", "--scopes", "read", "--days", "7")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.strip().splitlines()[-1].startswith("acc_")

    intact = accord(home, "audit", "verify")
    assert intact.returncode == 0
    assert "intact" in intact.stdout

    with sqlite3.connect(home / "accord.sqlite3") as db:
        db.execute("DROP TRIGGER core_auditevent_no_update")
        db.execute("UPDATE core_auditevent SET justification = 'nothing to see' WHERE seq = 7")
    broken = accord(home, "audit", "verify")
    assert broken.returncode == 1
    assert "event #7" in broken.stderr


def test_createadmin_from_environment(home):
    result = accord(
        home,
        "createadmin",
        "--username",
        "ops",
        "--email",
        "ops@icd.example",
        env={"ACCORD_ADMIN_PASSWORD": "another-long-passphrase"},
    )
    assert result.returncode == 0, result.stderr
    again = accord(
        home,
        "createadmin",
        "--username",
        "ops",
        "--email",
        "ops2@icd.example",
        env={"ACCORD_ADMIN_PASSWORD": "another-long-passphrase"},
    )
    assert again.returncode == 1
    assert "taken" in again.stderr


def test_worker_runs_the_daily_jobs_once_a_day(home):
    first = accord(home, "worker", "--batch")
    assert first.returncode == 0, first.stderr
    assert "Ran daily job accord.partners.services.agreements_sweep." in first.stdout
    again = accord(home, "worker", "--batch")
    assert "Ran daily job" not in again.stdout


def test_without_a_queue_the_worker_says_it_runs_the_daily_jobs_only(home):
    result = accord(home, "worker", "--batch", env={"ACCORD_TASK_BACKEND": "immediate"})
    assert result.returncode == 0, result.stderr
    assert "this worker runs the daily jobs only" in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    """``accord serve`` with one web worker on ``home``'s SQLite file."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}"}
    return subprocess.Popen(
        [ACCORD, "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_serve_answers_http_with_security_headers(home):
    port = _free_port()
    server = _serve(home, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:  # noqa: S310
                    body = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "Log in to Accord" in body
        assert headers["X-Frame-Options"] == "DENY"
        assert "Secure" in headers["Set-Cookie"]  # the CSRF cookie, outside debug
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/web/accord.css", timeout=2)  # noqa: S310
        assert css.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_settings_come_from_the_environment(tmp_path):
    script = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'], s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE,"
        " s.SECRET_KEY)"
    )
    result = accord(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        script,
        env={
            "ACCORD_DATABASE_URL": "postgresql://accord:pw@db.internal:6543/accord",
            "ACCORD_DEBUG": "1",
            "ACCORD_ALLOWED_HOSTS": "accord.example.org, api.accord.example.org",
            "ACCORD_SECRET_KEY": "from-the-environment",
        },
    )
    assert result.stdout.split(" ", 4)[:4] == ["django.db.backends.postgresql", "accord", "db.internal", "6543"]
    assert "True ['accord.example.org', 'api.accord.example.org'] False from-the-environment" in result.stdout
    assert not (tmp_path / "secret_key").exists()


def test_secure_defaults_outside_debug(tmp_path):
    script = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)"
    result = accord(tmp_path, "shell", "--no-imports", "-c", script)
    assert result.stdout.split() == ["31536000", "True"]


def test_sqlite_runs_in_wal_mode(home):
    result = accord(
        home,
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection as c; c.cursor().execute('select 1');"
        "print(c.cursor().execute('pragma journal_mode').fetchone()[0])",
    )
    assert result.stdout.strip() == "wal"


def test_serve_runs_the_worker_beside_it_and_stops_it_with_itself(tmp_path):
    assert accord(tmp_path, "init").returncode == 0
    server = _serve(tmp_path, _free_port())
    try:
        deadline = time.monotonic() + 120
        while not _daily_jobs_run(tmp_path):  # the worker's first round
            assert server.poll() is None
            assert time.monotonic() < deadline, "no worker ran beside the server"
            time.sleep(0.5)
        workers = _workers_of(tmp_path)
        assert len(workers) == 1
    finally:
        server.terminate()
        server.wait(timeout=60)
    deadline = time.monotonic() + 30
    while _workers_of(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _workers_of(tmp_path), "the worker outlived the server"


def _daily_jobs_run(home: Path) -> bool:
    with sqlite3.connect(home / "accord.sqlite3") as db:
        return bool(db.execute("SELECT count(*) FROM core_scheduledrun WHERE last_run_at IS NOT NULL").fetchone()[0])


def _workers_of(home: Path) -> list[int]:
    """``accord worker`` processes whose environment names this home."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if b"worker" in command and f"ACCORD_HOME={home}".encode() in environ:
                found.append(int(entry.name))
    return found


def test_serve_adds_up_its_workers_metrics_and_logs_json_without_queries(home, tmp_path):
    """``accord serve`` with two workers: /metrics sums what every worker counted (prometheus'
    multiprocess files under $ACCORD_HOME/metrics, those of dead processes removed at start),
    and the JSON access lines name routes, never the query."""
    metrics = home / "metrics"
    metrics.mkdir(exist_ok=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = metrics / f"counter_{gone.pid}.db"
    stale.write_bytes(b"\0" * 16)
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {
        "ACCORD_HOME": str(home),
        "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}",
        "ACCORD_LOG_FORMAT": "json",
    }
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [ACCORD, "serve", "--port", str(port), "--workers", "2"], env=environment, stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz?token=s3cret-value", timeout=2).close()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for _ in range(9):
            urllib.request.urlopen(f"{base}/healthz?token=s3cret-value", timeout=5).close()  # noqa: S310
        while True:  # ready once the worker that accord serve started beside itself has beaten
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:  # noqa: S310
                    assert json.loads(response.read())["status"] == "ready"
                    break
            except urllib.error.HTTPError as error:
                assert error.code == 503 and time.monotonic() < deadline + 60, error.read()
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:  # noqa: S310
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert not stale.exists()
    counted = {
        sample.labels.get("route"): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "accord_http_requests_total" and sample.labels.get("status") == "200"
    }
    assert counted["healthz"] == 10 and counted["readyz"] == 1 and counted["web:login"] == 1
    written = log.read_text()
    access = [json.loads(line) for line in written.splitlines() if line.startswith("{") and "accord.access" in line]
    assert len([line for line in access if line["route"] == "healthz"]) == 10
    assert all(len(line["request_id"]) == 32 for line in access)
    assert "s3cret-value" not in written  # gunicorn's own access log (raw paths) is off


def test_a_worker_beats_between_rounds_while_a_round_runs_long(home):
    """``accord worker`` with rounds an hour apart still reports alive every half second (its
    heartbeat thread): a long round never makes a working worker look dead."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {
        "ACCORD_HOME": str(home),
        "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}",
        "ACCORD_WORKER_HEARTBEAT_SECONDS": "0.5",
    }
    worker = subprocess.Popen(
        [ACCORD, "worker", "--interval", "3600"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 120
        while len(seen) < 3 and time.monotonic() < deadline:
            with sqlite3.connect(home / "accord.sqlite3") as database:
                row = database.execute(
                    "SELECT value FROM accord_cache WHERE cache_key = ?", (":1:accord:worker:heartbeat",)
                ).fetchone()
            if row:
                seen.add(row[0])
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert len(seen) >= 3  # the round's beat, then the thread's


def _queue_a_task(home: Path, seconds: int) -> str:
    """Queue a task (the ingest of a submission that does not exist) due in ``seconds``: its id."""
    queued = accord(
        home,
        "shell",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from accord.sharing.tasks import process_submission; "
        f"later = process_submission.using(run_after=timezone.now() + timedelta(seconds={seconds})); "
        "print(later.enqueue(0).id)",
    )
    assert queued.returncode == 0, queued.stderr
    return queued.stdout.split()[-1].replace("-", "")  # after what the shell says of its imports


def _worker_until_taken(home: Path, task: str) -> tuple[subprocess.Popen[bytes], str]:
    """``accord worker`` with rounds an hour apart, left running once ``task`` has left the
    queue (or a minute has passed); the task's status."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}"}
    worker = subprocess.Popen(
        [ACCORD, "worker", "--interval", "3600"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    status = "READY"
    while status == "READY" and time.monotonic() < deadline:
        time.sleep(0.2)
        with sqlite3.connect(home / "accord.sqlite3") as database:
            (status,) = database.execute(
                "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?", (task,)
            ).fetchone()
    return worker, status


def test_a_worker_takes_a_task_that_comes_due_between_rounds_without_waiting_for_the_next(home):
    """With rounds an hour apart, a task that becomes due after the first round (queued to run
    a few seconds later) is taken within seconds: the worker looks for due tasks while it waits
    (``--poll``); before, it waited for the next round."""
    worker, status = _worker_until_taken(home, _queue_a_task(home, 8))
    worker.kill()
    worker.wait()
    assert status != "READY"


def test_a_worker_stops_when_asked_after_its_rounds(home):
    """SIGTERM stops ``accord worker`` after rounds that looked for tasks and found none (the
    task runner's own signal handlers, installed for each look, are put back): a service
    manager's stop is not a kill."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}"}
    worker = subprocess.Popen(
        [ACCORD, "worker", "--interval", "0.5"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(8)  # rounds have run
        worker.terminate()
        assert worker.wait(timeout=30) is not None
    finally:
        worker.kill()
