"""Correlation kept up to date inside every change to the store, and rebuilt in full on demand.

An observable *correlates* when live object versions of two or more organisations mention it.
That is a group-by over the object–observable link table, stored as one row per (observable,
organisation) (:class:`~accord.analysis.models.ObservableSource`) and one per observable that
two or more versions mention (:class:`~accord.analysis.models.Correlation`): linear in the
links, never a table of pairs. Each ingest batch adds its links' counts; a revocation or a purge
recounts the observables it touched. Campaigns follow (:mod:`accord.analysis.campaigns`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accord.analysis import benign, campaigns
from accord.analysis.enabled import enabled_kept, enabled_rebuild
from accord.analysis.models import (
    CampaignMember,
    Correlation,
    LinkCut,
    ObservableSource,
    ReaderCorrelation,
    ReaderCorrelationState,
)
from accord.analysis.reader_inputs import record_added, record_leaving, record_named
from accord.analysis.rewrite import TableRewrite
from accord.analysis.sightings import sightings_from_stix, sightings_link
from accord.analysis.upkeep import upkeep_turn
from accord.analysis.warninglists import index_if_built
from accord.sharing.bulk import adapt_datetime, among, by_index, chunks, insert_rows, select_in
from accord.sharing.cascade import delete_cascading
from accord.sharing.listeners import StoreListener
from accord.sharing.models import ObjectObservable, Observable, StixObject

__all__ = ["CorrelationListener", "correlation_rebuild", "recount"]

SOURCES = ObservableSource._meta.db_table
CORRELATIONS = Correlation._meta.db_table
LINKS = ObjectObservable._meta.db_table
OBJECTS = StixObject._meta.db_table
OBSERVABLES = Observable._meta.db_table
READER_ROWS = ReaderCorrelation._meta.db_table
READER_STATES = ReaderCorrelationState._meta.db_table
CUTS = LinkCut._meta.db_table

# The live versions: neither revoked nor past retention (expired ones leave with the daily purge).
LIVE = "o.revoked = %s AND (o.expires_at IS NULL OR o.expires_at > %s)"
_PROVED_FROM = 1000  # correlations deleted at once from which proving their keys by statement costs less


def live_params(now: datetime) -> list[Any]:
    return [False, adapt_datetime(now)]


class CorrelationListener(StoreListener):
    """Keeps sources, correlations and campaigns in step with the store."""

    def __init__(self) -> None:
        # per thread: the versions last told as leaving, and the campaigns they were members of
        self._leaving = threading.local()

    def objects_added(
        self,
        *,
        organisation_id: int,
        objects: Sequence[tuple[int, str]],
        links: Sequence[tuple[int, int]],
        new_observables: Collection[int],
    ) -> None:
        upkeep_turn()
        record_added([pk for pk, _ in objects])  # partners' kept rows follow from these
        sightings_link(new_observables)
        sightings = [pk for pk, kind in objects if kind == "sighting"]
        if sightings:
            sightings_from_stix(organisation_id, sightings)
        if not links:
            return
        added = Counter(observable for _, observable in links)
        # observables new to the store cannot enable a correlation: this organisation alone reported them
        with enabled_kept([observable for observable in added if observable not in new_observables]):
            totals = _add_sources(organisation_id, added, new_observables)
            changed = _upsert_correlations(totals)
        campaigns.on_links_added(
            [(obj, obs) for obj, obs in links if obs in changed.linking],
            stopped_linking=changed.stopped_linking,
        )

    def prepare(self) -> None:
        """The warning lists' networks and patterns, which the first correlation consults (when
        the index is built already: ``accord analysis warninglists`` builds it, not a server's start)."""
        warnings = index_if_built()
        if warnings is not None:
            warnings.prepare()

    def objects_leaving(self, *, objects: Collection[int], observables: Collection[int]) -> None:
        upkeep_turn()
        record_leaving(objects, observables, timezone.now())  # what partners' kept rows follow it by
        # their campaigns, read before a purge's delete takes the memberships (the turn is held:
        # no other upkeep moves them meanwhile)
        self._leaving.held = (frozenset(objects), campaigns.campaigns_of(objects))

    def visibility_changed(self, *, objects: Collection[int]) -> None:
        record_named(objects)  # what partners' kept rows follow it by

    def objects_removed(self, *, objects: Collection[int], observables: Collection[int]) -> None:
        upkeep_turn()
        noted, self._leaving.held = getattr(self._leaving, "held", None), None
        held = noted[1] if noted is not None and noted[0] == frozenset(objects) else None
        with enabled_kept(observables, only_fewer=True):
            changed = recount(observables)
        campaigns.on_objects_removed(
            objects, observables=observables, stopped_linking=changed.stopped_linking, held=held
        )


class Changed:
    """What a correlation update changed: the observables that link objects now, and those
    that linked before and no longer do."""

    def __init__(self) -> None:
        self.linking: set[int] = set()
        self.stopped_linking: set[int] = set()


def _add_sources(organisation_id: int, added: Counter[int], new: Collection[int]) -> dict[int, tuple[int, int]]:
    """Count ``added[observable]`` more versions of one organisation; (organisations, versions)
    of each observable now mentioned twice or more.

    Sources are kept only for observables that two or more live versions mention (most values
    are reported once): one created by this batch needs a row only if the batch repeats it; a
    known one without rows was mentioned once before, and its links are counted afresh.
    """
    by_observable: dict[int, dict[int, int]] = {}
    known = [observable for observable in added if observable not in new]
    for observable, organisation, count in select_in(
        f"SELECT observable_id, organisation_id, object_count FROM {SOURCES} WHERE observable_id IN ({{}})",  # noqa: S608
        (),
        known,
    ):
        by_observable.setdefault(observable, {})[organisation] = count
    fresh: list[tuple[int, int, int]] = []
    grown: list[tuple[int, int, int]] = []
    singles = {observable for observable in known if observable not in by_observable}
    for observable, organisation, count in select_in(
        f"SELECT l.observable_id, o.organisation_id, COUNT(*) FROM {LINKS} l "  # noqa: S608
        f"JOIN {OBJECTS} o ON o.id = l.stix_object_id WHERE {LIVE} AND l.observable_id IN ({{}}) "
        "GROUP BY l.observable_id, o.organisation_id",
        live_params(timezone.now()),
        sorted(singles),
    ):
        by_observable.setdefault(observable, {})[organisation] = count  # already counts this batch
    for observable in singles:
        counts = by_observable.get(observable, {})
        if sum(counts.values()) >= 2:
            fresh.extend((observable, organisation, count) for organisation, count in counts.items())
    for observable, count in added.items():
        if observable in new:
            if count >= 2:
                fresh.append((observable, organisation_id, count))
                by_observable[observable] = {organisation_id: count}
            continue
        if observable in singles:
            continue
        counts = by_observable[observable]
        if organisation_id in counts:
            grown.append((counts[organisation_id] + count, observable, organisation_id))
        else:
            fresh.append((observable, organisation_id, count))
        counts[organisation_id] = counts.get(organisation_id, 0) + count
    insert_rows(SOURCES, ("observable_id", "organisation_id", "object_count"), fresh)
    if grown:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {SOURCES} SET object_count = %s WHERE observable_id = %s AND organisation_id = %s",  # noqa: S608
                grown,
            )
    return {
        observable: (len(counts), sum(counts.values()))
        for observable, counts in by_observable.items()
        if sum(counts.values()) >= 2
    }


def _upsert_correlations(totals: dict[int, tuple[int, int]]) -> Changed:
    """Write the counts of observables that two or more versions mention (deleting the rows of
    those that fell below two); what changed for campaigns."""
    changed = Changed()
    cap = settings.ACCORD_CORRELATION_CAP
    now = timezone.now()
    stamp = adapt_datetime(now)
    known = {
        row[0]: row[1:]
        for row in select_in(
            f"SELECT observable_id, organisation_count, object_count, benign, over_correlating FROM {CORRELATIONS} "  # noqa: S608
            "WHERE observable_id IN ({})",
            (),
            list(totals),
        )
    }
    cut = campaigns.cut_observables(totals)
    updates, deletes = [], []
    for observable, (organisations, objects) in totals.items():
        if observable not in known:
            continue
        before_orgs, _, reason, was_over = known[observable]
        over = objects > cap
        was_linking = not reason and not was_over and observable not in cut
        linking = objects >= 2 and not reason and not over and observable not in cut
        if objects < 2:
            deletes.append(observable)
        else:
            updates.append((organisations, objects, over, organisations >= 2 and before_orgs < 2, stamp, observable))
        if linking:
            changed.linking.add(observable)
        elif was_linking:
            changed.stopped_linking.add(observable)
    new = [observable for observable, (_, objects) in totals.items() if observable not in known and objects >= 2]
    reasons = benign.reasons_for_ids(new)
    rows = []
    for observable in new:
        organisations, objects = totals[observable]
        reason = reasons.get(observable, "")
        over = objects > cap
        rows.append((observable, organisations, objects, reason, over, stamp if organisations >= 2 else None, stamp))
        if not reason and not over and observable not in cut:
            changed.linking.add(observable)
    insert_rows(
        CORRELATIONS,
        (
            "observable_id",
            "organisation_count",
            "object_count",
            "benign",
            "over_correlating",
            "correlated_at",
            "updated_at",
        ),
        rows,
    )
    with connection.cursor() as cursor:
        if updates:
            cursor.executemany(
                f"UPDATE {CORRELATIONS} SET organisation_count = %s, object_count = %s, over_correlating = %s, "  # noqa: S608
                "correlated_at = CASE WHEN %s THEN %s ELSE correlated_at END, updated_at = %s "
                "WHERE observable_id = %s",
                [(orgs, objs, over, crossed, stamp, stamp, pk) for orgs, objs, over, crossed, stamp, pk in updates],
            )
        for part in chunks(deletes):
            cursor.execute(
                f"DELETE FROM {CORRELATIONS} WHERE observable_id IN ({', '.join(['%s'] * len(part))})",  # noqa: S608
                part,
            )
    return changed


def recount(observables: Collection[int]) -> Changed:
    """Count again, from the link table, the sources and correlation of ``observables`` (after
    object versions were revoked or purged); what stopped linking.

    Set-based, in proportion to the observables: their sources are rewritten by one
    ``INSERT … SELECT … GROUP BY`` (an observable keeps rows only while two or more live versions
    mention it), their correlations updated from those rows by one ``UPDATE … FROM`` and deleted
    where none are left; on PostgreSQL each statement takes the observables as one array
    parameter, and the update and the reads of what stopped linking, what is left without sources
    and what is missing are one statement (:func:`_counted_together`). Correlations the counts
    find missing (none, when sources and correlations agree) are written as an ingest writes them."""
    wanted = sorted(observables)
    changed = Changed()
    if not wanted:
        return changed
    cap = settings.ACCORD_CORRELATION_CAP
    now = timezone.now()
    stamp = adapt_datetime(now)
    dying: list[int] = []
    missing: dict[int, tuple[int, int]] = {}
    with by_index(), connection.cursor() as cursor:  # by their keys: a purge batch names tens of thousands
        for among_wanted, params in among(wanted):
            cursor.execute(f"DELETE FROM {SOURCES} WHERE observable_id {among_wanted}", params)  # noqa: S608
            cursor.execute(
                f"INSERT INTO {SOURCES} (observable_id, organisation_id, object_count) "  # noqa: S608
                "SELECT observable_id, organisation_id, n FROM (SELECT l.observable_id, o.organisation_id, "
                "COUNT(*) AS n, SUM(COUNT(*)) OVER (PARTITION BY l.observable_id) AS total "
                f"FROM {LINKS} l JOIN {OBJECTS} o ON o.id = l.stix_object_id "
                f"WHERE {LIVE} AND l.observable_id {among_wanted} "
                "GROUP BY l.observable_id, o.organisation_id) counted WHERE total >= 2",
                [*live_params(now), *params],
            )
            counted = _counted_together if connection.vendor == "postgresql" else _counted_apart
            stopped, gone, absent = counted(cursor, among_wanted, params, cap, stamp)
            changed.stopped_linking.update(stopped)
            dying.extend(gone)
            missing.update(absent)
    # with the readers' kept rows naming them; the keys proved by statement for a purge's thousands
    delete_cascading(Correlation, dying, proved=len(dying) >= _PROVED_FROM)
    if missing:
        changed.linking = _upsert_correlations(missing).linking
    return changed


# Linking before (not benign, over the cap or cut), and now under two versions or over the cap.
_STOPPED = (
    "c.benign = '' AND c.over_correlating = %s AND (t.objs IS NULL OR t.objs > %s) "  # noqa: S608 - model names
    f"AND NOT EXISTS (SELECT 1 FROM {CUTS} x WHERE x.observable_id = c.observable_id)"
)
_UPDATE = (
    f"UPDATE {CORRELATIONS} SET organisation_count = t.orgs, object_count = t.objs, "  # noqa: S608
    "over_correlating = t.objs > %s, "
    "correlated_at = CASE WHEN t.orgs >= 2 AND organisation_count < 2 THEN %s ELSE correlated_at END, "
    "updated_at = %s FROM {totals} t WHERE " + CORRELATIONS + ".observable_id = t.observable_id"
)
Counted = tuple[list[int], list[int], dict[int, tuple[int, int]]]


def _totals(among_wanted: str) -> str:
    return (
        f"SELECT observable_id, COUNT(*) AS orgs, SUM(object_count) AS objs FROM {SOURCES} "  # noqa: S608
        f"WHERE observable_id {among_wanted} GROUP BY observable_id"
    )


def _counted_apart(cursor: Any, among_wanted: str, params: list[Any], cap: int, stamp: Any) -> Counted:
    """From the sources just counted, the correlations of the observables ``among_wanted``: those
    that stopped linking, those left without sources (to delete) and the counts of those missing;
    the others updated. One statement each."""
    totals = _totals(among_wanted)
    cursor.execute(
        f"SELECT c.observable_id FROM {CORRELATIONS} c LEFT JOIN ({totals}) t "  # noqa: S608
        f"ON t.observable_id = c.observable_id WHERE c.observable_id {among_wanted} AND {_STOPPED}",
        [*params, *params, False, cap],
    )
    stopped = [pk for (pk,) in cursor.fetchall()]
    cursor.execute(
        f"SELECT observable_id FROM {CORRELATIONS} c WHERE observable_id {among_wanted} "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {SOURCES} s WHERE s.observable_id = c.observable_id)",
        params,
    )
    dying = [pk for (pk,) in cursor.fetchall()]
    cursor.execute(_UPDATE.format(totals=f"({totals})"), [cap, stamp, stamp, *params])
    cursor.execute(
        f"SELECT t.observable_id, t.orgs, t.objs FROM ({totals}) t WHERE NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {CORRELATIONS} c WHERE c.observable_id = t.observable_id)",
        params,
    )
    return stopped, dying, {pk: (int(orgs), int(objs)) for pk, orgs, objs in cursor.fetchall()}


def _counted_together(cursor: Any, among_wanted: str, params: list[Any], cap: int, stamp: Any) -> Counted:
    """As :func:`_counted_apart`, in one statement (PostgreSQL): the sources' totals and the
    correlations are read once, where four statements read them six times (a purge batch's 40,000
    observables each time). The update is a data-modifying ``WITH``: the rest of the statement
    sees the correlations as they were before it, as the separate reads, made before the update or
    reading what it does not change, did."""
    cursor.execute(
        f"WITH t AS MATERIALIZED ({_totals(among_wanted)}), "  # noqa: S608
        f"c AS MATERIALIZED (SELECT observable_id, benign, over_correlating FROM {CORRELATIONS} "
        f"WHERE observable_id {among_wanted}), "
        f"updated AS ({_UPDATE.format(totals='t')}) "
        f"SELECT 's', c.observable_id, 0, 0 FROM c LEFT JOIN t ON t.observable_id = c.observable_id WHERE {_STOPPED} "
        "UNION ALL SELECT 'd', c.observable_id, 0, 0 FROM c "
        "WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.observable_id = c.observable_id) "
        "UNION ALL SELECT 'm', t.observable_id, t.orgs, t.objs FROM t "
        "WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.observable_id = t.observable_id)",
        [*params, *params, cap, stamp, stamp, False, cap],
    )
    stopped: list[int] = []
    dying: list[int] = []
    missing: dict[int, tuple[int, int]] = {}
    for kind, pk, orgs, objs in cursor.fetchall():
        if kind == "s":
            stopped.append(pk)
        elif kind == "d":
            dying.append(pk)
        else:
            missing[pk] = (int(orgs), int(objs))
    return stopped, dying, missing


def correlation_rebuild(*, progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Recompute sources, correlations, known-benign flags and campaigns from the link table.

    Runs in the caller's transaction; ``progress(step, done, total)`` is told as it goes. The
    sources, correlations and campaign members are rewritten whole, their foreign keys proved
    once per table rather than row by row (:class:`~accord.analysis.rewrite.TableRewrite`).
    """
    with TableRewrite([ObservableSource, Correlation, CampaignMember]) as rewrite:
        upkeep_turn()
        return _rebuild(rewrite, progress or (lambda step, done, total: None))


def _rebuild(rewrite: TableRewrite, report: Callable[[str, int, int], None]) -> dict[str, int]:
    now = timezone.now()
    cap = settings.ACCORD_CORRELATION_CAP
    report("sources", 0, 4)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT observable_id, correlated_at FROM {CORRELATIONS} WHERE correlated_at IS NOT NULL")  # noqa: S608
        previous = dict(cursor.fetchall())
        cursor.execute(f"SELECT o.id, o.organisation_id FROM {OBJECTS} o WHERE {LIVE}", live_params(now))  # noqa: S608
        organisation_of = dict(cursor.fetchall())
    stamp = adapt_datetime(now)
    sources: list[tuple[int, int, int]] = []
    correlations: list[tuple[Any, ...]] = []
    for observable, organisations in _mentions(organisation_of):
        by_org = Counter(organisations)
        sources.extend((observable, org, count) for org, count in by_org.items())
        if len(by_org) >= 2:
            earlier = previous.get(observable)
            correlated = stamp if earlier is None else adapt_datetime(earlier)
        else:
            correlated = None
        total = len(organisations)
        correlations.append((observable, len(by_org), total, "", total > cap, correlated, stamp))
    del organisation_of, previous
    report("correlations", 1, 4)
    with connection.cursor() as cursor:
        # a reader's kept correlations name these rows: they are computed again on its next read
        cursor.execute(f"DELETE FROM {READER_STATES}")  # noqa: S608
        cursor.execute(f"DELETE FROM {READER_ROWS}")  # noqa: S608
    columns = ("organisation_count", "object_count", "benign", "over_correlating", "correlated_at")
    held = rewrite.stage(CORRELATIONS, ("observable_id", *columns, "updated_at"), correlations)
    flagged = benign.flag_correlations(table=held)
    report("known benign", 2, 4)
    rewrite.apply(CORRELATIONS, ["observable_id"], columns, ["updated_at"])
    rewrite.stage(SOURCES, ("observable_id", "organisation_id", "object_count"), sources)
    rewrite.apply(SOURCES, ["observable_id", "organisation_id"], ["object_count"])
    enabled_rebuild()
    report("campaigns", 3, 4)
    made = campaigns.campaigns_rebuild(rewrite)
    report("done", 4, 4)
    return {
        "sources": len(sources),
        "correlations": sum(1 for row in correlations if row[1] >= 2),
        "known_benign": flagged,
        "over_correlating": sum(1 for row in correlations if row[4]),
        "campaigns": made,
    }


def _mentions(organisation_of: dict[int, int]) -> Iterator[tuple[int, list[int]]]:
    """Each observable that two or more live versions mention, with their organisations (one
    per version): one pass over the link table in observable order (its (observable, object)
    index); most observables have one live version and cost a dictionary lookup."""
    organisation = organisation_of.get
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT observable_id, stix_object_id FROM {LINKS} ORDER BY observable_id")  # noqa: S608
        current: int | None = None
        found: list[int] = []
        while rows := cursor.fetchmany(50000):
            for observable, obj in rows:
                if observable != current:
                    if len(found) >= 2:
                        yield current, found  # type: ignore[misc]
                    current = observable
                    found = []
                org = organisation(obj)
                if org is not None:
                    found.append(org)
        if len(found) >= 2:
            yield current, found  # type: ignore[misc]
