"""/healthz and /readyz through HTTP: liveness without the database, readiness with each check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from accord.core import health

HEARTBEAT_KEY = "accord:worker:heartbeat"


def test_healthz_answers_without_touching_the_database(client: Any) -> None:
    # No database in this test: any query would fail it.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_names_each_check_and_needs_no_sign_in(client: Any, settings: Any) -> None:
    settings.ACCORD_READY_REQUIRES_WORKER = False
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    # No worker ever beat: reported, but not required here.
    assert body["checks"]["worker"] == {"ok": False, "required": False, "age_seconds": None}


@pytest.mark.django_db
def test_readyz_is_503_without_a_worker_when_one_is_required_and_200_once_it_beats(client: Any, settings: Any) -> None:
    settings.ACCORD_READY_REQUIRES_WORKER = True
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["worker"]["ok"] is False

    call_command("worker", batch=True, stdout=open(os.devnull, "w"))  # noqa: SIM115 - one round
    response = client.get("/readyz")
    assert response.status_code == 200
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is True and worker["required"] is True and worker["age_seconds"] is not None


@pytest.mark.django_db
def test_a_worker_silent_for_longer_than_allowed_makes_readyz_503(client: Any, settings: Any) -> None:
    settings.ACCORD_READY_REQUIRES_WORKER = True
    settings.ACCORD_WORKER_STALE_SECONDS = 60
    cache.set(HEARTBEAT_KEY, time.time() - 600, timeout=None)  # its last beat, ten minutes ago
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["age_seconds"] >= 600


@pytest.mark.django_db
def test_an_unapplied_migration_makes_readyz_503(client: Any, settings: Any, monkeypatch: Any) -> None:
    settings.ACCORD_READY_REQUIRES_WORKER = False
    monkeypatch.setattr(health, "_migrations_clean", False)  # a process that has not checked yet
    settings.MIGRATION_MODULES = {"web": "tests.core.unapplied_migrations"}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "unapplied": 1}


def test_readyz_is_503_when_the_database_does_not_answer_and_says_nothing_of_it(tmp_path: Any) -> None:
    """In a process of its own whose database cannot be opened: every check that needs it fails,
    and the body names no path, host or error."""
    missing = tmp_path / "no such directory" / "accord.sqlite3"
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/readyz'); print(r.status_code); print(r.content.decode())\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "ACCORD_HOME": str(tmp_path),
        "ACCORD_DATABASE_URL": f"sqlite:///{missing}",
        "ACCORD_ALLOWED_HOSTS": "testserver",
        "ACCORD_TASK_BACKEND": "database",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    status, body = done.stdout.splitlines()[:2]
    assert status == "503"
    checks = json.loads(body)["checks"]
    assert checks["database"] == {"ok": False}
    assert checks["migrations"] == {"ok": False}
    assert checks["worker"] == {"ok": False, "required": True}
    assert "no such directory" not in body and "sqlite" not in body.lower()


@pytest.mark.django_db
def test_readyz_tells_a_caller_outside_the_metrics_networks_states_and_no_figure(client: Any, settings: Any) -> None:
    """The worker's heartbeat age and the count of unapplied migrations are an operator's: a
    caller without the metrics token, from outside its networks, reads only each check's state."""
    settings.ACCORD_READY_REQUIRES_WORKER = True
    settings.ACCORD_METRICS_ALLOW = ["10.9.0.0/16"]
    settings.ACCORD_METRICS_TOKEN = "scrape-secret"
    health.worker_beat()
    body = client.get("/readyz").json()
    assert body == {
        "status": "ready",
        "checks": {"database": {"ok": True}, "migrations": {"ok": True}, "worker": {"ok": True, "required": True}},
    }
    told = client.get("/readyz", HTTP_AUTHORIZATION="Bearer scrape-secret").json()
    assert told["checks"]["worker"]["age_seconds"] is not None
