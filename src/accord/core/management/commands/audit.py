"""``accord audit verify``: walk the hash chain; exit 1 at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash-chained audit log (`accord audit verify`); exit code 1 names the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Recompute every link of the chain.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken after {report.checked} good event(s): {report.problem}.", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))
