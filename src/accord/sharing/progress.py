"""How far a running submission has got, readable while its transaction is still open.

The ingest writes inside one long transaction, so a figure stored in the submission's row
would only be seen once the work is over. The running figure goes to the ``live`` cache
(files under ``ACCORD_HOME``, shared by every process, never waiting on the database); the
row keeps the figure at the start and at the end.
"""

from __future__ import annotations

from django.core.cache import caches

from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Submission

__all__ = ["forget_progress", "progress_of", "report_progress"]

_RUNNING = (SubmissionStatus.QUEUED, SubmissionStatus.PROCESSING)


def _key(submission_id: int) -> str:
    return f"submission-progress:{submission_id}"


def report_progress(submission_id: int, percent: int) -> None:
    caches["live"].set(_key(submission_id), percent)


def forget_progress(submission_id: int) -> None:
    """Once the row holds the final figure, the running one is of no more use."""
    caches["live"].delete(_key(submission_id))


def progress_of(submission: Submission) -> int:
    """The percentage done: the running figure while it runs, else the recorded one."""
    if submission.status in _RUNNING:
        return int(caches["live"].get(_key(submission.pk), submission.progress))
    return submission.progress
