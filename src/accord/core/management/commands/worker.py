"""``accord worker``: run queued background tasks and the daily jobs."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connections
from django.utils.module_loading import import_string

from accord.core.faults import fault_of
from accord.core.health import worker_beat
from accord.core.metrics import flush_tallies
from accord.core.schedule import run_due_jobs

log = logging.getLogger(__name__)

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def _beat() -> None:
    try:
        worker_beat()
    except DatabaseError:
        log.warning("worker: could not record its heartbeat", exc_info=True)


def _beating() -> None:
    """Report alive every ``ACCORD_WORKER_HEARTBEAT_SECONDS`` for as long as the process lives:
    from a thread of its own, so that a long task (a large ingest) does not make the worker look
    dead (/readyz). Its database connection is its own."""
    while True:
        time.sleep(settings.ACCORD_WORKER_HEARTBEAT_SECONDS)
        _beat()


class Command(BaseCommand):
    help = (
        "Run the daily jobs (agreement sweep, …), the feeds that are due, and queued background tasks "
        "(ACCORD_TASK_BACKEND=database)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due once, then exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between rounds.")

    def handle(self, *args: Any, **options: Any) -> None:
        queue = settings.TASKS["default"]["BACKEND"] == DATABASE_BACKEND
        if not queue:
            self.stdout.write(
                "Tasks run immediately in this configuration (ACCORD_TASK_BACKEND=immediate); "
                "this worker runs the daily jobs only."
            )
        if not options["batch"]:
            threading.Thread(target=_beating, daemon=True, name="heartbeat").start()
        while True:
            try:
                self._round(queue)
            except DatabaseError as exc:
                fault = fault_of(exc)
                if fault is None or options["batch"]:
                    raise
                # The database restarted, filled up or went read-only: the next round reconnects.
                self.stderr.write(f"This round stopped: {fault.code} ({exc}). Trying again.")
                connections.close_all()
            if options["batch"]:
                return
            time.sleep(options["interval"])

    def _round(self, queue: bool) -> None:
        _beat()  # every round, and from the thread between rounds
        for name in run_due_jobs():
            self.stdout.write(f"Ran daily job {name}.")
        for name in settings.ACCORD_ROUND_JOBS:
            import_string(name)()
        if queue:
            call_command("db_worker", batch=True, interval=0, no_startup_delay=True, verbosity=0)
        flush_tallies()
