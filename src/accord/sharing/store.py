"""Writing a submission's objects to the store as they are read, in batches, inside the one
transaction the ingest service opens for it, and what it refused (:class:`RefusalLog`).

Memory stays flat however large the submission: only the current batch is held. The
transaction is the caller's, so an error or a kill at any point still leaves nothing. Keys are
handed out before the rows are written, so links are written without reading objects back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accord.formats.base import ParsedObject, ReadError
from accord.formats.markings import TLP_BY_MARKING, granular_tlps, marking_refs
from accord.formats.stix import is_cyber_observable
from accord.sharing.bulk import GrowthStatistics, IdAllocator, adapt_datetime, chunks, insert_rows, select_in
from accord.sharing.listeners import notify_added
from accord.sharing.models import ObjectMarking, ObjectObservable, Observable, Refusal, StixObject, Submission
from accord.sharing.sent import sent_form

__all__ = ["MAX_ERRORS", "BatchWriter", "RefusalLog", "Row", "id_in_use", "row_of"]


_OBJECT_COLUMNS = (
    "id",
    "stix_id",
    "created",
    "modified",
    "type",
    "spec_version",
    "body",
    "tlp",
    "data_category",
    "crime_type",
    "credibility",
    "subject_category",
    "nature",
    "granular_tlps",
    "sent_form",
    "organisation_id",
    "agreement_id",
    "submission_id",
    "reliability",
    "purpose",
    "expires_at",
    "revoked",
    "added_at",
)
_OBJECTS = StixObject._meta.db_table
_OBSERVABLES = Observable._meta.db_table
_LINKS = ObjectObservable._meta.db_table
_MARKING_LINKS = ObjectMarking._meta.db_table

Pair = tuple[str, str]
FIRST_BATCH = 1000
MAX_ERRORS = 100  # refusals a submission keeps in ``errors``; every one is a Refusal row
_REFUSALS = Refusal._meta.db_table


def id_in_use(stix_id: str) -> str:
    """Why an object whose id another organisation's object has is refused. One text whoever
    holds the id and whether the sender may see that object: it names no one and says nothing
    the sender does not know already (it chose or was given the id, and it is not its own)."""
    return (
        f"{stix_id} is already in use; choose another id (STIX 2.1 §3.6: only the creator of an object "
        "adds versions of it; to build on it, share your own object related to it by derived-from)"
    )


# One object ready to be written, built where the submission is read (:func:`row_of`) so that
# the writer only writes: its version key (STIX id, ``modified`` as the database takes it), its
# columns (``_OBJECT_COLUMNS`` from ``stix_id`` to ``sent_form``), the observables it mentions,
# each with the facts its normaliser derived as JSON text, for an object that has versions (not
# a cyber-observable) where it is in the submission, and the marking definitions other than TLP
# it refers to. A plain tuple: rows cross a pipe from the reading process, and plain tuples are
# the cheapest to rebuild there.
Row = tuple[tuple[str, Any], tuple[Any, ...], tuple[tuple[Pair, str], ...], str, tuple[str, ...]]


def row_of(item: ParsedObject, now: datetime, marking: str) -> Row:
    """The row of an object read and accepted (``x_accord_data_category`` already set);
    ``marking`` is the TLP for an object that carries none.

    A cyber-observable is versioned at ``now``, when the submission was received, whatever
    stamps it carries (STIX 2.1 gives it none): its id comes from its value, which anyone may
    compute, so neither its id nor a stamp the sender chose may meet another organisation's
    version, which would tell the sender that someone holds that value."""
    stix = item.stix
    observable = is_cyber_observable(stix)
    if observable:
        modified = adapt_datetime(now)
        created = None
    else:
        modified = adapt_datetime(_stamp(stix.get("modified")) or _stamp(stix.get("created")) or now)
        created = _stamp(stix.get("created")) if stix.get("created") != stix.get("modified") else None
    labels = stix.get("labels")
    declared = stix.get("x_accord_crime_type")
    crime = declared if isinstance(declared, str) else (labels[0] if isinstance(labels, list) and labels else "")
    marked = "object_marking_refs" in stix or "granular_markings" in stix
    refs = tuple(ref for ref in marking_refs(stix) if ref not in TLP_BY_MARKING) if marked else ()
    granular = ",".join(sorted(granular_tlps(stix))) if "granular_markings" in stix else ""
    return (
        (stix["id"], modified),
        (
            stix["id"],
            adapt_datetime(created) if created else modified,
            modified,
            stix["type"],
            stix.get("spec_version", "2.1"),
            orjson.dumps(stix).decode(),
            item.tlp or marking,
            stix["x_accord_data_category"],
            str(crime).strip().lower()[:64],
            stix.get("x_accord_credibility"),
            stix.get("x_accord_data_subject", ""),
            stix.get("x_accord_nature", ""),
            granular,
            int(sent_form(stix, item.tlp or marking)),
        ),
        tuple({(m.type, m.value): orjson.dumps(m.extra).decode() if m.extra else "{}" for m in item.mentions}.items()),
        "" if observable else item.where,
        refs,
    )


class RefusalLog:
    """Every part of a submission the ingest refuses, whatever refused it (the reader, the
    agreement, the store), written as :class:`~accord.sharing.models.Refusal` rows a batch at a
    time inside the ingest's transaction, so they commit or roll back with the objects. Counts
    every refusal; keeps the first ``MAX_ERRORS`` in memory for the submission's ``errors``
    (and for a submission that fails, whose transaction takes the rows with it)."""

    BATCH = 5000

    def __init__(self, submission: Submission) -> None:
        self.submission_id = submission.pk
        self.count = 0
        self.first: list[ReadError] = []
        self.pending: list[tuple[int, int, str, str, str]] = []

    def add(self, error: ReadError) -> None:
        self.count += 1
        if len(self.first) < MAX_ERRORS:
            self.first.append(error)
        self.pending.append((self.submission_id, self.count, error.where[:500], error.field[:200], error.message))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the refusals not written yet."""
        rows, self.pending = self.pending, []
        if rows:
            insert_rows(_REFUSALS, ("submission_id", "number", "where", "field", "message"), rows)


class BatchWriter:
    """Takes rows one by one and writes them a batch at a time.

    A version already stored (same ``id`` and ``modified``) is not written again, whoever sent
    it; a later version of the organisation's own object is an update. Only the organisation
    that created an object may add versions of it (STIX 2.1 §3.6: another producer makes a new
    object, ``derived-from`` it): such a version is refused alone, with where it is in the
    submission (into ``refusals``, beside the reader's), and the rest is written. Its message is
    the same whoever holds the id and whether the sender may see that object, and names no one:
    the sender learns only that the id is taken. Cyber-observables have no versions: their ids
    come from their values, and any organisation may share them. Every observable mentioned by
    what is written gets its ``last_seen`` moved to now, and new ones are created.
    """

    def __init__(self, submission: Submission, *, retention_days: int, purpose: str, refusals: RefusalLog) -> None:
        self.submission = submission
        self.size = settings.ACCORD_INGEST_BATCH
        # The first batches are smaller, so that writing starts as soon as the reading process
        # has a little ready instead of idling until a whole batch is read.
        self.limit = min(FIRST_BATCH, self.size)
        self.now = timezone.now()
        self.stamp = adapt_datetime(self.now)
        self.fixed = (
            submission.organisation_id,
            submission.agreement_id,
            submission.pk,
            submission.organisation.reliability,
            purpose,
            adapt_datetime(self.now + timedelta(days=retention_days)),
            False,
            self.stamp,
        )
        self.pending: list[Row] = []
        self.refusals = refusals
        self.new = self.updated = 0
        self.object_ids = IdAllocator(_OBJECTS)
        self.observable_ids = IdAllocator(_OBSERVABLES)
        self.statistics = GrowthStatistics((_OBJECTS, _OBSERVABLES, _LINKS))

    def add(self, row: Row) -> None:
        """Take a row, writing the pending batch when it is full."""
        self.pending.append(row)
        if len(self.pending) >= self.limit:
            self.limit = min(2 * self.limit, self.size)
            self.flush()

    def counts(self) -> dict[str, int]:
        """What was written, once everything is: observables mentioned, new and updated objects."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(DISTINCT l.observable_id) FROM {_LINKS} l "  # noqa: S608 - table names
                f"JOIN {_OBJECTS} o ON o.id = l.stix_object_id WHERE o.submission_id = %s",
                [self.submission.pk],
            )
            observables = cursor.fetchone()[0]
        return {"observables_count": observables, "new_count": self.new, "updated_count": self.updated}

    def flush(self) -> None:
        """Write the pending rows but those refused (versions of other organisations' objects)."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        fresh, refused = self._fresh(batch)
        if refused:
            for _, error in refused:
                self.refusals.add(error)
            keys = {key for key, _ in refused}
            batch = [row for row in batch if row[0] not in keys]
        ids = self.object_ids.take(len(fresh))
        insert_rows(_OBJECTS, _OBJECT_COLUMNS, list(self._object_rows(ids, fresh)), json_columns=("body",))
        self.statistics.grew(_OBJECTS, len(ids))
        facts = dict(mention for _, _, mentions, _, _ in batch for mention in mentions)
        observable_ids, created = self._observables(facts)
        mentioned = zip(ids, (mentions for _, _, mentions, _, _ in fresh), strict=True)
        links = list(dict.fromkeys((pk, observable_ids[pair]) for pk, mentions in mentioned for pair, _ in mentions))
        insert_rows(_LINKS, ("stix_object_id", "observable_id"), links)
        self.statistics.grew(_LINKS, len(links))
        marked = [(pk, ref) for pk, row in zip(ids, fresh, strict=True) for ref in row[4]]
        if marked:
            insert_rows(_MARKING_LINKS, ("stix_object_id", "marking_ref"), marked)
        notify_added(
            organisation_id=self.submission.organisation_id,
            objects=[(pk, columns[3]) for pk, (_, columns, _, _, _) in zip(ids, fresh, strict=True)],
            links=links,
            new_observables=created,
        )

    def _fresh(self, batch: list[Row]) -> tuple[list[Row], list[tuple[tuple[str, Any], ReadError]]]:
        """The batch's versions to write: not stored yet (the first of repeats) and not refused,
        counting new and updated against the organisation's own objects only (the counts say
        nothing of others'); and the refusals, by version key, of new versions of objects another
        organisation created."""
        versions: dict[tuple[str, Any], Row] = {}
        for row in batch:
            versions.setdefault(row[0], row)
        stored: set[tuple[str, Any]] = set()
        known_before: set[str] = set()
        others: set[str] = set()
        mine = self.submission.organisation_id
        for stix_id, modified, submission_id, organisation_id in select_in(
            f"SELECT stix_id, modified, submission_id, organisation_id FROM {_OBJECTS} WHERE stix_id IN ({{}})",  # noqa: S608
            (),
            sorted({stix_id for stix_id, _ in versions}),
        ):
            stored.add((stix_id, adapt_datetime(_utc(modified))))
            if organisation_id != mine:
                others.add(stix_id)
            elif submission_id != self.submission.pk:
                known_before.add(stix_id)
        fresh: list[Row] = []
        refused: list[tuple[tuple[str, Any], ReadError]] = []
        for key, row in versions.items():
            if key in stored:
                continue
            if row[3] and key[0] in others:
                refused.append((key, ReadError(row[3], "id", id_in_use(key[0]))))
            else:
                fresh.append(row)
        updated = sum(1 for (stix_id, _), _, _, _, _ in fresh if stix_id in known_before)
        self.updated += updated
        self.new += len(fresh) - updated
        return fresh, refused

    def _object_rows(self, ids: list[int], fresh: list[Row]) -> Iterable[tuple[Any, ...]]:
        return ((pk, *columns, *self.fixed) for pk, (_, columns, _, _, _) in zip(ids, fresh, strict=True))

    def _observables(self, facts: dict[Pair, str]) -> tuple[dict[Pair, int], set[int]]:
        """Ids of every (type, value), creating the new ones and touching ``last_seen`` of the
        known; and the ids of those this batch created."""
        by_type: dict[str, list[str]] = {}
        for kind, value in facts:
            by_type.setdefault(kind, []).append(value)
        found: dict[Pair, int] = {}
        stale: list[int] = []
        now = _utc(self.now)
        for kind, values in by_type.items():
            for value, pk, last_seen in _lookup(kind, values):
                found[kind, value] = pk
                if _utc(last_seen) != now:
                    stale.append(pk)
        with connection.cursor() as cursor:
            for pks in chunks(stale):
                cursor.execute(
                    f"UPDATE {_OBSERVABLES} SET last_seen = %s WHERE id IN ({', '.join(['%s'] * len(pks))})",  # noqa: S608
                    [self.stamp, *pks],
                )
        missing = [pair for pair in facts if pair not in found]
        ids = self.observable_ids.take(len(missing))
        written = insert_rows(
            _OBSERVABLES,
            ("id", "type", "value", "extra", "first_seen", "last_seen"),
            ((pk, *pair, facts[pair], self.stamp, self.stamp) for pk, pair in zip(ids, missing, strict=True)),
            json_columns=("extra",),
            ignore_conflicts=True,
        )
        self.statistics.grew(_OBSERVABLES, written)
        if written == len(missing):
            found.update(zip(missing, ids, strict=True))
            return found, set(ids)
        # another ingest created some of them meanwhile (PostgreSQL): read every id back
        for kind in {kind for kind, _ in missing}:
            for value, pk, _ in _lookup(kind, [value for k, value in missing if k == kind]):
                found[kind, value] = pk
        return found, set()


def _lookup(kind: str, values: list[str]) -> Iterable[tuple[str, int, Any]]:
    """(value, id, last_seen) of the stored observables of one type among ``values``."""
    return select_in(
        f"SELECT value, id, last_seen FROM {_OBSERVABLES} WHERE type = %s AND value IN ({{}})",  # noqa: S608
        (kind,),
        values,
    )


def _utc(value: datetime) -> datetime:
    """A datetime in UTC, comparable whichever database returned it (SQLite gives naive UTC,
    PostgreSQL aware)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _stamp(value: Any) -> datetime | None:
    return _parse_stamp(value) if isinstance(value, str) else None


@lru_cache(maxsize=8192)  # the objects of one bundle share a few stamps
def _parse_stamp(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
