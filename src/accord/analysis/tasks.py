"""Background jobs of analysis."""

from __future__ import annotations

from django_tasks import task

from accord.analysis.notices import campaigns_tell, correlations_tell

__all__ = ["notify_after_ingest"]


@task()
def notify_after_ingest(submission_id: int) -> int:
    """After an ingest commits (``ACCORD_AFTER_INGEST``): tell partners whose data it correlates
    with, or whose campaigns it joined, as far as each may read the other side
    (:mod:`accord.analysis.notices`)."""
    return correlations_tell(submission_id=submission_id) + campaigns_tell(submission_id=submission_id)
