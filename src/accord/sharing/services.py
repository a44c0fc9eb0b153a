"""Every change to the shared-object store: submissions and their ingest, object by object.

``submission_create`` stores the raw bytes (content-addressed by SHA-256) and records the
submission; ``submission_process`` reads it with the format's reader and writes, in one
transaction, every object that is valid and permitted by the agreement, with its observables
and links, and a refusal (where, which field, why) for each that is not. A file that cannot be
read at all, and a ``strict`` submission with any refusal, leave the store exactly as it was; so
does a crash or a kill at any point (see :mod:`accord.sharing.store`).
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.core.audit import audit_record
from accord.core.checks import require
from accord.core.choices import DataCategory, Purpose, Tlp
from accord.core.errors import Forbidden, TooLarge, ValidationFailed
from accord.core.models import Organisation, User
from accord.core.roles import Perm
from accord.formats.base import READERS, ParsedObject, ReadError, Unreadable, detect_format
from accord.formats.markings import tlp_label
from accord.partners.choices import AgreementKind, AgreementStatus
from accord.partners.models import Agreement
from accord.partners.services import host_data_agreement_ensure
from accord.policy.decision import withheld_from
from accord.policy.principal import PrincipalContext, principal_context
from accord.policy.rules import SENSITIVE_CATEGORIES, WITHHELD_OBSERVABLES
from accord.sharing.bulk import chunks, gc_paused
from accord.sharing.choices import SENSITIVE_OBSERVABLES, Nature, SubjectCategory, SubmissionFormat, SubmissionStatus
from accord.sharing.listeners import notify_removed
from accord.sharing.models import ObjectObservable, Observable, Refusal, StixObject, Submission
from accord.sharing.progress import forget_progress, report_progress
from accord.sharing.reading import read_batches
from accord.sharing.store import MAX_ERRORS, BatchWriter, RefusalLog, Row, row_of

__all__ = [
    "category_of",
    "host_product",
    "host_product_publish",
    "minting_namespace",
    "object_revoke",
    "personal_data_consulted",
    "retention_purge",
    "submission_create",
    "submission_process",
    "submission_start",
]

READ_BATCH = 1000

# The data category of an object of a STIX type, where the type alone decides it. Cyber-observables
# of people (an e-mail address, a user account, a message between people, a phone number) are
# personal data. Types whose category depends on what the object says are in ``_category_by_data``.
_CATEGORY_BY_TYPE = {
    "x-accord-bank-account": DataCategory.FINANCIAL_IDENTIFIER,
    "x-accord-crypto-wallet": DataCategory.FINANCIAL_IDENTIFIER,
    "x-accord-phone-number": DataCategory.PERSONAL_DATA,
    "email-addr": DataCategory.PERSONAL_DATA,
    "email-message": DataCategory.PERSONAL_DATA,
    "user-account": DataCategory.PERSONAL_DATA,
    "report": DataCategory.INCIDENT_REPORT,
    "incident": DataCategory.INCIDENT_REPORT,
    "note": DataCategory.INCIDENT_REPORT,
    "opinion": DataCategory.INCIDENT_REPORT,
    "grouping": DataCategory.INCIDENT_REPORT,
}
# STIX 2.1 §4.5 identity-class-ov: only these are about a person (an unknown class may be one).
_PERSON_CLASSES = frozenset({"individual", "unknown"})
# Threat actors and intrusion sets that are one person: resource level ``individual`` (STIX 2.1
# attack-resource-level-ov), or a type naming a person (threat-actor-type-ov's insiders, or
# ``individual``, which producers use though the vocabulary is open).
_PERSON_ACTOR_TYPES = frozenset({"individual", "insider-accidental", "insider-disgruntled"})
# Properties that carry a binary (STIX 2.1 §6.1 artifact: ``payload_bin``, or ``url`` to it; a
# ``malware`` object carries one only in a ``payload_bin`` of its own, which some producers add).
_BINARY_PROPERTIES = ("payload_bin", "url")


# Data categories from the most sensitive: what an object holds and declares, it is recorded
# under the first of them (personal data and financial identifiers first, as the policy reads them).
_SENSITIVITY: tuple[str, ...] = (*SENSITIVE_CATEGORIES, DataCategory.MALWARE_SAMPLE, DataCategory.INCIDENT_REPORT)
_CATEGORIES = frozenset(DataCategory.values)  # ``values`` builds a new list on every read


def _category_by_data(stix: dict[str, Any]) -> str | None:
    """The category of an object whose type does not decide it alone, from what it says."""
    kind = stix["type"]
    if kind == "identity":
        identity_class = stix.get("identity_class")
        personal = identity_class is None or identity_class in _PERSON_CLASSES
        return DataCategory.PERSONAL_DATA if personal else None
    if kind in ("threat-actor", "intrusion-set"):
        types = stix.get("threat_actor_types")
        named = set(types) if isinstance(types, list) else set()
        if named & _PERSON_ACTOR_TYPES or stix.get("resource_level") == "individual":
            return DataCategory.PERSONAL_DATA
        return None
    if kind == "artifact":
        carries = any(stix.get(name) for name in _BINARY_PROPERTIES)
        return DataCategory.MALWARE_SAMPLE if carries else None
    if kind == "malware":
        return DataCategory.MALWARE_SAMPLE if stix.get("payload_bin") else None
    return _CATEGORY_BY_TYPE.get(kind)


def category_of(parsed: ParsedObject) -> str:
    """The object's data category: the most sensitive of what it holds (what its type and data
    say it is, the observables it mentions, what it declares in ``x_accord_data_category``), in
    the order of :data:`_SENSITIVITY`; else a technical indicator. The data decides where the
    type does not: an ``identity`` is personal data unless its ``identity_class`` says it is no
    person, a threat actor or intrusion set when it is one individual, an ``artifact`` (or a
    ``malware`` object) a malware sample only when it carries the binary: a malware family, or
    a ``sample_refs`` pointing at a sample, is technical intelligence.
    A declaration wins only when it is at least as sensitive as what the object holds: it may
    raise the category, never lower it (an indicator of an e-mail address is personal data, a
    carried binary a malware sample, whatever they say)."""
    declared = parsed.stix.get("x_accord_data_category")
    held = {_category_by_data(parsed.stix), *(SENSITIVE_OBSERVABLES.get(m.type) for m in parsed.mentions)}
    if isinstance(declared, str) and declared in _CATEGORIES:
        held.add(declared)
    if len(held) > 1 or None not in held:  # most objects hold nothing that decides: one set probe
        for category in _SENSITIVITY:
            if category in held:
                return category
    return DataCategory.TECHNICAL_INDICATOR


def _handling_problem(item: ParsedObject, category: str) -> ReadError | None:
    """Check the object's own handling properties; personal data always gets a subject category."""
    credibility = item.stix.get("x_accord_credibility")
    if credibility is not None and (
        not isinstance(credibility, int) or isinstance(credibility, bool) or not 1 <= credibility <= 4
    ):
        return ReadError(item.where, "x_accord_credibility", f"{credibility!r} is not an information credibility 1-4")
    subject = item.stix.get("x_accord_data_subject")
    if subject is not None and subject not in SubjectCategory.values:
        return ReadError(
            item.where, "x_accord_data_subject", f"{subject!r} is not one of: {', '.join(SubjectCategory.values)}"
        )
    nature = item.stix.get("x_accord_nature")
    if nature is not None and nature not in Nature.values:
        return ReadError(item.where, "x_accord_nature", f"{nature!r} is not one of: {', '.join(Nature.values)}")
    if category == DataCategory.PERSONAL_DATA:
        item.stix.setdefault("x_accord_data_subject", SubjectCategory.OTHER.value)
    return None


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
        agreement = next(
            (
                a
                for a in agreements
                if a.status == AgreementStatus.ACTIVE and a.current_version and a.current_version.covers(now)
            ),
            None,
        )
        if agreement is None:
            raise ValidationFailed(
                f"agreement: {organisation.name} holds no data-sharing agreement in force.",
                details={"agreement": ["An active data-sharing agreement is needed to share."]},
            )
    version = agreement.current_version
    if agreement.status != AgreementStatus.ACTIVE or version is None or not version.covers(now):
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
    """Copy the upload to the content-addressed store (limit-checked, hashed on the way)."""
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
        path = f"submissions/{sha256[:2]}/{sha256}"
        if not default_storage.exists(path):
            spool.seek(0)
            default_storage.save(path, File(spool))
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
    """Failed, or started long ago and never finished (its process died): nothing was stored."""
    if submission.status == SubmissionStatus.FAILED:
        return True
    started = submission.started_at or submission.created_at
    return submission.status != SubmissionStatus.DONE and timezone.now() - started > STALE_AFTER


def submission_start(*, submission: Submission) -> Submission:
    """Ingest a newly taken submission: within the request when it is small, else as a
    background task once the current transaction commits (the submission stays ``queued``)."""
    if submission.size > settings.ACCORD_INLINE_SUBMISSION_BYTES:
        from accord.sharing.tasks import process_submission  # the task module imports this one

        transaction.on_commit(lambda: process_submission.enqueue(submission.pk))
        return submission
    return submission_process(submission_id=submission.pk)


def _set(submission: Submission, **fields: Any) -> None:
    Submission.objects.filter(pk=submission.pk).update(**fields)
    for name, value in fields.items():
        setattr(submission, name, value)


def submission_process(*, submission_id: int, on_progress: Callable[[int], None] | None = None) -> Submission:
    """Read and store a queued submission, object by object (all or nothing when ``strict``);
    idempotent: done or failed ones are left as they are."""
    submission = Submission.objects.select_related("agreement__current_version", "organisation").get(pk=submission_id)
    if submission.status in (SubmissionStatus.DONE, SubmissionStatus.FAILED):
        return submission

    def progress(percent: int) -> None:
        report_progress(submission.pk, percent)
        if on_progress:
            on_progress(percent)

    _set(submission, status=SubmissionStatus.PROCESSING, started_at=timezone.now(), progress=0)
    report_progress(submission.pk, 0)
    try:
        with gc_paused():
            _process(submission, progress)
    except Exception as exc:
        _fail(submission, [ReadError("submission", "", f"internal error: {type(exc).__name__}")], 0, 0)
        raise
    finally:
        forget_progress(submission.pk)
    submission.refresh_from_db()
    return submission


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

    def produce(report: Callable[[int], None]) -> Iterator[list[Row | ReadError]]:
        """Rows and errors, a batch at a time (in a reading process for large submissions),
        with the share read after each batch."""
        batch: list[Row | ReadError] = []
        with default_storage.open(submission.raw_path, "rb") as raw:
            for item in reader.read(raw):
                if isinstance(item, ReadError):
                    batch.append(item)
                else:
                    batch.append(_refusal(item, agreement, terms.data_categories) or row_of(item, now, marking))
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

    with transaction.atomic():
        Refusal.objects.filter(submission=submission).delete()  # of an earlier attempt that failed
        refusals = RefusalLog(submission)
        writer = BatchWriter(
            submission,
            retention_days=terms.retention_days or 365,
            purpose=terms.purposes[0] if terms.purposes else Purpose.INVESTIGATION,
            refusals=refusals,
        )
        parallel = submission.size >= settings.ACCORD_PARALLEL_INGEST_BYTES
        for item in chain.from_iterable(read_batches(produce, progress, parallel=parallel)):
            if isinstance(item, Unreadable):
                unreadable = item
                break
            read += 1
            if isinstance(item, ReadError):
                refusals.add(item)
                if strict and refusals.count >= MAX_ERRORS:
                    break
            elif not (strict and refusals.count):
                writer.add(item)
        if storing():
            writer.flush()  # may refuse ids in use
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
            for path in settings.ACCORD_AFTER_INGEST:  # each on its own: one failing never stops the others
                transaction.on_commit(_after_ingest(path, submission.pk), robust=True)
            return
        transaction.set_rollback(True)
    _fail(submission, [*([unreadable] if unreadable else []), *refusals.first][:MAX_ERRORS], read, refusals.count)


@transaction.atomic
def _fail(submission: Submission, errors: list[ReadError], read: int, refused: int) -> None:
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


def _after_ingest(path: str, submission_id: int) -> Callable[[], None]:
    """Queuing one of the ``ACCORD_AFTER_INGEST`` tasks (enrichment …) for a stored submission."""

    def enqueue() -> None:
        import_string(path).enqueue(submission_id)

    return enqueue


def _refusal(item: ParsedObject, agreement: Agreement, categories: list[str]) -> ReadError | None:
    """Why the agreement does not take this object, or its handling is wrong; else ``None``."""
    category = category_of(item)
    if category not in categories:
        return ReadError(
            item.where,
            "data_category",
            f"{category} is not permitted by {agreement.reference} (it covers {', '.join(categories)})",
        )
    item.stix["x_accord_data_category"] = category  # the category of record, raised where it holds more
    return _handling_problem(item, category)


@transaction.atomic
def object_revoke(*, actor: User, stix_id: str, reason: str = "", versions: list[datetime] | None = None) -> int:
    """The originator withdraws an object: every version (or those ``modified`` at ``versions``)
    becomes invisible to all but auditors viewing it on the platform."""
    require(actor, Perm.SHARING_SUBMIT)
    chosen = StixObject.objects.select_for_update().filter(stix_id=stix_id, organisation=actor.organisation)
    if versions is not None:
        chosen = chosen.filter(modified__in=versions)
    pks = list(chosen.filter(revoked=False).values_list("pk", flat=True))
    count = StixObject.objects.filter(pk__in=pks).update(revoked=True, revoked_at=timezone.now())
    notify_removed(objects=pks, observables=_mentioned(pks))
    if count:
        audit_record(
            actor=actor,
            action="object.revoke",
            object_type="sharing.stixobject",
            object_id=stix_id,
            details={"versions": count, "modified": [f"{v:%Y-%m-%dT%H:%M:%S.%fZ}" for v in versions or ()]},
            justification=reason,
        )
    return count


def host_product(*, body: dict[str, Any], tlp: str) -> StixObject:
    """A product of the hosting organisation (a report's STIX object) as :func:`host_product_publish`
    stores it, not yet saved nor addressed: what the policy decides on for its addressees."""
    host = Organisation.objects.filter(is_host=True).first()
    if host is None:
        raise ValidationFailed("organisation: there is no hosting organisation to publish as (run accord init).")
    return StixObject(
        stix_id=body["id"],
        type=body["type"],
        spec_version=body.get("spec_version", "2.1"),
        created=datetime.fromisoformat(body["created"]),
        modified=datetime.fromisoformat(body["modified"]),
        body=body,
        organisation=host,
        tlp=tlp,
        data_category=_CATEGORY_BY_TYPE.get(body["type"], DataCategory.INCIDENT_REPORT),
        addressees_only=True,
    )


@transaction.atomic
def host_product_publish(
    *, actor: User | None, body: dict[str, Any], tlp: str, addressed_to: list[Organisation]
) -> StixObject:
    """Store a product of the hosting organisation (a disseminated report's STIX object) as one
    object version that reaches only the organisations it is addressed to, whatever its TLP
    (:func:`accord.policy.decision.outside_audience`). It mentions no observable of its own."""
    require(actor, Perm.ANALYSIS_WORK)
    if not addressed_to:
        raise ValidationFailed("addressed_to: a product sent to its addressees only needs at least one.")
    obj = host_product(body=body, tlp=tlp)
    obj.save(force_insert=True)
    obj.addressed_to.set(addressed_to)
    audit_record(
        actor=actor,
        action="object.publish",
        obj=obj,
        details={"stix_id": obj.stix_id, "tlp": tlp, "addressed_to": sorted(o.pk for o in addressed_to)},
    )
    return obj


def _mentioned(objects: list[int]) -> set[int]:
    """The observables the given object versions mention."""
    return {
        pk
        for part in chunks(objects)
        for pk in ObjectObservable.objects.filter(stix_object_id__in=part).values_list("observable_id", flat=True)
    }


@transaction.atomic
def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete objects past their retention, their links, and observables nothing mentions any
    more (``accord retention purge``, and the worker daily); the summary goes to the audit chain."""
    now = now or timezone.now()
    expired = StixObject.objects.filter(expires_at__lte=now)
    gone = list(expired.values_list("pk", flat=True))
    orphans_before = _mentioned(gone)
    _, deleted = expired.delete()
    notify_removed(objects=gone, observables=orphans_before)
    objects = deleted.get(StixObject._meta.label, 0)
    _, deleted = Observable.objects.filter(pk__in=orphans_before, links__isnull=True).delete()
    observables = deleted.get(Observable._meta.label, 0)
    summary = {"objects": objects, "observables": observables}
    if objects or observables:
        audit_record(actor=None, action="retention.purge", object_type="sharing.stixobject", details=summary)
    return summary


def personal_data_consulted(
    *,
    actor: User,
    objects: Iterable[StixObject] = (),
    stix_ids: Iterable[str] = (),
    observables: Iterable[Observable] = (),
    observable_ids: Iterable[int] = (),
    purpose: str,
    via: str,
    context: PrincipalContext | None = None,
    **where: Any,
) -> None:
    """Log that ``actor`` consulted personal data: who, their organisation, when (the event's
    time), why (the purpose), how (``via``: web, api, taxii, export) and which objects and
    observables. Of ``objects``, only those of the personal-data category shown whole count
    (one whose fields the originator's agreement withholds from the actor showed no personal
    data); of ``observables``, only phone numbers and e-mail addresses; ``stix_ids`` and
    ``observable_ids`` are already chosen so. When none is left, nothing is written. Every
    consultation or disclosure of personal data is logged (data protection for law
    enforcement), and only those, so reading indicators costs no write."""
    chosen = [obj for obj in objects if obj.data_category == DataCategory.PERSONAL_DATA]
    if chosen:
        ctx = context or principal_context(actor)
        stix_ids = [*stix_ids, *(obj.stix_id for obj in chosen if not withheld_from(ctx, obj))]
    ids = sorted(set(stix_ids))
    personal = WITHHELD_OBSERVABLES[DataCategory.PERSONAL_DATA]
    values = sorted({*observable_ids, *(observable.pk for observable in observables if observable.type in personal)})
    if not ids and not values:
        return
    details: dict[str, Any] = {"via": via, "purpose": purpose, "objects": ids}
    if values:
        details["observables"] = values
    audit_record(
        actor=actor,
        action="personal_data.consulted",
        object_type="sharing.stixobject",
        organisation=actor.organisation,
        details=details | where,
    )
