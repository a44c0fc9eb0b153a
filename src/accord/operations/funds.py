"""Funds an operation's outcome totals include besides its recorded outcomes: apps above
operations (payment interception) register a source here in their ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accord.operations.models import Operation

__all__ = ["FundsSource", "funds_from_sources", "register_funds_source"]

# A source: the operation -> {currency: {"frozen": amount, "recovered": amount}}.
FundsSource = Callable[["Operation"], dict[str, dict[str, Decimal]]]

_SOURCES: list[FundsSource] = []


def register_funds_source(source: FundsSource) -> None:
    """Add a source (idempotent for the same function)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def funds_from_sources(operation: Operation) -> dict[str, dict[str, Decimal]]:
    """What every registered source brings to ``operation``, per currency, never converted."""
    found: dict[str, dict[str, Decimal]] = {}
    for source in _SOURCES:
        for currency, amounts in source(operation).items():
            row = found.setdefault(currency, {"frozen": Decimal(0), "recovered": Decimal(0)})
            row["frozen"] += amounts.get("frozen", Decimal(0))
            row["recovered"] += amounts.get("recovered", Decimal(0))
    return dict(sorted(found.items()))
