"""``accord export --format F [filters] --as USER [--output FILE]``: an export as that person."""

from __future__ import annotations

import codecs
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import ApplicationError
from accord.core.models import User
from accord.exports.services import export_start
from accord.formats.writers import WRITERS

# option name -> query parameter (the objects-list filters, then the export's own options)
FILTER_OPTIONS = {
    "type": "type",
    "tlp": "tlp",
    "organisation": "organisation",
    "data_category": "data_category",
    "crime_type": "crime_type",
    "observable": "observable",
    "value_prefix": "value_prefix",
    "added_after": "added_after",
    "added_before": "added_before",
    "contents_of": "contents_of",
    "purpose": "purpose",
    "observable_type": "observable_type",
    "show_suppressed": "show_suppressed",
}


class Command(BaseCommand):
    help = "Export shared data (STIX, MISP, CSV, Suricata, Snort, RPZ, blocklist) as a person sees it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, help=f"One of: {', '.join(sorted(WRITERS))}.")
        parser.add_argument("--as", dest="username", required=True, help="Export as this person (their policy).")
        parser.add_argument("--output", "-o", type=Path, help="Write to this file (default: standard output).")
        parser.add_argument("--purpose", help="investigation (default), prevention, research or training.")
        parser.add_argument(
            "--observable-type", action="append", dest="observable_type", help="Only these (repeat); blocklist: one."
        )
        parser.add_argument(
            "--show-suppressed",
            action="store_true",
            dest="show_suppressed",
            help="Detection formats: list in the file's header the values left out as known-benign, with why.",
        )
        parser.add_argument("--type", help="STIX type of the objects, e.g. indicator.")
        parser.add_argument("--tlp", action="append", help="Only these TLP labels (repeat).")
        parser.add_argument("--organisation", help="Only objects of this organisation (id).")
        parser.add_argument("--data-category", action="append", dest="data_category", help="Repeat for several.")
        parser.add_argument("--crime-type", dest="crime_type")
        parser.add_argument("--observable", help="Objects mentioning exactly this value.")
        parser.add_argument("--value-prefix", dest="value_prefix", help="Objects mentioning a value starting so.")
        parser.add_argument("--added-after", dest="added_after", help="ISO 8601 date-time.")
        parser.add_argument("--added-before", dest="added_before", help="ISO 8601 date-time.")
        parser.add_argument("--contents-of", dest="contents_of", help="A report (STIX id) and the objects it includes.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.select_related("organisation").filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"--as: no person called '{options['username']}'.")
        params = {param: options[name] for name, param in FILTER_OPTIONS.items() if options.get(name)}
        start = time.perf_counter()
        try:
            export = export_start(actor=user, format=options["format"], params=params)
            size = 0
            output: Path | None = options["output"]
            if output is not None:
                with output.open("wb") as stream:
                    for chunk in export.chunks:
                        stream.write(chunk)
                        size += len(chunk)
            else:
                decoder = codecs.getincrementaldecoder("utf-8")()
                for chunk in export.chunks:
                    self.stdout.write(decoder.decode(chunk), ending="")
                    size += len(chunk)
                self.stdout.write(decoder.decode(b"", final=True), ending="")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        where = str(output) if output is not None else "standard output"
        self.stderr.write(
            f"Exported {export.objects} object(s) as {export.format} to {where} "
            f"({size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s)."
        )
