"""Ingest of a stored submission: read with the format's reader and written, in one
transaction, object by object, with a refusal (where, which field, why) for each that is not
taken. A file that cannot be read at all, and a ``strict`` submission with any refusal, leave
the store exactly as it was; so does a crash or a kill at any point (see
:mod:`accord.sharing.store`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import chain
from traceback import format_tb
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.core.audit import audit_record
from accord.core.choices import DataCategory, Purpose
from accord.core.faults import contended, described
from accord.core.files import FileStoreUnavailable, raw_open
from accord.core.metrics import INGEST_OBJECTS, INGEST_SUBMISSIONS
from accord.core.models import Organisation
from accord.core.public_ids import encode
from accord.core.telemetry import bound, submission_id_var
from accord.formats.base import READERS, ParsedObject, ReadError, Unreadable
from accord.formats.writers import export_header
from accord.notifications.services import notify
from accord.partners.models import Agreement
from accord.sharing.bulk import gc_paused
from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Refusal, Submission
from accord.sharing.progress import forget_progress, heartbeat, report_progress
from accord.sharing.reading import read_batches
from accord.sharing.services._common import _set
from accord.sharing.services.categories import _handling_problem, category_of
from accord.sharing.services.markings import MarkingWriter
from accord.sharing.services.translations import TranslationWriter
from accord.sharing.store import MAX_ERRORS, BatchWriter, RefusalLog, Row, row_of

log = logging.getLogger(__name__)

READ_BATCH = 1000
INGEST_TRIES = 4  # times an ingest that lost to a concurrent one is begun
KEPT_APART = frozenset({"marking-definition", "language-content"})


def submission_process(*, submission_id: int, on_progress: Callable[[int], None] | None = None) -> Submission:
    """Read and store a queued submission, object by object (all or nothing when ``strict``);
    idempotent: done or failed ones are left as they are."""
    submission = Submission.objects.select_related("agreement__current_version", "organisation").get(pk=submission_id)
    if submission.status != SubmissionStatus.QUEUED:
        return submission  # done, failed, or being read by another process

    told = [-1]

    def progress(percent: int) -> None:
        # The reader says where it is after every batch of READ_BATCH objects: a thousand times
        # in a million objects, each a file written and renamed in the ``live`` cache. Only a
        # figure that moved is told.
        if percent == told[0]:
            return
        told[0] = percent
        report_progress(submission.pk, percent)
        if on_progress:
            on_progress(percent)

    # Every log record of the ingest (its reading process's too) names the submission, by the
    # id the API and pages show.
    with bound(submission_id_var, encode(submission.pk)), heartbeat(submission.pk) as beat:
        # beating before the row says it runs: never running and silent
        if not _claim(submission):
            beat.disown()  # the heartbeat is the winner's: it stays when this block ends
            submission.refresh_from_db()
            return submission  # another process took it first (the same task run twice)
        log.info("ingest started: %s, %d bytes", submission.format, submission.size)
        report_progress(submission.pk, 0)
        try:
            with gc_paused():
                _process_until_it_wins(submission, progress)
        except FileStoreUnavailable as exc:
            reason = "the file store could not be reached to read it; nothing of it was stored: send it again"
            fail_submission(submission, [ReadError("submission", "", reason)], 0, 0)
            log.error("ingest failed: %s", exc)
            _measure(submission)
            raise
        except Exception as exc:
            fail_submission(submission, [ReadError("submission", "", f"internal error: {type(exc).__name__}")], 0, 0)
            # The trace without the exception's text: a database's names the values at fault.
            trace = "".join(format_tb(exc.__traceback__))
            log.error("ingest failed on an internal error: %s\n%s", described(exc), trace)
            _measure(submission)
            raise
        finally:
            forget_progress(submission.pk)
        submission.refresh_from_db()
        log.info(
            "ingest %s: %d read, %d new, %d updated, %d refused",
            submission.status,
            submission.objects_count,
            submission.new_count,
            submission.updated_count,
            submission.rejected_count,
        )
    _measure(submission)
    return submission


def _process_until_it_wins(submission: Submission, progress: Callable[[int], None]) -> None:
    """:func:`_process`, begun again when its transaction loses to a concurrent one. On
    PostgreSQL two ingests writing the same values at once can deadlock, or both insert the same
    new row (a correlation source); the database rolls the loser back whole, so reading it again
    from the start is safe, and the second time the winner's rows are there to be seen."""
    for attempt in range(1, INGEST_TRIES + 1):
        try:
            _process(submission, progress)
            return
        except DatabaseError as exc:
            if attempt == INGEST_TRIES or not contended(exc):
                raise
            log.warning("lost to a concurrent ingest (%s); reading it again", described(exc))
            time.sleep(random.uniform(0.05, 0.25) * attempt)  # noqa: S311 - spreading retries, not a secret


def _claim(submission: Submission) -> bool:
    """Mark the queued submission ``processing`` unless another process already has: the one
    update that succeeds reads it, so a task run twice (a retry, a recovered ingest) stores once."""
    fields = {
        "status": SubmissionStatus.PROCESSING,
        "started_at": timezone.now(),
        "progress": 0,
        "attempts": submission.attempts + 1,
    }
    if not Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.QUEUED).update(**fields):
        return False
    for name, value in fields.items():
        setattr(submission, name, value)
    return True


def _measure(submission: Submission) -> None:
    """Count a finished ingest (accord_ingest_submissions_total, accord_ingest_objects_total) once
    it is committed: a rolled-back one stored nothing."""
    fmt, status = submission.format, submission.status
    if status == SubmissionStatus.DONE:
        outcomes = {
            "new": submission.new_count,
            "updated": submission.updated_count,
            "refused": submission.rejected_count,
        }
    else:
        outcomes = {"failed": submission.objects_count}

    def count() -> None:
        INGEST_SUBMISSIONS.labels(format=fmt, status=status).inc()
        for outcome, number in outcomes.items():
            if number:
                INGEST_OBJECTS.labels(format=fmt, outcome=outcome).inc(number)

    transaction.on_commit(count)


def minting_namespace(organisation_id: int) -> uuid.UUID:
    """The namespace of the ids Accord mints for one organisation's imported objects (a CSV row,
    an indicator found in text, a MISP object without a uuid): keyed with this installation's
    ``ACCORD_ID_KEY``. The same value from the same organisation gets the same id again, so a
    re-import updates rather than duplicates; no one without the key can compute the id, so an
    id tells nothing of the value or of who shared it, and no one can take it first."""
    digest = hmac.new(
        settings.ACCORD_ID_KEY.encode(), f"accord:organisation:{organisation_id}".encode(), hashlib.sha256
    ).digest()
    return uuid.UUID(bytes=digest[:16])


def _process(submission: Submission, progress: Callable[[int], None]) -> None:
    """Read and write in one transaction, a batch at a time. Each object is taken or refused on
    its own: a refusal (the reader's, the agreement's, or the store's for an id in use) is
    recorded and the rest is written. The transaction is rolled back, and the submission fails,
    when the file cannot be read on (:class:`~accord.formats.base.Unreadable`: what came before
    goes too) or when it is ``strict`` and anything was refused (the writing stops at the first
    refusal, the reading at ``MAX_ERRORS``)."""
    agreement = submission.agreement
    terms = agreement.current_version
    assert terms is not None  # noqa: S101 - checked when the submission was created
    reader = READERS[submission.format](namespace=minting_namespace(submission.organisation_id))
    # A cyber-observable, and an object with neither ``modified`` nor ``created``, is versioned
    # at the moment the submission was received, so that its version is known from then on.
    now = submission.created_at
    marking = submission.tlp or terms.default_tlp
    own = _platform_objects()

    def produce(raw: IO[bytes], report: Callable[[int], None]) -> Iterator[list[Row | ReadError | ParsedObject]]:
        """Rows and errors, a batch at a time (in a reading process for large submissions),
        with the share read after each batch."""
        batch: list[Row | ReadError | ParsedObject] = []
        for item in reader.read(raw):
            if isinstance(item, ReadError):
                batch.append(item)
            elif item.stix.get("type") in KEPT_APART or item.stix.get("id") in own:
                # markings are not shared data (MarkingWriter), translations are held under the
                # category of what they translate (TranslationWriter), the platform's own objects
                # are the platform's
                batch.append(item)
            else:
                batch.append(_refusal(item, agreement, terms.data_categories) or _sized(item, now, marking))
            if len(batch) == READ_BATCH:
                yield batch
                batch = []
                done = reader.done()
                report(min(99, int(100 * (done if done is not None else raw.tell() / max(submission.size, 1)))))
        yield batch

    strict = submission.strict
    unreadable: Unreadable | None = None
    read = 0  # objects read, taken or refused

    def storing() -> bool:
        """Whether what was read so far is to be stored (the rest of it, for what was refused)."""
        return unreadable is None and not (strict and refusals.count)

    # Fetched whole from the raw store here, before the transaction and the reading process: a
    # store out of reach fails the ingest before anything is written, in this process.
    with raw_open(submission.raw_path) as raw, transaction.atomic():
        Refusal.objects.filter(submission=submission).delete()  # of an earlier attempt that failed
        refusals = RefusalLog(submission)
        writer = BatchWriter(
            submission,
            retention_days=terms.retention_days or 365,
            purpose=terms.purposes[0] if terms.purposes else Purpose.INVESTIGATION,
            refusals=refusals,
        )
        markings = MarkingWriter(submission, refusals)
        translations = TranslationWriter(
            organisation_id=submission.organisation_id,
            covered=terms.data_categories,
            writer=writer,
            refusals=refusals,
            admit=lambda item, category: (
                _refusal(item, agreement, terms.data_categories, category) or _sized(item, now, marking)
            ),
        )
        parallel = submission.size >= settings.ACCORD_PARALLEL_INGEST_BYTES
        batches = read_batches(lambda report: produce(raw, report), progress, parallel=parallel)
        for item in chain.from_iterable(batches):
            if isinstance(item, Unreadable):
                unreadable = item
                break
            read += 1
            if isinstance(item, ReadError):
                refusals.add(item)
                if strict and refusals.count >= MAX_ERRORS:
                    break
            elif isinstance(item, ParsedObject) and item.stix.get("id") in own:
                _own_copy(item, own, refusals)
            elif isinstance(item, ParsedObject) and item.stix["type"] == "language-content":
                if not (strict and refusals.count):
                    translations.add(item)
            elif isinstance(item, ParsedObject):
                markings.add(item)
            elif not (strict and refusals.count):
                writer.add(item)
        if storing():
            writer.flush()  # may refuse ids in use
            translations.flush()
            markings.flush()
        if storing():
            refusals.flush()
            counts = writer.counts() | {"objects_count": read, "rejected_count": refusals.count}
            _set(
                submission,
                status=SubmissionStatus.DONE,
                finished_at=timezone.now(),
                progress=100,
                errors=[e.as_dict() for e in refusals.first],
                **counts,
            )
            audit_record(
                actor=None,
                action="submission.done",
                obj=submission,
                organisation=submission.organisation,
                details=counts,
            )
            _tell_submitter(submission, counts)
            for path in settings.ACCORD_AFTER_INGEST:  # each on its own: one failing never stops the others
                transaction.on_commit(_after_ingest(path, submission.pk), robust=True)
            return
        transaction.set_rollback(True)
    fail_submission(
        submission, [*([unreadable] if unreadable else []), *refusals.first][:MAX_ERRORS], read, refusals.count
    )


def _tell_submitter(submission: Submission, counts: dict[str, int]) -> None:
    """``submission.finished``: the person who shared it (and the organisation's webhooks) told its counts."""
    name = submission.filename or f"Submission {encode(submission.pk)}"
    notify(
        "submission.finished",
        people=[submission.submitted_by] if submission.submitted_by else [],
        organisation=None,
        subject=submission,
        link=f"/submissions/{encode(submission.pk)}/",
        context={
            "title": (
                f"{name} was stored: {counts.get('new_count', 0):,} new, {counts.get('rejected_count', 0):,} refused"
            ),
            "text": (
                f"{counts.get('objects_count', 0):,} objects read; {counts.get('new_count', 0):,} new, "
                f"{counts.get('updated_count', 0):,} updated, {counts.get('rejected_count', 0):,} refused; "
                f"{counts.get('observables_count', 0):,} observables."
            ),
        },
        data={"submission": encode(submission.pk), "organisation": submission.organisation.name, **counts},
    )


def _platform_objects() -> dict[str, dict[str, Any]]:
    """The objects a STIX export of this platform starts with (its host's identity, Accord's
    extension definitions), by id: an export shared back in carries them, and they are the
    platform's, not the sender's data."""
    host = Organisation.objects.filter(is_host=True).values_list("name", flat=True).first() or "Accord"
    return {str(obj["id"]): obj for obj in export_header(host)}


def _own_copy(item: ParsedObject, own: dict[str, dict[str, Any]], refusals: RefusalLog) -> None:
    """A copy of one of the platform's own objects: taken as a no-op when it is the one the
    platform publishes, refused (that object alone) when it claims the id with other content."""
    stix_id = str(item.stix["id"])
    if item.stix != own[stix_id]:
        refusals.add(
            ReadError(
                item.where,
                "id",
                f"{stix_id} is this platform's own (it begins every STIX export); it is taken only as "
                "the platform publishes it: choose another id for another object",
            )
        )


@transaction.atomic
def fail_submission(submission: Submission, errors: list[ReadError], read: int, refused: int) -> None:
    """Record a submission that stored nothing: its errors (an unreadable file's first), as its
    ``errors`` and its refusals, and the counts of the objects read and refused before it stopped."""
    Refusal.objects.filter(submission=submission).delete()
    Refusal.objects.bulk_create(
        Refusal(submission=submission, number=n, where=e.where[:500], field=e.field[:200], message=e.message)
        for n, e in enumerate(errors, 1)
    )
    _set(
        submission,
        status=SubmissionStatus.FAILED,
        finished_at=timezone.now(),
        progress=100,
        rejected_count=refused,
        objects_count=read,
        errors=[e.as_dict() for e in errors],
    )
    audit_record(
        actor=None,
        action="submission.failed",
        obj=submission,
        organisation=submission.organisation,
        details={"refused": refused, "first": str(errors[0]), "strict": submission.strict},
    )
    name = submission.filename or f"Submission {encode(submission.pk)}"
    notify(
        "submission.failed",
        people=[submission.submitted_by] if submission.submitted_by else [],
        subject=submission,
        link=f"/submissions/{encode(submission.pk)}/",
        context={
            "title": f"{name} was not stored: {errors[0]}"[:300],
            "text": f"{read:,} objects read, {refused:,} refused; nothing was stored. The first problem: {errors[0]}",
        },
        data={"submission": encode(submission.pk), "objects_count": read, "rejected_count": refused},
    )


def _after_ingest(path: str, submission_id: int) -> Callable[[], None]:
    """Queuing one of the ``ACCORD_AFTER_INGEST`` tasks (enrichment …) for a stored submission."""

    def enqueue() -> None:
        import_string(path).enqueue(submission_id)

    return enqueue


def _sized(item: ParsedObject, now: datetime, marking: str) -> Row | ReadError:
    """The object's row, or its refusal when its JSON passes ``ACCORD_MAX_OBJECT_BYTES`` or one
    of its text values passes its field's cap (``ACCORD_MAX_FIELD_BYTES``, or the field's own in
    ``ACCORD_FIELD_CAPS``): one object of many megabytes would make every page, export and bundle
    that holds it as large, and one text of many pages every list that shows it."""
    row = row_of(item, now, marking)
    size = len(row[1][5])  # the body as stored
    if size > settings.ACCORD_MAX_OBJECT_BYTES:
        limit = settings.ACCORD_MAX_OBJECT_BYTES
        return ReadError(item.where, "object", f"is {size:,} bytes of JSON; at most {limit:,} are taken per object")
    caps = settings.ACCORD_FIELD_CAPS
    if size > min(settings.ACCORD_MAX_FIELD_BYTES, *caps.values()):  # else no value can pass its cap
        found = _oversized(item.stix, "", caps, settings.ACCORD_MAX_FIELD_BYTES)
        if found is not None:
            path, length, limit = found
            return ReadError(item.where, path, f"is {length:,} bytes; at most {limit:,} are taken in this field")
    return row


def _oversized(value: Any, path: str, caps: dict[str, int], cap: int) -> tuple[str, int, int] | None:
    """The first text within ``value`` longer than its cap (UTF-8 bytes): its path
    (``external_references[2].description``), length and cap. A field's cap, where it has its
    own, holds for everything within it."""
    if isinstance(value, str):
        if len(value) * 4 <= cap:  # UTF-8 takes at most four bytes a character
            return None
        length = len(value.encode())
        return (path, length, cap) if length > cap else None
    if isinstance(value, dict):
        for key, inner in value.items():
            found = _oversized(inner, f"{path}.{key}" if path else key, caps, caps.get(key, cap))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found = _oversized(inner, f"{path}[{index}]", caps, cap)
            if found is not None:
                return found
    return None


def _category_words(category: str) -> str:
    """A data category as people read it (``incident_report`` as "Incident report")."""
    return str(DataCategory(category).label) if category in DataCategory.values else category


def _refusal(
    item: ParsedObject, agreement: Agreement, categories: list[str], also: str | None = None
) -> ReadError | None:
    """Why the agreement does not take this object, or its handling is wrong; else ``None``.
    ``also`` is a category the object holds by what it stands for (:func:`category_of`)."""
    category = category_of(item, also)
    if category not in categories:
        return ReadError(
            item.where,
            "data_category",
            f"{_category_words(category)} is not permitted by {agreement.reference} "
            f"(it covers {', '.join(_category_words(c).lower() for c in categories)})",
        )
    item.stix["x_accord_data_category"] = category  # the category of record, raised where it holds more
    return _handling_problem(item, category)
