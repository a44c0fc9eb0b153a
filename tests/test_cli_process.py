"""The ``accord`` console script as a user runs it: fresh home, init, demo, tokens, audit, help."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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
    assert "this worker runs the daily jobs only" in first.stdout
    assert "Ran daily job accord.partners.services.agreements_sweep." in first.stdout
    again = accord(home, "worker", "--batch")
    assert "Ran daily job" not in again.stdout


def test_worker_drains_the_database_queue(home):
    result = accord(home, "worker", "--batch", env={"ACCORD_TASK_BACKEND": "database"})
    assert result.returncode == 0, result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_http_with_security_headers(home):
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environment |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": f"sqlite:///{home / 'accord.sqlite3'}"}
    server = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
