"""``accord operations``: joint operations with their outcome totals, from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.operations import selectors
from accord.operations.choices import OUTCOME_COUNTS, OperationStatus
from accord.operations.filters import OperationFilter
from accord.operations.models import Operation


class Command(BaseCommand):
    help = "Joint operations with their outcome totals (counts, and funds per currency); --status narrows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=OperationStatus.values)

    def handle(self, *args: Any, **options: Any) -> None:
        data = {"status": [options["status"]] if options.get("status") else []}
        for operation in OperationFilter(data, queryset=Operation.objects.all()).qs.order_by("-start_date"):
            totals = selectors.operation_totals(operation=operation)
            figures = ", ".join(f"{n.replace('_', ' ')} {totals[n]}" for n in OUTCOME_COUNTS if totals[n])
            funds = "; ".join(
                f"{c} frozen {f['frozen']:.2f} recovered {f['recovered']:.2f}" for c, f in totals["funds"].items()
            )
            self.stdout.write(f"{operation.codename:24} {operation.status:8} {figures or 'no outcomes yet'}")
            if funds:
                self.stdout.write(f"{'':24} {funds}")
