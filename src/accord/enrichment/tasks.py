"""Background jobs of enrichment."""

from __future__ import annotations

from django_tasks import task

from accord.core.public_ids import encode
from accord.core.telemetry import bound, submission_id_var
from accord.enrichment.services import observables_enrich_after_ingest

__all__ = ["enrich_after_ingest"]


@task()
def enrich_after_ingest(submission_id: int) -> dict[str, int]:
    """Run the ``run_on_ingest`` enrichers over a stored submission (queued when it commits)."""
    with bound(submission_id_var, encode(submission_id)):  # its log records name the submission
        return observables_enrich_after_ingest(submission_id=submission_id)
