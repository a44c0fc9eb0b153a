"""``accord retention purge``: delete shared data past its retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.sharing.services import retention_purge


class Command(BaseCommand):
    help = "`accord retention purge`: delete objects past retention and orphaned observables (the worker: daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("purge", help="Delete what has passed its retention date.")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = retention_purge()
        self.stdout.write(f"Purged {summary['objects']} object(s) and {summary['observables']} observable(s).")
