"""``accord restore FILE``: put a backup archive back into a fresh installation of the same vendor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.backup import BackupError, backup_restore
from accord.core.management.commands.backup import describe


class Command(BaseCommand):
    help = "Restore a backup archive into a fresh database (--force: any); every checksum is verified first."
    requires_system_checks: list[str] = []  # the database may not exist yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The archive `accord backup` wrote.")
        parser.add_argument(
            "--force", action="store_true", help="Replace what a database that is not empty holds (stop Accord first)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"].resolve()
        try:
            report = backup_restore(path=path, force=options["force"], progress=lambda line: self.stderr.write(line))
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        except Exception as error:
            raise CommandError(
                f"Restore failed: {error}. The database was not replaced (SQLite) or its transaction was rolled back "
                "(PostgreSQL); stored files already placed are harmless. Fix the cause and restore again, with "
                "--force if the database was created meanwhile.",
                returncode=1,
            ) from error
        for line in describe(report):
            self.stdout.write(line)
        for note in report.notes:
            self.stderr.write(self.style.WARNING(f"Note: {note}."))
        self.stdout.write(self.style.SUCCESS(f"Restored {path} ({report.vendor}): the same counts and audit verdict."))
