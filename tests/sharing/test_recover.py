"""Long work leaves the request, and an ingest whose process died is read again by the worker."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.db import OperationalError
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.sharing.listeners import StoreListener, store_listeners
from accord.sharing.models import StixObject, Submission
from accord.sharing.progress import heartbeat, silent
from accord.sharing.services import submission_create, submission_process, submissions_recover
from tests.sharing.test_ingest import GOOD, post

REPORT = (
    "The actor sent lures from payroll-update.example and hosted the kit on 198.51.100.23. "
    "Victims were asked to confirm details at hxxps://payroll-update[.]example/confirm. "
) * 600  # about 110 KB of prose


def test_free_text_past_its_bound_is_read_by_the_worker_not_the_request(
    api_for: Any, sharer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(api_for("partner_contributor"), REPORT.encode(), "report.txt", format="text")
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    assert StixObject.objects.count() == 0  # nothing was read within the request
    assert len(queued) == 1  # the task, queued once the submission committed


def test_a_short_text_is_still_read_at_once(api_for: Any, sharer: Any) -> None:
    response = post(api_for("partner_contributor"), REPORT[:2000].encode(), "note.txt", format="text")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "done"


def _killed(sharer: Any, attempts: int) -> Submission:
    """A submission left ``processing`` by a process that died: no heartbeat beats for it."""
    submission, _ = submission_create(actor=None, organisation=sharer.organisation, stream=io.BytesIO(GOOD))
    begun = timezone.now() - timedelta(minutes=5)
    Submission.objects.filter(pk=submission.pk).update(status="processing", attempts=attempts, started_at=begun)
    return submission


def test_the_worker_reads_again_an_ingest_whose_process_died(
    sharer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submission = _killed(sharer, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert submissions_recover() == [submission.pk]
    submission.refresh_from_db()
    assert (submission.status, submission.attempts, submission.new_count) == ("done", 2, 3)
    assert AuditEvent.objects.filter(action="submission.recovered", object_id=str(submission.pk)).exists()
    assert submissions_recover() == []  # nothing more to recover


def test_after_its_last_attempt_a_dying_ingest_fails_saying_why(sharer: Any, settings: Any) -> None:
    settings.ACCORD_INGEST_ATTEMPTS = 2
    submission = _killed(sharer, attempts=2)
    assert submissions_recover() == []
    submission.refresh_from_db()
    assert submission.status == "failed"
    assert "stopped 2 times without finishing" in submission.errors[0]["message"]
    assert StixObject.objects.count() == 0


def test_an_ingest_just_begun_is_not_taken_for_dead_before_its_heartbeat_could_beat(sharer: Any) -> None:
    submission = _killed(sharer, attempts=1)
    Submission.objects.filter(pk=submission.pk).update(started_at=timezone.now())
    assert submissions_recover() == []
    assert Submission.objects.get().status == "processing"


def test_a_process_that_loses_the_claim_leaves_the_winners_heartbeat() -> None:
    with heartbeat(424242):  # the winner's
        with heartbeat(424242) as loser:
            loser.disown()
        assert silent([424242]) == set()
    assert silent([424242]) == {424242}


def test_a_submission_another_process_reads_is_not_read_twice(sharer: Any) -> None:
    submission = _killed(sharer, attempts=1)  # "processing": as if another process had it
    assert submission_process(submission_id=submission.pk).status == "processing"
    assert StixObject.objects.count() == 0


class LosesToAConcurrentIngest(StoreListener):
    """Stands for a concurrent ingest on PostgreSQL: the first ``losses`` times it is told of new
    objects, the database answers as it does to the loser of a deadlock."""

    losses = 0

    def objects_added(self, **changes: Any) -> None:
        if LosesToAConcurrentIngest.losses > 0:
            LosesToAConcurrentIngest.losses -= 1
            raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")

    def objects_removed(self, **changes: Any) -> None:
        pass


@pytest.fixture
def contended(settings: Any) -> Iterator[type[LosesToAConcurrentIngest]]:
    settings.ACCORD_STORE_LISTENERS = [f"{__name__}.LosesToAConcurrentIngest"]
    store_listeners.cache_clear()
    yield LosesToAConcurrentIngest
    store_listeners.cache_clear()


def test_an_ingest_that_loses_to_a_concurrent_one_is_read_again_and_stored_once(
    api_for: Any, sharer: Any, contended: Any
) -> None:
    contended.losses = 2
    response = post(api_for("partner_contributor"), GOOD)
    assert response.status_code == 201 and response.json()["status"] == "done"
    assert StixObject.objects.count() == 3 and contended.losses == 0


def test_an_ingest_that_keeps_losing_fails_with_nothing_stored(api_for: Any, sharer: Any, contended: Any) -> None:
    contended.losses = 10
    client = api_for("partner_contributor")
    client.raise_request_exception = False
    response = post(client, GOOD)
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_busy"
    assert StixObject.objects.count() == 0
    assert Submission.objects.get().status == "failed"
