"""An installation of the release before operations had their own app migrates to this one with
its operations intact: the models change app, the tables and their rows stay where they are."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accord.analysis.models import Campaign
from accord.core.models import AuditEvent
from accord.operations import selectors, services
from accord.operations.models import Operation

# The last migration of governance while it still held the operations.
BEFORE = [("governance", "0003_meeting_cancel_overdue_notice"), ("operations", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate to ``targets``; the project state there (its historical models)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest() -> None:
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_operations_written_before_the_cut_are_read_through_the_new_app(people, kenya, france):
    campaign = Campaign.objects.create(name="Mule accounts, Gulf")
    try:
        old = _migrate(BEFORE)
        assert "operations" not in old.all_models
        OldOperation = old.get_model("governance", "Operation")
        operation = OldOperation.objects.create(
            name="Old Light",
            codename="old-light",
            crime_types=["bec"],
            lead_id=kenya.pk,
            start_date=date(2026, 1, 5),
            status="active",
        )
        operation.participants.add(kenya.pk, france.pk)
        old.get_model("governance", "OperationPhase").objects.create(
            operation=operation, name="Action days", start_date=date(2026, 1, 10), end_date=date(2026, 1, 12)
        )
        old.get_model("governance", "OperationObject").objects.create(
            operation=operation, stix_id="indicator--00000000-0000-4000-8000-000000000001"
        )
        old.get_model("governance", "OperationCampaign").objects.create(operation=operation, campaign_id=campaign.pk)
        old.get_model("governance", "OperationOutcome").objects.create(
            operation=operation, date=date(2026, 1, 11), arrests=4, funds_frozen=Decimal("1000.50"), currency="EUR"
        )
    finally:
        _latest()

    found = Operation.objects.get(codename="old-light")
    assert found.pk == operation.pk and found.lead == kenya and found.status == "active"
    assert set(found.participants.values_list("pk", flat=True)) == {kenya.pk, france.pk}
    assert [p.name for p in found.phases.all()] == ["Action days"]
    assert list(found.object_links.values_list("stix_id", flat=True)) == [
        "indicator--00000000-0000-4000-8000-000000000001"
    ]
    assert list(found.campaign_links.values_list("campaign_id", flat=True)) == [campaign.pk]
    totals = selectors.operation_totals(operation=found)
    assert totals["arrests"] == 4 and totals["funds"] == {"EUR": {"frozen": Decimal("1000.50"), "recovered": 0}}

    # It carries on under the new app; its audit events keep the names the older ones have.
    services.operation_transition(
        actor=people["programme_manager"], operation=found, to="closed", closing_summary="Done."
    )
    event = AuditEvent.objects.get(action="governance.operation.transition")
    assert (event.object_type, event.object_id) == ("governance.operation", str(found.pk))
