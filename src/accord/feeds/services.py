"""Every change to feeds: adding, changing, removing them, and pulling them into submissions.

A pull submits each piece a source yields through the same ingest as any submission (object by
object, or all or nothing for a ``strict`` feed; under the feed organisation's agreement,
objects keeping their own markings; objects marked TLP:RED that a TAXII server sent are never
taken: :class:`~accord.feeds.sources.TaxiiSource`) and moves the feed's cursor past each piece
once the ingest has dealt with it: what it refused (objects of an event, or a whole event) is
reported on the feed and in the audit chain and skipped, so one bad event never stops a feed. A
pull that fails (the source cannot be read, or the agreement does not let anything in) is
recorded on the feed and in the audit chain; the feed stays where it was and the next pull
starts there.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.audit import audit_record
from accord.core.choices import Tlp
from accord.core.errors import ApplicationError, Conflict, TooLarge, ValidationFailed
from accord.core.guards import invalid, one_of, require
from accord.core.models import Organisation, User
from accord.core.public_ids import encode
from accord.core.roles import Perm
from accord.feeds.models import Feed, FeedKind
from accord.feeds.sources import SOURCES, FeedError, Source, csv_mapping_problem
from accord.partners.models import Agreement
from accord.sharing.choices import SubmissionStatus
from accord.sharing.models import Submission
from accord.sharing.services import submission_create, submission_process

__all__ = ["PullResult", "feed_add", "feed_pull", "feed_remove", "feed_update", "feeds_pull_due", "feed_token"]

# A pull that has held its lease this long is taken to have died with its process.
LEASE = timedelta(hours=2)


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"accord feed tokens\x00" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode() if token else ""


def feed_token(feed: Feed) -> str:
    """The feed's token in clear, for the pull only."""
    if not feed.token_sealed:
        return ""
    try:
        return _fernet().decrypt(feed.token_sealed.encode()).decode()
    except InvalidToken as exc:
        raise FeedError("the stored token cannot be read (the secret key changed?): set it again") from exc


def _check(
    *,
    name: str,
    kind: str,
    url: str,
    collection: str,
    organisation: Organisation,
    agreement: Agreement | None,
    tlp: str,
    mapping: dict[str, Any],
    interval_minutes: int,
) -> None:
    if not name or not name.replace("-", "").replace("_", "").isalnum() or len(name) > 64:
        raise invalid("name", f"'{name}' is not a feed name.", "Letters, digits, hyphens and underscores, at most 64.")
    one_of("kind", kind, FeedKind)
    if not url.startswith(("http://", "https://")):
        raise invalid("url", f"'{url}' is not an http(s) URL.", "http://… or https://…")
    if kind == FeedKind.TAXII and not collection:
        raise invalid("collection", "a TAXII feed names its collection.", "The collection's id.")
    if kind == FeedKind.CSV:
        problem = csv_mapping_problem(mapping)
        if problem:
            raise invalid("mapping", problem, 'For example {"type": "=url", "value": "url"}.')
    if agreement is not None and agreement.organisation_id != organisation.pk:
        raise invalid("agreement", f"{agreement.reference} is not an agreement of {organisation.name}.")
    one_of("tlp", tlp, Tlp, blank=True)
    if interval_minutes < 1:
        raise invalid("interval_minutes", "must be at least 1.")


@transaction.atomic
def feed_add(
    *,
    actor: User | None,
    name: str,
    kind: str,
    url: str,
    organisation: Organisation,
    agreement: Agreement | None = None,
    collection: str = "",
    username: str = "",
    token: str = "",
    tlp: str = "",
    mapping: dict[str, Any] | None = None,
    interval_minutes: int = 60,
    strict: bool = False,
) -> Feed:
    """Register a feed (admins). Its token is kept encrypted with a key derived from the secret
    key. ``strict``: each piece is taken all or nothing."""
    require(actor, Perm.PLATFORM_ADMIN)
    mapping = mapping or {}
    _check(
        name=name,
        kind=kind,
        url=url,
        collection=collection,
        organisation=organisation,
        agreement=agreement,
        tlp=tlp,
        mapping=mapping,
        interval_minutes=interval_minutes,
    )
    if Feed.objects.filter(name=name).exists():
        raise invalid("name", f"a feed called '{name}' exists already.", "A name no other feed has.")
    feed = Feed.objects.create(
        name=name,
        kind=kind,
        url=url,
        collection=collection,
        username=username,
        token_sealed=_seal(token),
        organisation=organisation,
        agreement=agreement,
        tlp=tlp,
        mapping=mapping,
        interval_minutes=interval_minutes,
        strict=strict,
        created_by=actor,
    )
    audit_record(actor=actor, action="feed.add", obj=feed, details={"kind": kind, "url": url, "strict": strict})
    return feed


@transaction.atomic
def feed_update(*, actor: User | None, feed: Feed, token: str | None = None, **changes: Any) -> Feed:
    """Change a feed's settings (``enabled``, ``url``, ``interval_minutes`` …); ``token`` replaces the token."""
    require(actor, Perm.PLATFORM_ADMIN)
    allowed = {"url", "collection", "username", "agreement", "tlp", "mapping", "interval_minutes", "enabled", "strict"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], "cannot be changed.", f"One of: {', '.join(sorted(allowed))}.")
    for name, value in changes.items():
        setattr(feed, name, value)
    _check(
        name=feed.name,
        kind=feed.kind,
        url=feed.url,
        collection=feed.collection,
        organisation=feed.organisation,
        agreement=feed.agreement,
        tlp=feed.tlp,
        mapping=feed.mapping,
        interval_minutes=feed.interval_minutes,
    )
    if token is not None:
        feed.token_sealed = _seal(token)
    feed.save()
    shown = {k: (v.reference if isinstance(v, Agreement) else v) for k, v in changes.items()}
    audit_record(actor=actor, action="feed.update", obj=feed, details={**shown, "token": token is not None})
    return feed


@transaction.atomic
def feed_remove(*, actor: User | None, feed: Feed) -> None:
    """Forget a feed; what it brought in stays (it belongs to its submissions)."""
    require(actor, Perm.PLATFORM_ADMIN)
    audit_record(actor=actor, action="feed.remove", obj=feed, details={"url": feed.url})
    feed.delete()


@dataclass
class PullResult:
    """What one pull did: the submissions it made, the objects they held, what the ingest
    refused and the pull skipped (a line a piece), and any error that stopped the pull."""

    feed: str
    submissions: list[int] = field(default_factory=list)
    objects: int = 0
    new: int = 0
    left_out_red: int = 0  # objects marked TLP:RED the source sent: never stored
    refused: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def left_out_note(self) -> str:
        """What the people pulling are told of RED objects the source sent ("" when none)."""
        if not self.left_out_red:
            return ""
        return f" {self.left_out_red} object(s) marked TLP:RED were left out: RED never travels between platforms."


def _claim(feed: Feed, now: datetime, due_at: datetime | None) -> bool:
    """Take the feed's lease, unless another pull holds it (and has not been holding it too
    long), or, for a pull because the feed is due, unless another worker has pulled it since."""
    free = Q(pulling_since__isnull=True) | Q(pulling_since__lt=now - LEASE)
    if due_at is not None:
        free &= Q(last_pull_at__isnull=True) | Q(last_pull_at__lte=due_at - timedelta(minutes=feed.interval_minutes))
    return bool(Feed.objects.filter(free, pk=feed.pk).update(pulling_since=now))


def feed_pull(
    *,
    actor: User | None,
    feed: Feed,
    on_progress: Callable[[str], None] | None = None,
    due_at: datetime | None = None,
) -> PullResult:
    """Pull what is new at the feed into submissions; never raises for the source's failures.

    With ``due_at`` (the worker's rounds), only if the feed is due then: workers on several
    hosts read the due feeds at once, and the one that reads it after another has pulled it
    must not pull it again."""
    require(actor, Perm.PLATFORM_ADMIN)
    now = timezone.now()
    if not _claim(feed, now, due_at):
        raise Conflict(f"Feed {feed.name} is being pulled already; try again when that pull is over.")
    feed.refresh_from_db(fields=["cursor"])  # where the last pull left it, whoever made it
    result = PullResult(feed.name)
    report = on_progress or (lambda message: None)
    source: Source | None = None
    try:
        source = SOURCES[feed.kind](
            url=feed.url,
            username=feed.username,
            token=feed_token(feed),
            collection=feed.collection,
            mapping=feed.mapping,
            limit=settings.ACCORD_MAX_SUBMISSION_BYTES,
        )
        for piece in source.pieces(feed.cursor, report):
            try:
                with piece.file:
                    submission, created = submission_create(
                        actor=None,
                        organisation=feed.organisation,
                        stream=piece.file,
                        filename=f"{feed.name}/{piece.name}"[-255:],
                        format=piece.format,
                        tlp=feed.tlp or None,
                        agreement=feed.agreement.reference if feed.agreement else None,
                        strict=feed.strict,
                    )
            except (TooLarge, ValidationFailed) as exc:
                if not _about_the_piece(exc):
                    raise
                result.refused.append(f"{piece.name}: refused whole: {exc.message}")
                _advance(feed, piece.cursor)
                continue
            if created or submission.status not in (SubmissionStatus.DONE, SubmissionStatus.FAILED):
                submission = submission_process(submission_id=submission.pk)
            result.submissions.append(submission.pk)
            refused = _refused(piece.name, submission)
            if refused:
                result.refused.append(refused)
            if submission.status == SubmissionStatus.DONE:
                result.objects += submission.accepted_count
                result.new += submission.new_count
            _advance(feed, piece.cursor, submission)
            report(f"{piece.name}: {submission.accepted_count} objects, {submission.rejected_count} refused")
    except (FeedError, ApplicationError) as exc:
        result.error = exc.message if isinstance(exc, ApplicationError) else str(exc)
    finally:
        result.left_out_red = source.left_out_red if source is not None else 0
        done = {
            "pulling_since": None,
            "last_pull_at": now,
            "last_error": result.error,
            "last_refused": "\n".join(result.refused)[:REFUSED_KEPT],
        }
        if result.ok:
            done["last_success_at"] = now
        Feed.objects.filter(pk=feed.pk).update(**done)
        for name, value in done.items():
            setattr(feed, name, value)
    audit_record(
        actor=actor,
        action="feed.pull" if result.ok else "feed.pull_failed",
        obj=feed,
        organisation=feed.organisation,
        details={
            "submissions": result.submissions,
            "objects": result.objects,
            "left_out_red": result.left_out_red,
            "refused": result.refused,
            "error": result.error,
        },
    )
    return result


REFUSED_KEPT = 10_000  # characters of the last pull's refusals kept on the feed


def _about_the_piece(exc: ApplicationError) -> bool:
    """Whether a submission was refused for the piece's bytes (empty, too large, a format no
    reader knows) rather than for the feed's settings (its agreement, its TLP): the former is
    the source's and is skipped, the latter stops the pull until an administrator acts."""
    return isinstance(exc.details, dict) and bool(exc.details) and set(exc.details) <= {"file", "format"}


def _refused(name: str, submission: Submission) -> str:
    """One line on what the ingest refused of a piece, or ``""`` when it refused nothing."""
    if submission.status == SubmissionStatus.FAILED:
        first = submission.errors[0] if submission.errors else {"where": "", "field": "", "message": ""}
        return (
            f"{name}: refused whole (submission {encode(submission.pk)}): "
            f"{first['where']}, {first['field']}: {first['message']}"
        )
    if submission.rejected_count:
        first = submission.errors[0]
        return (
            f"{name}: {submission.rejected_count} object(s) refused, the rest stored "
            f"(submission {encode(submission.pk)}); first: {first['where']}, {first['field']}: {first['message']}"
        )
    return ""


def _advance(feed: Feed, cursor: str, submission: Submission | None = None) -> None:
    """Move the feed past a piece the ingest has dealt with."""
    changes: dict[str, Any] = {"cursor": cursor}
    if submission is not None:
        changes["last_submission"] = submission
    Feed.objects.filter(pk=feed.pk).update(**changes)
    feed.cursor = cursor


def feeds_pull_due(*, now: datetime | None = None) -> list[PullResult]:
    """Pull every enabled feed whose interval has passed since its last pull (``accord worker``)."""
    now = now or timezone.now()
    feeds = Feed.objects.filter(enabled=True).select_related("organisation", "agreement")
    due = [f for f in feeds if f.last_pull_at is None or f.last_pull_at <= now - timedelta(minutes=f.interval_minutes)]
    results = []
    for feed in due:
        try:
            results.append(feed_pull(actor=None, feed=feed, due_at=now))
        except Conflict:
            continue  # another worker has it, or has just pulled it
    return results
