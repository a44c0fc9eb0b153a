"""``accord agreements sweep``: expire agreements whose validity window has ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from accord.partners.services import agreements_sweep


class Command(BaseCommand):
    help = "Agreement housekeeping: `accord agreements sweep` expires those past their end (the worker runs it daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sweep = sub.add_parser("sweep", help="Expire active or suspended agreements whose window has ended.")
        sweep.add_argument("--now", help="ISO 8601 moment to sweep as of (default: now).")

    def handle(self, *args: Any, **options: Any) -> None:
        now: datetime | None = None
        if options.get("now"):
            now = parse_datetime(options["now"])
            if now is None or now.tzinfo is None:
                raise CommandError(f"--now: '{options['now']}' is not an ISO 8601 date-time with a time zone.")
        expired = agreements_sweep(now=now)
        for agreement in expired:
            self.stdout.write(f"Expired {agreement.reference} ({agreement.organisation.name}).")
        self.stdout.write(f"{len(expired)} agreement(s) expired.")
