"""``accord operations``: operations with their outcome totals from the CLI; the older
``accord governance operations`` still answers the same."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from accord.operations import services


def run(*args: str, command: str = "operations") -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_operations_with_their_totals(kenya, people):
    manager = people["programme_manager"]
    operation = services.operation_create(
        actor=manager,
        name="Cookie Jar",
        crime_types=["cryptojacking"],
        lead=kenya,
        start_date=timezone.localdate() - timedelta(days=3),
    )
    assert "no outcomes yet" in run()
    services.operation_transition(actor=manager, operation=operation, to="active")
    services.operation_record_outcome(
        actor=manager,
        operation=operation,
        date=timezone.localdate(),
        devices_remediated=1200,
        funds_frozen=900,
        currency="EUR",
    )
    listing = run("--status", "active")
    assert "devices remediated 1200" in listing and "EUR frozen 900.00" in listing
    assert run("operations", "--status", "active", command="governance") == listing
    assert "cookie-jar" not in run("--status", "closed")
