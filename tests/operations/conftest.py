"""Operations fixtures: the national units and their heads of the governance tests (operations
are led by such units), and one active operation with an outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.operations import services
from tests.governance.conftest import API, france, heads, kenya, login, unit

__all__ = ["API", "france", "heads", "kenya", "login", "unit"]


@pytest.fixture
def sentinel(people: Any, heads: Any) -> Any:
    """Operation Sentinel, led by the Kenyan unit, active, with seven arrests recorded."""
    manager = people["programme_manager"]
    operation = services.operation_create(
        actor=manager,
        name="Sentinel",
        crime_types=["romance_scam"],
        lead=heads["kenya"].organisation,
        start_date=timezone.localdate() - timedelta(days=20),
    )
    services.operation_transition(actor=manager, operation=operation, to="active")
    services.operation_record_outcome(actor=manager, operation=operation, date=timezone.localdate(), arrests=7)
    return operation
