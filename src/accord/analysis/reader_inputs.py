"""What a partner's kept rows (its campaigns and correlations) are computed from, and what changed
since they were.

A reader's rows are derived from the object versions it sees and how they link, so they change
when the store does. Most changes name the versions or values they concern: batches added,
versions revoked or restored, retentions ending or made longer, the daily purge, objects
addressed to more organisations or sent in a report, an analyst's bridge between campaigns, and
values that link otherwise (a local exclusion list changed, an analyst's cut). The rows are then
brought up to date from the versions and values concerned alone
(:mod:`accord.analysis.reader_campaigns`, :mod:`accord.analysis.reader_correlations`). What
changes what whole organisations see (an organisation's or an agreement's change, an agreement's
window opening or ending) computes them again from everything. What tells which:

- ``inputs``: a digest of what no change records (organisations, agreements and their windows,
  the other changes that made versions visible to organisations or hid them, who reads), read
  in one query of aggregates, each by index, so that a read that computes nothing costs no scan;
- ``added_through``: the last :class:`~accord.analysis.models.StoreChange`. Each batch records
  the range of its versions' ids; each revocation, each change of who may see named versions,
  each bridge its versions; each purge batch the partners' campaigns holding its versions and
  the values they mention (their member rows and links leave with them); each reflagging of
  known-benign values and each cut the values. All in the upkeep turn, held until commit, so the
  changes' ids follow the order they committed in, while object ids do not (two batches insert
  side by side on PostgreSQL, and the one with the lower ids may commit last);
- ``objects_through``: the highest object version id, so that versions added by any other way
  are never taken as known;
- the moment the rows were computed at: the versions whose retention ended since are found by
  the index on ``expires_at`` (a retention only moves later, and then as a named change).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, connection

from accord.analysis.models import ReaderCampaignMember, ReaderInputs, StoreChange
from accord.analysis.upkeep import upkeep_turn
from accord.core.models import Organisation, User
from accord.partners.models import Agreement, AgreementVersion
from accord.policy import PrincipalContext
from accord.sharing.bulk import adapt_datetime, chunks, mentioned_by, select_in
from accord.sharing.models import ObjectObservable, StixObject, VisibilityChange

__all__ = [
    "Changes",
    "Inputs",
    "changes_since",
    "moment",
    "observables_of",
    "reader_inputs",
    "record_added",
    "record_leaving",
    "record_named",
    "record_reflagged",
    "retried_if_deleted",
    "store_facts",
    "within",
]

# Changes kept: a reader further behind than this computes its rows again in full.
KEPT = 10_000
# Versions added or expired since, from which computing a reader's rows again in full costs
# less than following the changes.
CHANGED_LIMIT = 100_000
# Versions deleted at once past their retention up to which the change records what readers
# follow it by (the campaigns they leave, one indexed read, and the values they mention, the
# purge's own: about 0.1 s for 20,000 versions at a million objects); more are recorded as a
# removal. A day's purge at ten million objects kept two years is about 14,000 versions; a large
# purge's full batches (20,000, ``sharing.services.objects.PURGE_BATCH``) are past it, as readers
# would compute everything again.
PURGE_FOLLOWED = 15_000

# What no store change records: organisations, agreements and their windows (two parameters:
# the moment), the other visibility changes.
_STORE_FACTS = """
    (SELECT COUNT(*) FROM {orgs}), (SELECT MAX(updated_at) FROM {orgs}),
    (SELECT COUNT(*) FROM {agreements}), (SELECT MAX(updated_at) FROM {agreements}),
    (SELECT COUNT(*) FROM {versions} WHERE valid_from <= %s), (SELECT COUNT(*) FROM {versions} WHERE valid_until <= %s),
    (SELECT COUNT(*) FROM {visibility} WHERE kind = 'other'), (SELECT MAX(id) FROM {visibility} WHERE kind = 'other')"""
_FACTS = (
    "SELECT"  # noqa: S608 - the tables' names, from the models
    + _STORE_FACTS
    + """,
    (SELECT MAX(id) FROM {changes}), (SELECT MAX(id) FROM {objects}),
    (SELECT COUNT(*) FROM {objects} WHERE expires_at > (SELECT refreshed_at FROM {state} WHERE reader_id = %s)
        AND expires_at <= %s),
    (SELECT inputs FROM {state} WHERE reader_id = %s),
    (SELECT added_through FROM {state} WHERE reader_id = %s),
    (SELECT objects_through FROM {state} WHERE reader_id = %s),
    (SELECT refreshed_at FROM {state} WHERE reader_id = %s)"""
)
_TABLES = {
    "objects": StixObject._meta.db_table,
    "orgs": Organisation._meta.db_table,
    "agreements": Agreement._meta.db_table,
    "versions": AgreementVersion._meta.db_table,
    "visibility": VisibilityChange._meta.db_table,
    "changes": StoreChange._meta.db_table,
}


@dataclass(frozen=True)
class Inputs:
    """The store as far as one reader's rows go, at ``at`` (see the module's docstring)."""

    inputs: str
    added_through: int
    objects_through: int
    at: datetime = field(compare=False)

    def keep(self, state: ReaderInputs) -> None:
        """Record in ``state`` that its rows are computed from these inputs."""
        state.inputs, state.added_through, state.objects_through = self.inputs, self.added_through, self.objects_through
        state.refreshed_at = self.at

    def of(self, state: ReaderInputs) -> bool:
        """Whether ``state``'s rows are computed from these inputs (as of any moment: versions
        whose retention ended since are followed from then)."""
        return (state.inputs, state.added_through, state.objects_through) == (
            self.inputs,
            self.added_through,
            self.objects_through,
        )


@dataclass(frozen=True)
class Changes:
    """What changed for a reader's rows since they were computed, when it was only versions
    added or restored (the ranges of their ids), versions whose retention ended or that were
    revoked (their ids), versions past their retention deleted (the campaigns that held
    them, of any reader, and the values they mentioned), versions named by a change of who may
    see them or by a bridge (their ids: each is taken as both added and left, so whatever the
    change did to it is followed), and values a local exclusion list named benign or no longer
    did, or that an analyst cut."""

    added: list[tuple[int, int]]
    left: list[int]  # expired, revoked or named
    purged_campaigns: list[int] = field(default_factory=list)
    purged_observables: list[int] = field(default_factory=list)
    reflagged: list[int] = field(default_factory=list)  # values named benign, or no longer, or cut
    named: list[int] = field(default_factory=list)
    purged: bool = False  # whether a purge is among the changes


def reader_inputs(
    principal: User, ctx: PrincipalContext, state: type[ReaderInputs]
) -> tuple[Inputs, Inputs | None, bool]:
    """The inputs of ``principal``'s rows now (who asks: their organisation, role, agreement and
    the correlation cap; and the store's facts), those its rows kept in ``state`` were computed
    from (``None`` before its first read), and whether versions' retention ended since: one query."""
    now = adapt_datetime(ctx.now)
    sql = _FACTS.format(**_TABLES, state=state._meta.db_table)
    reader = principal.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, reader, now, reader, reader, reader, reader])
        *facts, added_through, objects_through, expired, inputs, last_added, last_objects, last_at = cursor.fetchone()
    terms = ctx.terms.pk if ctx.terms is not None else None
    who = [principal.pk, ctx.organisation_id, ctx.role, ctx.eligible, terms, settings.ACCORD_CORRELATION_CAP]
    digest = hashlib.sha256(orjson.dumps([who, facts], default=str)).hexdigest()
    last = None if inputs is None else Inputs(inputs, last_added, last_objects, moment(last_at) or ctx.now)
    return Inputs(digest, added_through or 0, objects_through or 0, ctx.now), last, bool(expired)


Refresh = Callable[[User, PrincipalContext], str]


def retried_if_deleted(refresh: Refresh) -> Refresh:
    """``refresh`` run once more if its rows could not be written because a version or a
    correlation they name was deleted after they were computed (the purge, within the same
    seconds: the foreign key refuses them at commit); the second run reads the store as it is.
    Within an outer transaction, which the refusal spoils, the error is raised as it is."""

    @functools.wraps(refresh)
    def once_more(principal: User, ctx: PrincipalContext) -> str:
        try:
            return refresh(principal, ctx)
        except IntegrityError:
            if connection.in_atomic_block:
                raise
            return refresh(principal, ctx)

    return once_more


def store_facts(at: datetime) -> str:
    """A digest of the store's facts that no change records, at ``at``: when it moves, readers'
    rows are computed again from everything on their next read (one query)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT" + _STORE_FACTS.format(**_TABLES), [adapt_datetime(at)] * 2)
        facts = cursor.fetchone()
    return hashlib.sha256(orjson.dumps(list(facts), default=str)).hexdigest()


def moment(value: Any) -> datetime | None:
    """A timestamp read raw, aware in UTC whichever database returned it."""
    if value is None:
        return None
    stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def changes_since(last: Inputs | None, now: Inputs) -> Changes | None:
    """What changed since the rows computed from ``last``, when it was only the store's changes
    that name what they concern (every version above the highest then within a batch's range or
    named) and versions whose retention ended, fewer than ``CHANGED_LIMIT`` versions and values
    in all; otherwise ``None``: the rows are computed again in full."""
    if last is None or last.inputs != now.inputs or now.added_through < last.added_through or now.at < last.at:
        return None
    recorded = list(
        StoreChange.objects.filter(pk__gte=last.added_through, pk__lte=now.added_through)
        .order_by("pk")
        .values_list("pk", "kind", "first_object", "last_object", "campaigns", "observables", "versions")
    )
    if last.added_through:  # the change the rows include is still kept, so are all since
        if not recorded or recorded[0][0] != last.added_through:
            return None  # let go (KEPT): which changes came since is unknown
        recorded = recorded[1:]
    elif now.added_through > KEPT:
        return None  # none was recorded then; some of those since may have been let go
    kinds = StoreChange.Kind
    followed = (kinds.ADDED, kinds.PURGED, kinds.REVOKED, kinds.REFLAGGED, kinds.NAMED)
    if any(kind not in followed for _, kind, *_ in recorded):
        return None  # too many versions to follow (a removal)
    reflagged_at = [change for change in recorded if change[1] == kinds.REFLAGGED]
    if any(change[5] is None for change in reflagged_at):
        return None  # too many values to follow
    added = [change for change in recorded if change[1] == kinds.ADDED]
    purged = [change for change in recorded if change[1] == kinds.PURGED]
    revoked = {pk for change in recorded if change[1] == kinds.REVOKED for pk in change[6] or ()}
    named = sorted({pk for change in recorded if change[1] == kinds.NAMED for pk in change[6] or ()})
    ranges = [(first or 0, top or 0) for _, _, first, top, *_ in added]  # an addition's are always set
    if now.objects_through > max([last.objects_through, *(top for _, top in ranges), *named]):
        return None  # versions came some other way (ids are never given twice: lower when the highest left)
    expired = StixObject.objects.filter(expires_at__gt=last.at, expires_at__lte=now.at).values_list("pk", flat=True)
    left = sorted(revoked.union(expired[: CHANGED_LIMIT + 1], named))
    campaigns = sorted({pk for *_, held, _, _ in purged for pk in held or ()})
    observables = sorted({pk for *_, mentioned, _ in purged for pk in mentioned or ()})
    reflagged = sorted({pk for *_, values, _ in reflagged_at for pk in values or ()})
    if sum(top - first + 1 for first, top in ranges) + len(left) + len(observables) + len(reflagged) > CHANGED_LIMIT:
        return None
    ranges.extend((pk, pk) for pk in named)
    return Changes(ranges, left, campaigns, observables, reflagged, named, bool(purged))


def observables_of(changes: Changes) -> list[int]:
    """The observables the versions added or that left mention (by the link table's index): one
    query per hundred ranges, those that overlap or touch taken as one, and per chunk of ids."""
    merged: list[list[int]] = []
    for first, last in sorted(changes.added):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    links = ObjectObservable._meta.db_table
    found: set[int] = set()
    with connection.cursor() as cursor:
        for part in chunks(merged, 100):
            between = " OR ".join(["stix_object_id BETWEEN %s AND %s"] * len(part))
            cursor.execute(
                f"SELECT DISTINCT observable_id FROM {links} WHERE {between}",  # noqa: S608
                [bound for pair in part for bound in pair],
            )
            found.update(pk for (pk,) in cursor.fetchall())
    found.update(mentioned_by(set(changes.left).difference(changes.named)))  # the named: one range each
    found.update(changes.purged_observables)
    found.update(changes.reflagged)
    return sorted(found)


def within(ranges: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Whether a version id is in one of ``ranges`` (by bisection: a change naming versions
    makes one range of each)."""
    ordered = sorted(ranges)
    firsts = [first for first, _ in ordered]
    reach = list(itertools.accumulate((last for _, last in ordered), max))  # the highest end so far

    def inside(pk: int) -> bool:
        at = bisect.bisect_right(firsts, pk) - 1
        return at >= 0 and reach[at] >= pk

    return inside


def _record(kind: str, **facts: Any) -> None:
    """One change, in the upkeep turn (taken here if the caller has not), letting go of those
    more than ``KEPT`` changes old."""
    upkeep_turn()
    change = StoreChange.objects.create(kind=kind, **facts)
    StoreChange.objects.filter(pk__lte=change.pk - KEPT).delete()


def record_added(objects: Collection[int]) -> None:
    """An ingest batch added the object versions ``objects``."""
    if objects:
        _record(StoreChange.Kind.ADDED, first_object=min(objects), last_object=max(objects))


def record_leaving(objects: Collection[int], observables: Collection[int], now: datetime) -> None:
    """The versions ``objects`` (which mention ``observables``) are about to leave the store,
    recorded so that readers follow it (:func:`changes_since`) unless there are too many.
    Revoked: their ids (they stay stored, with their links and readers' member rows). Deleted
    past their retention (every one expired by ``now``): the partners' campaigns that hold them
    and the values they mention, which the deletion takes away."""
    if not objects:
        return
    ids = sorted(objects)
    if len(ids) > PURGE_FOLLOWED:
        _record(StoreChange.Kind.REMOVED)
        return
    objects_table = StixObject._meta.db_table
    live = f"SELECT id FROM {objects_table} WHERE (expires_at IS NULL OR expires_at > %s) AND id IN ({{}})"  # noqa: S608
    if next(select_in(live, [adapt_datetime(now)], ids), None) is not None:
        _record(StoreChange.Kind.REVOKED, versions=ids)
        return
    held = f"SELECT DISTINCT campaign_id FROM {ReaderCampaignMember._meta.db_table} WHERE stix_object_id IN ({{}})"  # noqa: S608
    campaigns = sorted({pk for (pk,) in select_in(held, (), ids)})
    _record(StoreChange.Kind.PURGED, campaigns=campaigns, observables=sorted(observables))


def record_named(objects: Collection[int]) -> None:
    """Readers may see the stored versions ``objects`` now, or no longer (addressed to more
    organisations, kept longer, sent in a report), or an analyst's bridge joined them: recorded
    with them, so that readers follow it, unless too many."""
    found = sorted(set(objects))
    if len(found) > PURGE_FOLLOWED:
        _record(StoreChange.Kind.REMOVED)
    elif found:
        _record(StoreChange.Kind.NAMED, versions=found)


def record_reflagged(observables: Collection[int]) -> None:
    """Known-benign flags of the correlations of ``observables`` were set again (a local
    exclusion list changed), or an analyst cut them: recorded with them, so that readers follow
    it, unless too many."""
    found = sorted(observables)
    _record(StoreChange.Kind.REFLAGGED, observables=found if len(found) <= PURGE_FOLLOWED else None)
