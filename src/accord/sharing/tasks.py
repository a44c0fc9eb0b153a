"""Background jobs of the sharing app."""

from __future__ import annotations

from django_tasks import task

from accord.sharing.services import submission_process

__all__ = ["process_submission"]


@task()
def process_submission(submission_id: int) -> str:
    """Ingest one queued submission (idempotent: a finished one is left as it is)."""
    return submission_process(submission_id=submission_id).status
