"""Background jobs of analysis."""

from __future__ import annotations

from django_tasks import task

from accord.analysis.notices import correlations_tell

__all__ = ["notify_after_ingest"]


@task()
def notify_after_ingest(submission_id: int) -> int:
    """After an ingest commits (``ACCORD_AFTER_INGEST``): tell partners whose data it correlates
    with, as far as each may read the other side (:func:`accord.analysis.notices.correlations_tell`)."""
    return correlations_tell(submission_id=submission_id)
