"""Liveness and readiness for load balancers and orchestrators, and the background worker's
heartbeat they read.

``/healthz`` answers 200 as long as the process answers; it touches nothing else, so a database
outage never has every web process restarted. ``/readyz`` answers 200 only when this process can
serve: the database answers, every migration is applied, and (when required) a worker reported
alive recently; else 503. Both bodies name each check and its state and nothing more (no
address, no error text, no version): they need no sign-in. The figures behind a state (how long
ago the worker beat, how many migrations are unapplied) are for whoever may read ``/metrics``
(its token or its networks) and left out for anyone else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from accord.core.metrics import metrics_allowed

__all__ = ["healthz", "readyz", "worker_beat", "worker_heartbeat"]

log = logging.getLogger(__name__)

# In the ``default`` cache, a database table every host reads: the last time any worker beat.
HEARTBEAT_KEY = "accord:worker:heartbeat"

# Set once every migration was found applied: the check reads the whole migration graph, and
# migrations are not un-applied under a running server.
_migrations_clean = False


def worker_beat() -> None:
    """Record that a worker is alive now (``accord worker`` calls it every few seconds)."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def worker_heartbeat() -> float | None:
    """When a worker last beat (seconds since the epoch), or ``None`` if none ever did."""
    value = cache.get(HEARTBEAT_KEY)
    return float(value) if value is not None else None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """``GET /healthz``: the process answers."""
    return JsonResponse({"status": "ok"})


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _migrations() -> dict[str, Any]:
    global _migrations_clean  # noqa: PLW0603 - a process-wide memo
    if _migrations_clean:
        return {"ok": True}
    executor = MigrationExecutor(connection)
    unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrations_clean = unapplied == 0
    return {"ok": _migrations_clean, "unapplied": unapplied}


def _worker(required: bool) -> dict[str, Any]:
    beat = worker_heartbeat()
    age = None if beat is None else max(0.0, time.time() - beat)
    fresh = age is not None and age <= settings.ACCORD_WORKER_STALE_SECONDS
    return {"ok": fresh, "required": required, "age_seconds": None if age is None else round(age, 1)}


def _check(name: str, run: Callable[[], dict[str, Any]], failed: dict[str, Any]) -> dict[str, Any]:
    """One check's state; a database error fails it, logged here (never in the body)."""
    try:
        return run()
    except DatabaseError as exc:
        log.warning("readyz: %s check failed: %s", name, type(exc).__name__)
        return failed


# What anyone may read of a check; the rest is an operator's.
_STATES = ("ok", "required")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """``GET /readyz``: 200 when every required check passes, else 503; each check's state."""
    required = settings.ACCORD_READY_REQUIRES_WORKER
    checks = {
        "database": _check("database", _database, {"ok": False}),
        "migrations": _check("migrations", _migrations, {"ok": False}),
        "worker": _check("worker", lambda: _worker(required), {"ok": False, "required": required}),
    }
    ready = all(check["ok"] or not check.get("required", True) for check in checks.values())
    if not metrics_allowed(request):
        checks = {name: {k: v for k, v in check.items() if k in _STATES} for name, check in checks.items()}
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)
