"""How far a running submission has got, and whether it is still running, readable while its
transaction is still open.

The ingest writes inside one long transaction, so a figure stored in the submission's row
would only be seen once the work is over. The running figure goes to the ``live`` cache
(files under ``ACCORD_HOME``, shared by every process, never waiting on the database); the
row keeps the figure at the start and at the end. So does the ingest's heartbeat: a thread of
the ingesting process renews a short-lived entry while it works, so that an ingest whose
process was killed (its row left ``processing``) is known for dead within a minute. Hosts
that share one database must share the ``live`` cache too (see ``docs/decisions.md``).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches

from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Submission

__all__ = ["Beat", "forget_progress", "heartbeat", "progress_of", "report_progress", "silent"]

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


def _alive_key(submission_id: int) -> str:
    return f"submission-alive:{submission_id}"


class Beat:
    """A running heartbeat; ``disown()`` leaves the entry to another process that beats for the
    same submission (the one that claimed it), instead of removing it at the end."""

    def __init__(self) -> None:
        self.owned = True

    def disown(self) -> None:
        self.owned = False


@contextmanager
def heartbeat(submission_id: int) -> Iterator[Beat]:
    """Keep the submission's heartbeat while the block runs: renewed four times per
    ``ACCORD_INGEST_HEARTBEAT_SECONDS`` by a thread, gone at once when the block ends (unless
    disowned) and within that time when the process dies. Begin it before the row says
    ``processing``."""
    seconds = settings.ACCORD_INGEST_HEARTBEAT_SECONDS
    key, live = _alive_key(submission_id), caches["live"]
    stop = threading.Event()

    def beat() -> None:
        while True:
            live.set(key, 1, timeout=seconds)
            if stop.wait(seconds / 4):
                return

    live.set(key, 1, timeout=seconds)
    beating = threading.Thread(target=beat, daemon=True, name=f"accord-heartbeat-{submission_id}")
    beating.start()
    held = Beat()
    try:
        yield held
    finally:
        stop.set()
        beating.join()
        if held.owned:
            live.delete(key)


def silent(submission_ids: Collection[int]) -> set[int]:
    """Those of ``submission_ids`` whose heartbeat has stopped: their process is gone."""
    if not submission_ids:
        return set()
    beating = caches["live"].get_many([_alive_key(pk) for pk in submission_ids])
    return {pk for pk in submission_ids if _alive_key(pk) not in beating}
