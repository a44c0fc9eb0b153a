"""``accord aggregates rebuild``: the kept counts behind the trends, computed again from the store."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.analysis.services import aggregates_rebuild


class Command(BaseCommand):
    help = "`accord aggregates rebuild`: recompute the counts kept for trends and dashboards from the store."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("rebuild", help="Recompute the kept counts (trend cells) from the store.")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = aggregates_rebuild(actor=None)
        self.stdout.write(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in summary.items()))
