"""``accord import FILE --org ORG``: share a file as that organisation, with a progress bar. The
hosting organisation's analysts load open and internal data sets so (``--org`` the host), under
the host's internal-data terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from accord.core.cli import organisation_option
from accord.core.errors import ApplicationError
from accord.core.public_ids import encode
from accord.sharing.choices import SubmissionStatus
from accord.sharing.services import submission_create, submission_process

SHOWN = 20  # refusals printed; every one is on the submission's page and in the API


class Command(BaseCommand):
    help = (
        "Import a STIX 2.1 bundle, MISP event, CSV or text file as an organisation's submission: "
        "every valid object is stored and each refused one listed (--strict: all or nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="The submitting organisation (name or short name).")
        parser.add_argument("--agreement", help="Its data-sharing agreement (default: the one in force).")
        parser.add_argument("--format", default="auto", choices=["auto", "stix", "misp", "csv", "text"])
        parser.add_argument("--tlp", help="TLP for objects that carry none (default: the agreement's).")
        parser.add_argument(
            "--strict", action="store_true", help="All or nothing: if any object is refused, store none."
        )
        parser.add_argument(
            "--dataset", help="The data set's name, recorded as the submission's provenance (default: the file name)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        organisation = organisation_option(options)
        try:
            with path.open("rb") as stream:
                submission, created = submission_create(
                    actor=None,
                    organisation=organisation,
                    stream=stream,
                    filename=options["dataset"] or path.name,
                    format=options["format"],
                    tlp=options["tlp"],
                    agreement=options["agreement"],
                    strict=options["strict"],
                )
            public = encode(submission.pk)  # as the API and the pages name it
            if not created:
                self.stdout.write(f"Already submitted as submission {public} ({submission.status}).")
                return
            columns = (
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
            )
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task(f"Importing {path.name}", total=100)
                submission = submission_process(
                    submission_id=submission.pk, on_progress=lambda p: bar.update(task, completed=p)
                )
                bar.update(task, completed=100)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if submission.status == SubmissionStatus.FAILED:
            lines = [f"  {e['where']}, {e['field']}: {e['message']}" for e in submission.errors[:SHOWN]]
            raise CommandError(
                f"Nothing was stored: submission {public} has {len(submission.errors)} error(s):\n" + "\n".join(lines)
            )
        self.stdout.write(
            f"Submission {public} done: {submission.objects_count} objects ({submission.new_count} new, "
            f"{submission.updated_count} updated, {submission.rejected_count} refused), "
            f"{submission.observables_count} observables, sha256 {submission.sha256}."
        )
        for e in submission.errors[:SHOWN]:
            self.stdout.write(f"  not stored: {e['where']}, {e['field']}: {e['message']}")
        if submission.rejected_count > SHOWN:
            self.stdout.write(
                f"  … and {submission.rejected_count - SHOWN} more refused: /submissions/{public}/ "
                f"or GET /api/v1/submissions/{public}/refused/ lists every one."
            )
