"""``accord backup FILE``: one archive of the database and the stored files, taken while Accord serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.backup import BackupError, BackupReport, backup_create
from accord.core.backup.state import KEY_TABLES


def describe(report: BackupReport) -> list[str]:
    """The lines both commands print: key counts and the audit chain's verdict."""
    counts = ", ".join(f"{report.counts.get(label, 0)} {name}" for label, name in KEY_TABLES.items())
    audit = report.audit
    verdict = (
        f"intact, {audit['checked']} events (head #{audit['head_seq']})"
        if audit["ok"]
        else f"BROKEN after {audit['checked']} good event(s): {audit['problem']}"
    )
    return [
        f"Counts: {counts} ({sum(report.counts.values())} rows in {len(report.counts)} tables).",
        f"Audit chain: {verdict}.",
        f"Stored files: {report.files}.",
    ]


class Command(BaseCommand):
    help = "Back up the database and the stored files into one archive (tar, checksummed), while Accord serves."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The archive to write (.tar; .tar.gz to compress).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"].resolve()
        try:
            report = backup_create(path=path, progress=lambda line: self.stderr.write(line))
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        for name in report.missing:
            self.stderr.write(self.style.WARNING(f"Missing from its file store: stored file {name} (referred to)."))
        for line in describe(report):
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {path} ({report.bytes / (1024 * 1024):.1f} MB, {report.vendor}).")
        )
        self.stdout.write("It holds every shared record and the secret key: keep it encrypted, access-controlled.")
