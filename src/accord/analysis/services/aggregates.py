"""The kept counts (:mod:`accord.analysis.aggregates`) computed again from the store."""

from __future__ import annotations

from django.db import transaction

from accord.analysis.aggregates import trend_cells_rebuild
from accord.analysis.enabled import enabled_rebuild
from accord.core.audit import audit_record
from accord.core.guards import require
from accord.core.models import User
from accord.core.roles import Perm

__all__ = ["aggregates_rebuild"]


@transaction.atomic
def aggregates_rebuild(*, actor: User | None) -> dict[str, int]:
    """Recompute every kept count from the store (``accord aggregates rebuild``): after a store
    written with the listeners off, or to prove the kept counts right (the result equals what
    the listeners keep)."""
    require(actor, Perm.ANALYSIS_WORK)
    summary = trend_cells_rebuild() | {"organisations_enabling_correlations": enabled_rebuild()}
    audit_record(actor=actor, action="aggregates.rebuild", object_type="analysis.trendcell", details=summary)
    return summary
