"""``accord worker``: run queued background tasks (needs ACCORD_TASK_BACKEND=database)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run queued background tasks from the database queue (ACCORD_TASK_BACKEND=database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Exit once the queue is empty.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls of an empty queue.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
            raise CommandError(
                "Tasks run immediately in this configuration; set ACCORD_TASK_BACKEND=database "
                "to queue them for `accord worker`."
            )
        call_command("db_worker", batch=options["batch"], interval=options["interval"], no_startup_delay=True)
