"""Taking a submission in: the agreement it comes under, its raw bytes in the content-addressed
store (SHA-256), the submission recorded, and its ingest started (inline or as a task).
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import OrganisationStatus, Tlp
from accord.core.errors import Forbidden, TooLarge, ValidationFailed
from accord.core.files import raw_put
from accord.core.guards import require
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.formats.base import ReadError, detect_format, looks_like_json
from accord.formats.markings import tlp_label
from accord.partners.choices import AgreementKind
from accord.partners.models import Agreement
from accord.partners.services import host_data_agreement_ensure
from accord.sharing.choices import SubmissionFormat, SubmissionStatus
from accord.sharing.models import Refusal, Submission
from accord.sharing.progress import silent
from accord.sharing.services._common import _set
from accord.sharing.services.ingest import fail_submission, submission_process


def _agreement_for(organisation: Organisation, reference: str | None) -> Agreement:
    """The data-sharing agreement in force the submission comes under (named, or the one). The
    hosting organisation's own data sets come under its internal-data terms, recorded on its
    first import if ``accord init`` has not (:func:`accord.partners.services.host_data_agreement_ensure`)."""
    if organisation.is_host:
        host_data_agreement_ensure(host=organisation)
    now = timezone.now()
    agreements = Agreement.objects.filter(organisation=organisation, kind=AgreementKind.DATA_SHARING).select_related(
        "current_version"
    )
    if reference:
        agreement = agreements.filter(reference=reference).first()
        if agreement is None:
            raise ValidationFailed(
                f"agreement: {organisation.name} holds no data-sharing agreement {reference}.",
                details={"agreement": ["Unknown for this organisation."]},
            )
    else:
        agreement = next((a for a in agreements if a.in_force_at(now)), None)
        if agreement is None:
            raise ValidationFailed(
                f"agreement: {organisation.name} holds no data-sharing agreement in force.",
                details={"agreement": ["An active data-sharing agreement is needed to share."]},
            )
    if not agreement.in_force_at(now):
        raise ValidationFailed(
            f"agreement: {agreement.reference} is not in force ({agreement.status}).",
            details={"agreement": ["Not in force."]},
        )
    return agreement


@dataclass(frozen=True)
class Stored:
    """Where the raw bytes went, and what they are."""

    sha256: str
    size: int
    head: bytes


def _store_raw(stream: IO[bytes]) -> Stored:
    """Copy the upload to the content-addressed raw store (limit-checked, hashed on the way);
    the store being out of reach raises :class:`~accord.core.files.FileStoreUnavailable` before
    anything is recorded."""
    limit = settings.ACCORD_MAX_SUBMISSION_BYTES
    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.TemporaryFile() as spool:
        while chunk := stream.read(1 << 20):
            if not head:
                head = chunk[:4096]
            size += len(chunk)
            if size > limit:
                raise TooLarge(
                    f"file: larger than the {limit // (1024 * 1024)} MB a submission may be.",
                    details={"file": [f"At most {limit // (1024 * 1024)} MB."]},
                )
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise ValidationFailed("file: the submission is empty.", details={"file": ["Empty."]})
        sha256 = digest.hexdigest()
        spool.seek(0)
        raw_put(Submission(sha256=sha256).raw_path, File(spool))
    return Stored(sha256=sha256, size=size, head=head)


def submission_create(
    *,
    actor: User | None,
    organisation: Organisation,
    stream: IO[bytes],
    filename: str = "",
    format: str = "auto",  # noqa: A002 - the name users know
    tlp: str | None = None,
    agreement: str | None = None,
    strict: bool = False,
) -> tuple[Submission, bool]:
    """Take a submission in; ``(submission, created)``. The same bytes under the same agreement
    return the existing submission instead of a duplicate. ``strict``: all or nothing, any
    refused object fails the whole (else each object is taken or refused on its own)."""
    require(actor, Perm.SHARING_SUBMIT)
    if actor is not None and not actor.organisation.is_host and actor.organisation_id != organisation.pk:
        raise Forbidden("You may only submit for your own organisation.")
    if not organisation.is_host and organisation.status != OrganisationStatus.ACTIVE:
        # A sanction holds for what a partner sends as for what it reads, whatever its agreements say.
        raise Forbidden(
            f"{organisation.name} is {organisation.status}: it shares nothing until its partnership is active."
        )
    marking = ""
    if tlp:
        marking = tlp_label(tlp) or ""
        if not marking:
            raise ValidationFailed(
                f"tlp: '{tlp}' is not a TLP label; one of: {', '.join(Tlp.values)}.",
                details={"tlp": [f"One of: {', '.join(Tlp.values)}."]},
            )
    if format not in ("auto", *SubmissionFormat.values):
        raise ValidationFailed(
            f"format: '{format}' is not one of auto, {', '.join(SubmissionFormat.values)}.",
            details={"format": ["auto, " + ", ".join(SubmissionFormat.values)]},
        )
    in_force = _agreement_for(organisation, agreement)
    stored = _store_raw(stream)
    if format == "auto":
        detected = detect_format(stored.head)
        if detected is None and looks_like_json(stored.head):
            raise ValidationFailed(
                "format: the file is JSON, but neither a STIX 2.1 bundle (an object with "
                '"type": "bundle", a list or TAXII envelope of STIX objects with ids) nor a MISP '
                'event ({"Event": …} or {"response": […]}), as far as its first 4 KB show; fix the '
                "file, or name its format (stix, misp, csv or text).",
                details={"format": ["JSON of no known kind."]},
            )
        if detected is None:
            raise ValidationFailed(
                "format: could not tell the format; name it (stix, misp, csv or text).",
                details={"format": ["Not recognised."]},
            )
        format = detected  # noqa: A001
    existing = Submission.objects.filter(agreement=in_force, sha256=stored.sha256).first()
    if existing is not None:
        if not _retryable(existing):
            return existing, False
        # Nothing of it was stored: take it again (the agreement may have changed since, or the
        # process that had it was killed), without what the failed attempt refused.
        Refusal.objects.filter(submission=existing).delete()
        _set(
            existing,
            status=SubmissionStatus.QUEUED,
            progress=0,
            errors=[],
            rejected_count=0,
            started_at=None,
            finished_at=None,
            submitted_by=actor,
            format=format,
            tlp=marking,
            strict=strict,
        )
        audit_record(actor=actor, action="submission.retry", obj=existing, organisation=organisation)
        return existing, True
    with transaction.atomic():
        submission = Submission.objects.create(
            organisation=organisation,
            agreement=in_force,
            submitted_by=actor,
            format=format,
            filename=filename[-255:],
            sha256=stored.sha256,
            size=stored.size,
            tlp=marking,
            strict=strict,
        )
        audit_record(
            actor=actor,
            action="submission.create",
            obj=submission,
            organisation=organisation,
            details={
                "sha256": stored.sha256,
                "size": stored.size,
                "format": format,
                "agreement": in_force.reference,
                "strict": strict,
            },
        )
    return submission, True


STALE_AFTER = timedelta(minutes=30)


def _retryable(submission: Submission) -> bool:
    """Whether nothing of it was stored and nothing is storing it: failed; ``processing`` with
    its heartbeat silent (its process died; one that beats is still at work, however long it
    takes, and is not started twice); or queued long ago and never begun."""
    if submission.status == SubmissionStatus.FAILED:
        return True
    if submission.status == SubmissionStatus.PROCESSING:
        return bool(silent([submission.pk]))
    if submission.status == SubmissionStatus.QUEUED:
        return timezone.now() - submission.created_at > STALE_AFTER
    return False


def _quick(submission: Submission) -> bool:
    """Whether it is read in well under a second: free text, read sentence by sentence, takes
    hundreds of times longer per byte than STIX, MISP or CSV, and has its own bound."""
    if submission.format == SubmissionFormat.TEXT:
        return submission.size <= settings.ACCORD_INLINE_TEXT_BYTES
    return submission.size <= settings.ACCORD_INLINE_SUBMISSION_BYTES


def _enqueue(submission_id: int) -> None:
    """Queue the ingest for ``accord worker`` once the current transaction commits."""
    from accord.sharing.tasks import process_submission  # the task module imports this one

    transaction.on_commit(lambda: process_submission.enqueue(submission_id))


def submission_start(*, submission: Submission, later: bool = False) -> Submission:
    """Ingest a newly taken submission: within the request when it is quick, else as a
    background task once the current transaction commits (the submission stays ``queued``).

    ``later``: a quick one is left ``queued`` for :func:`submission_run`, called by the share
    page in a request of its own once it has the submission's id, so that the page can follow
    the ingest's progress while it runs."""
    if not _quick(submission):
        _enqueue(submission.pk)
        return submission
    if later:
        return submission
    return submission_process(submission_id=submission.pk)


def submission_runs_in_request(submission: Submission) -> bool:
    """Whether its ingest runs within a request (:func:`submission_run`) rather than in the worker."""
    return submission.status == SubmissionStatus.QUEUED and _quick(submission)


def submission_run(*, submission: Submission) -> Submission:
    """Read a quick submission still ``queued`` now (the second request of the share page, or
    its own page opened); a large one is the worker's and is left to it. Idempotent: one that
    runs, or ran, is left as it is."""
    if not submission_runs_in_request(submission):
        return submission
    return submission_process(submission_id=submission.pk)


def submissions_recover() -> list[int]:
    """Round job of ``accord worker``: each ingest whose process died (``processing``, its
    heartbeat silent) is queued again and read from the start, since its transaction stored
    nothing; one that has died ``ACCORD_INGEST_ATTEMPTS`` times fails instead, saying so (a file
    that kills its reader every time, by exhausting memory say, is not read for ever); and quick
    submissions whose page never began them go to the worker. Returns the ids queued."""
    # Begun longer ago than a heartbeat lives: one just claimed may not have beaten yet.
    begun_before = timezone.now() - timedelta(seconds=settings.ACCORD_INGEST_HEARTBEAT_SECONDS)
    running = dict(
        Submission.objects.filter(status=SubmissionStatus.PROCESSING, started_at__lt=begun_before).values_list(
            "pk", "attempts"
        )
    )
    queued = []
    for pk in sorted(silent(running)):
        # Still as read above (processing, begun that many times), else it finished, failed or was
        # begun again meanwhile and is left alone.
        unchanged = Submission.objects.filter(pk=pk, status=SubmissionStatus.PROCESSING, attempts=running[pk])
        submission = unchanged.select_related("organisation").first()
        if submission is None:
            continue
        if running[pk] >= settings.ACCORD_INGEST_ATTEMPTS:
            reason = (
                f"its reading stopped {running[pk]} times without finishing (the process reading it "
                "was killed); nothing of it was stored: send it again, or in smaller parts"
            )
            with transaction.atomic():
                if unchanged.select_for_update().exists():
                    fail_submission(submission, [ReadError("submission", "", reason)], 0, 0)
            continue
        with transaction.atomic():
            if not unchanged.update(status=SubmissionStatus.QUEUED, progress=0, started_at=None):
                continue  # it finished, or failed, meanwhile
            audit_record(
                actor=None,
                action="submission.recovered",
                obj=submission,
                organisation=submission.organisation,
                details={"attempts": running[pk]},
            )
            _enqueue(pk)
        queued.append(pk)
    return queued + _abandoned_begun(begun_before)


def _abandoned_begun(created_before: datetime) -> list[int]:
    """Quick submissions the share page was to begin in a second request that never came (the
    browser closed after the upload): still ``queued``, never begun, taken more than a heartbeat
    ago. They are handed to the worker; a large one was queued for it when taken."""
    waiting = Submission.objects.filter(status=SubmissionStatus.QUEUED, started_at=None, created_at__lt=created_before)
    handed = []
    for submission in waiting.only("pk", "format", "size"):
        if _quick(submission):
            _enqueue(submission.pk)
            handed.append(submission.pk)
    return handed
