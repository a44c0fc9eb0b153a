"""``accord governance``: the groups, the recommendation follow-up and the conference host
alternation, from the command line (``accord governance operations`` hands over to
``accord operations``)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.choices import Region
from accord.core.errors import ApplicationError
from accord.core.selectors import organisation_named
from accord.governance import selectors, services
from accord.governance.filters import RecommendationFilter
from accord.governance.models import Recommendation


class Command(BaseCommand):
    help = (
        "Governance: `groups` (seed and list), `followup` (recommendations, --region, --overdue), "
        "`operations` (the same as `accord operations`), `hosts` (set the conference alternation), "
        "`host` (the expected host of years), `overdue` (tell owners of overdue recommendations)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("groups", help="Create the expert group and regional groups where missing; list them.")
        followup = sub.add_parser("followup", help="Open recommendations and their status.")
        followup.add_argument("--region", choices=Region.values)
        followup.add_argument("--overdue", action="store_true", help="Only those past their due date.")
        operations = sub.add_parser("operations", help="Operations with their outcome totals (`accord operations`).")
        operations.add_argument("--status", choices=["planning", "active", "closed"])
        hosts = sub.add_parser("hosts", help="Set the conference host alternation.")
        hosts.add_argument("first_host", help="Hosts the first edition (organisation name or short name).")
        hosts.add_argument("second_host", help="Hosts the year after, and so on alternately.")
        hosts.add_argument("--first-year", type=int, default=2013)
        host = sub.add_parser("host", help="The expected host of one or more years.")
        host.add_argument("years", nargs="+", help="Years, or ranges like 2013-2040.")
        sub.add_parser("overdue", help="E-mail the owners of newly overdue recommendations (the daily job).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _groups(self, options: dict[str, Any]) -> None:
        created = services.groups_ensure()
        for group in selectors.group_list(principal=None).order_by("kind", "name"):
            members = getattr(group, "member_count", 0)
            self.stdout.write(f"{group.slug:28} {members:4} member(s)  {group.name}")
        self.stdout.write(f"{created} group(s) created.")

    def _followup(self, options: dict[str, Any]) -> None:
        data = {"region": options.get("region") or "", "overdue": "true" if options["overdue"] else ""}
        rows = RecommendationFilter(data, queryset=Recommendation.objects.select_related("group")).qs
        for r in rows.order_by("due_date", "pk"):
            flag = " OVERDUE" if r.overdue else ""
            self.stdout.write(
                f"#{r.pk:<5} {r.status:12} due {r.due_date or '-'!s:10} {r.group.slug:26} {r.title}{flag}"
            )
        self.stdout.write(f"{rows.count()} recommendation(s).")

    def _overdue(self, options: dict[str, Any]) -> None:
        told = services.recommendations_overdue_daily()
        self.stdout.write(f"{len(told)} owner notice(s) sent.")

    def _operations(self, options: dict[str, Any]) -> None:
        # Kept for existing scripts: joint operations are their own app now, with their own command.
        call_command(
            "operations", *(["--status", options["status"]] if options.get("status") else []), stdout=self.stdout
        )

    def _hosts(self, options: dict[str, Any]) -> None:
        first, second = organisation_named(options["first_host"]), organisation_named(options["second_host"])
        if first is None or second is None:
            raise CommandError("No such organisation (give its name or short name).")
        hosting = services.conference_configure(
            actor=None, first_host=first, second_host=second, first_year=options["first_year"]
        )
        self.stdout.write(
            f"{hosting.first_host.name} hosts in {hosting.first_year} and every second year after; "
            f"{hosting.second_host.name} in the years between."
        )

    def _host(self, options: dict[str, Any]) -> None:
        for spec in options["years"]:
            start, _, end = spec.partition("-")
            if not start.isdigit() or (end and not end.isdigit()):
                raise CommandError(f"'{spec}' is not a year or a range of years (e.g. 2027 or 2013-2040).")
            for year in range(int(start), int(end or start) + 1):
                self.stdout.write(f"{year} {services.expected_host(year).name}")
