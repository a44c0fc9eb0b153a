"""``accord analysis``: rebuild correlation and campaigns, build the warning-list index, list campaigns."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from accord.analysis.models import Campaign
from accord.analysis.services import analysis_rebuild
from accord.analysis.warninglists import index


class Command(BaseCommand):
    help = "`accord analysis rebuild | warninglists | campaigns`: correlation, known-benign lists, campaigns."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("rebuild", help="Recompute correlation, known-benign flags and campaigns from the link table.")
        sub.add_parser("warninglists", help="Build the index of the bundled MISP warning lists (if missing).")
        campaigns = sub.add_parser("campaigns", help="List the largest campaigns.")
        campaigns.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(**options)

    def _rebuild(self, **options: Any) -> None:
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("rebuilding", total=4)

            def progress(step: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=step)

            summary = analysis_rebuild(actor=None, progress=progress)
        self.stdout.write(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in summary.items()))

    def _warninglists(self, **options: Any) -> None:
        lists = index().lists()
        self.stdout.write(f"{len(lists)} warning lists indexed.")

    def _campaigns(self, *, limit: int, **options: Any) -> None:
        for campaign in Campaign.objects.order_by("-objects_count", "pk")[:limit]:
            self.stdout.write(
                f"{campaign.pk:>6}  {campaign.name:<40}  {campaign.objects_count:>6} objects  "
                f"{campaign.organisations_count:>3} organisations  {', '.join(campaign.crime_types)}"
            )
