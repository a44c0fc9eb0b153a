"""``accord programme``: the daily secondment job, candidate ranking, reports and certificate checks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from accord.core.cli import moment_option
from accord.core.console import print_rich
from accord.core.errors import ApplicationError
from accord.core.models import User
from accord.core.roles import Perm, has_perm
from accord.programme import selectors
from accord.programme.api import report_csv
from accord.programme.models import SecondmentRequest
from accord.programme.services import secondments_daily


class Command(BaseCommand):
    help = (
        "Secondment and training: `daily` (activate, complete and warn), `candidates <request>`, "
        "`report <name> [--csv]`, `verify <code>`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        daily = sub.add_parser("daily", help="Activate and complete placements on their dates; send the warnings.")
        daily.add_argument("--now", help="ISO 8601 moment to run as of (default: now).")
        candidates = sub.add_parser("candidates", help="Rank experts for a secondment request.")
        candidates.add_argument("request", help="The request's reference (SRQ-…) or id.")
        candidates.add_argument("--limit", type=int, default=20)
        candidates.add_argument("--as", dest="username", default="", help="Rank as this programme manager.")
        report = sub.add_parser("report", help=f"Print a report: {', '.join(selectors.REPORTS)}.")
        report.add_argument("name", choices=list(selectors.REPORTS))
        report.add_argument("--year", type=int)
        report.add_argument("--csv", action="store_true", help="CSV on standard output.")
        report.add_argument("--as", dest="username", default="", help="Report as this person.")
        verify = sub.add_parser("verify", help="Check a certificate code as the public page does.")
        verify.add_argument("code")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _principal(self, username: str) -> User:
        """The named person, else the first active programme manager: the CLI reads as one."""
        qs = User.objects.filter(is_active=True)
        person = qs.filter(username=username).first() if username else qs.filter(role="programme_manager").first()
        if person is None or not has_perm(person, Perm.ORGANISATION_VIEW_ALL):
            raise CommandError("--as: name an active member of the programme staff.")
        return person

    def _daily(self, options: dict[str, Any]) -> None:
        done = secondments_daily(now=moment_option(options))
        for line in done:
            self.stdout.write(line)
        self.stdout.write(f"{len(done)} change(s) and warning(s).")

    def _candidates(self, options: dict[str, Any]) -> None:
        principal = self._principal(options["username"])
        key = options["request"]
        secondment_request = SecondmentRequest.objects.filter(reference=key).first()
        if secondment_request is None:
            secondment_request = selectors.request_get(principal=principal, pk=key)
        ranked = selectors.request_candidates(
            principal=principal, secondment_request=secondment_request, limit=options["limit"]
        )
        table = Table(
            "#", "expert", "organisation", "score", "eligible", "why", title=f"Candidates for {secondment_request}"
        )
        for n, candidate in enumerate(ranked, start=1):
            table.add_row(
                str(n),
                candidate.expert.full_name,
                candidate.expert.organisation.name,
                f"{candidate.score:g}",
                "yes" if candidate.eligible else "no: " + "; ".join(candidate.blockers),
                candidate.explanation,
            )
        print_rich(self.stdout, table)

    def _report(self, options: dict[str, Any]) -> None:
        report = selectors.REPORTS[options["name"]]
        rows = selectors.REPORT_SELECTORS[report.name](
            principal=self._principal(options["username"]), year=options.get("year")
        )
        if options["csv"]:
            self.stdout.write(report_csv(report.columns, rows), ending="")
            return
        table = Table(*report.columns, title=report.title)
        for row in rows:
            table.add_row(*(str(row[column]) for column in report.columns))
        print_rich(self.stdout, table)

    def _verify(self, options: dict[str, Any]) -> None:
        result = selectors.certificate_verify(options["code"])
        state = "VALID" if result.valid else "NOT VALID (revoked)"
        self.stdout.write(f"{state}: {result.course}, completed {result.completed_on:%Y-%m-%d}.")
