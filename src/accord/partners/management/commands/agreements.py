"""``accord agreements sweep``: expire agreements whose validity window has ended."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.core.cli import moment_option
from accord.partners.services import agreements_sweep


class Command(BaseCommand):
    help = "Agreement housekeeping: `accord agreements sweep` expires those past their end (the worker runs it daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sweep = sub.add_parser("sweep", help="Expire active or suspended agreements whose window has ended.")
        sweep.add_argument("--now", help="ISO 8601 moment to sweep as of (default: now).")

    def handle(self, *args: Any, **options: Any) -> None:
        expired = agreements_sweep(now=moment_option(options))
        for agreement in expired:
            self.stdout.write(f"Expired {agreement.reference} ({agreement.organisation.name}).")
        self.stdout.write(f"{len(expired)} agreement(s) expired.")
