"""``accord worker``: run queued background tasks and the daily jobs."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connections
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accord.core.faults import fault_of
from accord.core.health import worker_beat
from accord.core.metrics import flush_tallies
from accord.core.schedule import run_due_jobs

log = logging.getLogger(__name__)

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
_STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


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
        parser.add_argument(
            "--poll",
            type=float,
            default=settings.ACCORD_WORKER_POLL_SECONDS,
            help="Seconds between looks for queued tasks while waiting for the next round.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queue = settings.TASKS["default"]["BACKEND"] == DATABASE_BACKEND
        if not queue:
            self.stdout.write(
                "Tasks run immediately in this configuration (ACCORD_TASK_BACKEND=immediate); "
                "this worker runs the daily jobs only."
            )
        self.worker_id = get_random_string(32)
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)  # not "starting" each look
        if not options["batch"]:
            threading.Thread(target=_beating, daemon=True, name="heartbeat").start()
        while True:
            try:
                self._round(queue)
                if options["batch"]:
                    return
                self._wait(queue, options["interval"], options["poll"])
            except DatabaseError as exc:
                fault = fault_of(exc)
                if fault is None or options["batch"]:
                    raise
                # The database restarted, filled up or went read-only: the next round reconnects.
                self.stderr.write(f"This round stopped: {fault.code} ({exc}). Trying again.")
                connections.close_all()
                time.sleep(options["interval"])

    def _wait(self, queue: bool, interval: float, poll: float) -> None:
        """Until the next round, take queued tasks as they come: a submission queued just after
        a round would otherwise wait the whole interval. One indexed query per look."""
        end = time.monotonic() + interval
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(poll, left))
            if queue and DBTaskResult.objects.ready().exists():
                self._tasks()

    def _tasks(self) -> None:
        """Run the queued tasks that are due, each to its end. The task runner's signal handlers
        hold for that time: SIGTERM or SIGINT during a task lets it finish, then the worker
        stops (the runner alone would return and leave this loop going, the request to stop
        lost); between tasks our own handling (stop at once) is put back."""
        runner = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
        )
        handlers = {number: signal.getsignal(number) for number in _STOPPING}
        runner.configure_signals()
        try:
            runner.run()
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
            flush_tallies()
        if not runner.running:
            raise SystemExit(0)

    def _round(self, queue: bool) -> None:
        _beat()  # every round, and from the thread between rounds
        for name in run_due_jobs():
            self.stdout.write(f"Ran daily job {name}.")
        for name in settings.ACCORD_ROUND_JOBS:
            import_string(name)()
        if queue:
            self._tasks()
        else:
            flush_tallies()
