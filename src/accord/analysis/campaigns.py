"""Campaigns: connected components of object versions linked by observables that may link.

Two live versions are linked when both mention an observable that is neither known benign,
nor over-correlating, nor cut by an analyst (see :class:`~accord.analysis.models.Correlation`),
or when an analyst bridged them (a merge). A component becomes a campaign once it holds two or
more distinct STIX objects (the versions of one object alone are no campaign).

Maintained incrementally: new links grow and merge campaigns (the largest, or the one an analyst
named, absorbs the others); removals and observables that stop linking re-examine only the
campaigns they touched, which may split. :func:`campaigns_rebuild` recomputes everything from the
link table, keeping each campaign's identity where most of its members stay together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accord.analysis.campaign_summaries import campaigns_grow, campaigns_refresh, campaigns_summarise
from accord.analysis.models import Campaign, CampaignBridge, CampaignMember, CampaignNote, Correlation, LinkCut
from accord.analysis.rewrite import TableRewrite
from accord.analysis.signals import campaigns_merged
from accord.analysis.upkeep import upkeep_turn
from accord.core.models import Organisation
from accord.sharing.bulk import IdAllocator, adapt_datetime, among, by_index, insert_rows, select_in
from accord.sharing.cascade import delete_cascading
from accord.sharing.models import ObjectObservable, StixObject
from accord.taxii.services import collection_members_watch

__all__ = [
    "UnionFind",
    "campaign_ids_problem",
    "campaign_objects",
    "campaigns_of",
    "campaigns_recheck",
    "campaigns_rebuild",
    "campaigns_refresh",
    "cut_observables",
    "on_links_added",
    "on_objects_removed",
]

LINKS = ObjectObservable._meta.db_table
OBJECTS = StixObject._meta.db_table
MEMBERS = CampaignMember._meta.db_table
CAMPAIGNS = Campaign._meta.db_table
CORRELATIONS = Correlation._meta.db_table
CUTS = LinkCut._meta.db_table
BRIDGES = CampaignBridge._meta.db_table
ORGANISATIONS = Organisation._meta.db_table

_LIVE = "o.revoked = %s AND (o.expires_at IS NULL OR o.expires_at > %s)"
_LINKING = f"c.benign = '' AND c.over_correlating = %s AND c.observable_id NOT IN (SELECT observable_id FROM {CUTS})"  # noqa: S608, E501


def _live_params() -> list[Any]:
    return [False, adapt_datetime(timezone.now())]


def _linking_params() -> list[Any]:
    return [False]


class UnionFind:
    """Disjoint sets over integer nodes (path halving, union by size)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.size: dict[int, int] = {}

    def find(self, node: int) -> int:
        parent = self.parent
        if node not in parent:
            parent[node] = node
            self.size[node] = 1
            return node
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for node in self.parent:
            out.setdefault(self.find(node), []).append(node)
        return out


def cut_observables(observables: Iterable[int]) -> set[int]:
    """Those of ``observables`` an analyst cut."""
    sql = f"SELECT observable_id FROM {CUTS} WHERE observable_id IN ({{}})"  # noqa: S608
    return {row[0] for row in select_in(sql, (), list(observables))}


def _objects_of(observables: Collection[int]) -> dict[int, list[tuple[int, str]]]:
    """The live versions (id, STIX id) mentioning each observable."""
    found: dict[int, list[tuple[int, str]]] = {}
    for observable, obj, stix_id in select_in(
        f"SELECT l.observable_id, l.stix_object_id, o.stix_id FROM {LINKS} l "  # noqa: S608
        f"JOIN {OBJECTS} o ON o.id = l.stix_object_id WHERE {_LIVE} AND l.observable_id IN ({{}})",
        _live_params(),
        sorted(observables),
    ):
        found.setdefault(observable, []).append((obj, stix_id))
    return found


def _linking_of(objects: Collection[int]) -> dict[int, list[int]]:
    """The linking observables each of ``objects`` mentions."""
    found: dict[int, list[int]] = {}
    for obj, observable in select_in(
        f"SELECT l.stix_object_id, l.observable_id FROM {LINKS} l "  # noqa: S608
        f"JOIN {CORRELATIONS} c ON c.observable_id = l.observable_id WHERE {_LINKING} AND l.stix_object_id IN ({{}})",
        _linking_params(),
        sorted(objects),
    ):
        found.setdefault(obj, []).append(observable)
    return found


def _bridges_of(objects: Collection[int]) -> list[tuple[int, int]]:
    """The analysts' bridges with an end among ``objects`` (plain SQL: the ORM's compiling of an
    ``IN`` list of thousands cost more than the query, on every ingest batch)."""
    wanted = sorted(objects)
    if not wanted:
        return []
    pairs: set[tuple[int, int]] = set()
    for end in ("object_a_id", "object_b_id"):
        sql = f"SELECT object_a_id, object_b_id FROM {BRIDGES} WHERE {end} IN ({{}})"  # noqa: S608
        pairs.update((a, b) for a, b in select_in(sql, (), wanted))
    return sorted(pairs)


def _membership(objects: Collection[int]) -> dict[int, int]:
    return dict(
        select_in(
            f"SELECT stix_object_id, campaign_id FROM {MEMBERS} WHERE stix_object_id IN ({{}})",  # noqa: S608
            (),
            sorted(objects),
        )
    )


def _stix_ids(objects: Collection[int], *, live: bool = False) -> dict[int, str]:
    """The STIX ids of ``objects`` (of those live only, with ``live``)."""
    if live:
        sql = f"SELECT o.id, o.stix_id FROM {OBJECTS} o WHERE {_LIVE} AND o.id IN ({{}})"  # noqa: S608
        return dict(select_in(sql, _live_params(), sorted(objects)))
    return dict(select_in(f"SELECT id, stix_id FROM {OBJECTS} WHERE id IN ({{}})", (), sorted(objects)))  # noqa: S608


def on_links_added(links: Sequence[tuple[int, int]], *, stopped_linking: Collection[int] = ()) -> set[int]:
    """Grow, merge or create campaigns for new links over linking observables, and re-examine
    the campaigns held together by observables that stopped linking; the campaigns touched."""
    upkeep_turn()
    touched: set[int] = set()
    if stopped_linking:
        objects = {obj for found in _objects_of(stopped_linking).values() for obj, _ in found}
        touched |= campaigns_recheck(set(_membership(objects).values()))
    stale = set(touched)  # members moved other than by joining: summarised again from them all
    if links:
        grown, merged = _grow({obs for _, obs in links})
        touched |= grown | merged
        stale |= merged
    campaigns_refresh(stale)
    return touched


def _grow(seeds: set[int]) -> tuple[set[int], set[int]]:
    """Join everything reachable from the seed observables over linking observables and bridges:
    the campaigns that grew or were created (their summaries brought up to date as members join),
    and those that absorbed others (to be summarised again)."""
    uf = UnionFind()
    stix_of: dict[int, str] = {}
    member_of: dict[int, int | None] = {}
    seen: set[int] = set()
    frontier = set(seeds)
    while frontier:
        seen |= frontier
        pulled: set[int] = set()
        for found in _objects_of(frontier).values():
            first = found[0][0]
            for obj, stix_id in found:
                stix_of[obj] = stix_id
                uf.union(first, obj)
                pulled.add(obj)
        fresh = pulled - member_of.keys()
        known = _membership(fresh)
        for obj in fresh:
            member_of[obj] = known.get(obj)
            if obj in known:
                uf.union(obj, -known[obj])
        loose = [obj for obj in fresh if obj not in known]
        for a, b in _bridges_of(loose):
            uf.union(a, b)
        frontier = {obs for observables in _linking_of(loose).values() for obs in observables} - seen
    joining: dict[int, list[int]] = {}
    merged: set[int] = set()
    new_campaigns: list[list[int]] = []
    for nodes in uf.groups().values():
        campaign_ids = sorted(-node for node in nodes if node < 0)
        loose = [node for node in nodes if node > 0 and member_of.get(node) is None]
        if len(campaign_ids) > 1:
            keep = _merge(campaign_ids)
            merged.add(keep)
            joining.setdefault(keep, []).extend(loose)
        elif campaign_ids:
            joining.setdefault(campaign_ids[0], []).extend(loose)
        elif len({stix_of.get(obj) or "" for obj in loose}) >= 2:
            new_campaigns.append(loose)
    made = _create(count=len(new_campaigns)) if new_campaigns else []
    joining.update(zip(made, new_campaigns, strict=True))
    joined = sorted({obj for objs in joining.values() for obj in objs})
    with _members_move("objects joined campaigns", Q(pk__in=joined), joining):
        campaigns_grow({pk: members for pk, members in joining.items() if pk not in merged})
        insert_rows(
            MEMBERS, ("stix_object_id", "campaign_id"), [(obj, pk) for pk, objs in joining.items() for obj in objs]
        )
    return set(joining) - merged, merged


def _members_move(cause: str, objects: Q, campaigns: Iterable[int | None]) -> AbstractContextManager[None]:
    """Watch a change of the campaigns ``objects`` belong to, among ``campaigns`` (those they
    join or leave): the TAXII collections naming one of them date what joins them, and list what
    leaves. Upkeep runs it on every ingest batch: when no collection names those campaigns it
    costs one query, and ``objects`` is not read."""
    touched = {pk for pk in campaigns if pk is not None}
    return collection_members_watch(cause=cause, objects=objects, key="campaign", values=touched)


def _create(name: str = "", *, count: int = 1) -> list[int]:
    """New campaigns; unnamed ones are called after their number until an analyst names them."""
    stamp = adapt_datetime(timezone.now())
    ids = IdAllocator(CAMPAIGNS).take(count)
    columns = ("id", "name", "description", "named", "created_at", "updated_at", "objects_count", "observables_count")
    json = ("organisation_ids", "regions", "crime_types", "policy_groups")
    insert_rows(
        CAMPAIGNS,
        (*columns, "organisations_count", *json),
        ((pk, name or f"Campaign {pk}", "", False, stamp, stamp, 0, 0, 0, "[]", "[]", "[]", "[]") for pk in ids),
        json_columns=json,
    )
    return ids


def _merge(campaign_ids: Sequence[int]) -> int:
    """Merge campaigns into one: the analyst-named one if any, else the largest (then oldest)."""
    if len(campaign_ids) == 1:
        return campaign_ids[0]
    upkeep_turn()
    rows = list(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "named", "objects_count"))
    keep = sorted(rows, key=lambda row: (not row[1], -row[2], row[0]))[0][0]
    others = [pk for pk, _, _ in rows if pk != keep]
    campaigns_merged.send(sender=Campaign, survivor=keep, absorbed=others)  # before members move: who was where
    moving = Q(pk__in=CampaignMember.objects.filter(campaign_id__in=others).values("stix_object_id"))
    with _members_move(f"campaigns {', '.join(map(str, others))} merged into {keep}", moving, [keep, *others]):
        CampaignMember.objects.filter(campaign_id__in=others).update(campaign_id=keep)
        CampaignNote.objects.filter(campaign_id__in=others).update(campaign_id=keep)
        Campaign.objects.filter(pk__in=others).delete()
    return keep


def campaigns_of(objects: Collection[int]) -> set[int]:
    """The campaigns ``objects`` are members of (read by :meth:`CorrelationListener.objects_leaving
    <accord.analysis.correlation.CorrelationListener.objects_leaving>` before versions are revoked
    or purged: a purge's delete takes their memberships with them)."""
    with by_index():
        return set(_membership(objects).values())


def on_objects_removed(
    objects: Collection[int],
    *,
    observables: Collection[int] = (),
    stopped_linking: Collection[int] = (),
    held: Collection[int] | None = None,
) -> set[int]:
    """Re-examine the campaigns of revoked or purged versions (a purged one's membership is gone
    with it, so its campaign is found through the others mentioning its linking ``observables``)
    and of observables that stopped linking; the campaigns that remain touched. ``held``: the
    campaigns the versions were members of before they left (:func:`campaigns_of`), among which
    those left without members are dissolved; without it, those are looked for among every
    campaign.

    The batch's own reads by the keys' indexes (:func:`~accord.sharing.bulk.by_index`): a purge
    batch names tens of thousands of versions and observables."""
    upkeep_turn()
    with by_index():
        affected = _members_delete(sorted(objects))  # a revoked version's campaign (a purged one's went with it)
        linking = {
            pk
            for (pk,) in select_in(
                f"SELECT c.observable_id FROM {CORRELATIONS} c WHERE {_LINKING} AND c.observable_id IN ({{}})",  # noqa: S608
                _linking_params(),
                sorted(observables),
            )
        }
        around = {*linking, *stopped_linking}
        if around:
            linked = {obj for found in _objects_of(around).values() for obj, _ in found}
            affected |= set(_membership(linked).values())
        affected |= _emptied(held)
    touched = campaigns_recheck(affected)
    campaigns_refresh(touched)
    return touched


def _emptied(held: Collection[int] | None) -> set[int]:
    """The campaigns left without members (their members all purged: their membership went with
    the rows, and no member is left to find them through), among ``held`` or, for ``None``, among
    every campaign. An anti-join on the members' campaign index."""
    if held is None:
        empty = Campaign.objects.filter(~Exists(CampaignMember.objects.filter(campaign=OuterRef("pk"))))
        return set(empty.values_list("pk", flat=True))
    sql = (
        f"SELECT c.id FROM {CAMPAIGNS} c WHERE NOT EXISTS "  # noqa: S608 - model names
        f"(SELECT 1 FROM {MEMBERS} m WHERE m.campaign_id = c.id) AND c.id IN ({{}})"
    )
    return {pk for (pk,) in select_in(sql, (), sorted(held))}


def campaigns_recheck(campaign_ids: Collection[int]) -> set[int]:
    """Split each campaign into the components its members still form; the campaigns that exist
    afterwards among them and those split off. Components of a single STIX object leave; a
    campaign left with none is dissolved. Members, links and bridges are read for all the
    campaigns at once (a purge rechecks thousands), then each is split in memory."""
    upkeep_turn()
    wanted = sorted(campaign_ids)
    names = dict(select_in(f"SELECT id, name FROM {CAMPAIGNS} WHERE id IN ({{}})", (), wanted))  # noqa: S608
    members_of: dict[int, list[int]] = {pk: [] for pk in names}
    sql = f"SELECT stix_object_id, campaign_id FROM {MEMBERS} WHERE campaign_id IN ({{}})"  # noqa: S608
    for obj, pk in select_in(sql, (), sorted(names)):
        members_of[pk].append(obj)
    everyone = sorted({obj for members in members_of.values() for obj in members})
    sql = f"SELECT id FROM {OBJECTS} WHERE revoked = %s AND id IN ({{}})"  # noqa: S608
    live_all = {pk for (pk,) in select_in(sql, [False], everyone)}
    linking_of, stix_of = _linking_of(live_all), _stix_ids(live_all)
    bridges_of: dict[int, list[tuple[int, int]]] = {}
    for a, b in _bridges_of(live_all):
        bridges_of.setdefault(a, []).append((a, b))
        bridges_of.setdefault(b, []).append((a, b))
    touched: set[int] = set()
    leaving: list[int] = []
    dissolved: list[int] = []
    for pk in sorted(names):
        parts = _components({obj for obj in members_of[pk] if obj in live_all}, linking_of, bridges_of, stix_of)
        kept = set(parts[0]) if parts else set()
        leaving.extend(obj for obj in members_of[pk] if obj not in kept)
        if not parts:
            dissolved.append(pk)
            continue
        touched.add(pk)
        for part in parts[1:]:
            split = _create(f"{names[pk]} (split)")[0]
            leaving.extend(part)  # re-inserted below, in the campaign split off
            touched.add(split)
            members_of[split] = [int(obj) for obj in part]
    with _members_move("campaigns split", Q(pk__in=sorted(set(leaving))), {*names, *touched}):
        _members_delete(sorted(set(leaving)))
        rows = [(obj, split) for split in touched - set(names) for obj in members_of[split]]
        insert_rows(MEMBERS, ("stix_object_id", "campaign_id"), rows)
        delete_cascading(Campaign, dissolved)
    return touched


def _members_delete(objects: Sequence[int]) -> set[int]:
    """The campaign membership of ``objects`` ends (one statement on PostgreSQL); the campaigns
    they were members of, as the delete returns them (read first where the database returns
    nothing from a delete: SQLite before 3.35)."""
    # Django names no feature for a delete's RETURNING; SQLite gained it with the insert's (3.35)
    returning = connection.features.can_return_columns_from_insert
    held: set[int] = set() if returning else set(_membership(objects).values())
    with connection.cursor() as cursor:
        for among_objects, params in among(objects):
            cursor.execute(
                f"DELETE FROM {MEMBERS} WHERE stix_object_id {among_objects}"  # noqa: S608
                + (" RETURNING campaign_id" if returning else ""),
                params,
            )
            if returning:
                held.update(pk for (pk,) in cursor.fetchall())
    return held


def _components(
    live: set[int],
    linking_of: dict[int, list[int]],
    bridges_of: dict[int, list[tuple[int, int]]],
    stix_of: dict[int, str],
) -> list[list[int]]:
    """The connected parts of ``live`` (over linking observables and bridges) holding two or
    more distinct STIX objects, largest first."""
    uf = UnionFind()
    for obj in live:
        uf.find(obj)
    by_observable: dict[int, int] = {}
    for obj in live:
        for observable in linking_of.get(obj, ()):
            uf.union(by_observable.setdefault(observable, obj), obj)
        for a, b in bridges_of.get(obj, ()):
            if a in live and b in live:
                uf.union(a, b)
    groups = (nodes for nodes in uf.groups().values() if len({stix_of[n] for n in nodes}) >= 2)
    return sorted(groups, key=len, reverse=True)


def campaigns_rebuild(rewrite: TableRewrite) -> int:
    """Recompute every campaign from the link table; the number of campaigns. The members'
    table is rewritten whole through ``rewrite`` (which the caller entered)."""
    upkeep_turn()
    uf = UnionFind()
    stix_of: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.observable_id, l.stix_object_id, o.stix_id FROM {LINKS} l "  # noqa: S608
            f"JOIN {CORRELATIONS} c ON c.observable_id = l.observable_id "
            f"JOIN {OBJECTS} o ON o.id = l.stix_object_id WHERE {_LINKING} AND {_LIVE} "
            "ORDER BY l.observable_id",
            [*_linking_params(), *_live_params()],
        )
        current, first = None, 0
        while rows := cursor.fetchmany(20000):
            for observable, obj, stix_id in rows:
                stix_of[obj] = stix_id
                if observable != current:
                    current, first = observable, obj
                    uf.find(obj)
                else:
                    uf.union(first, obj)
        cursor.execute(f"SELECT object_a_id, object_b_id FROM {BRIDGES}")  # noqa: S608
        bridges = cursor.fetchall()
    if bridges:
        ends = _stix_ids({end for pair in bridges for end in pair}, live=True)
        stix_of.update(ends)
        for a, b in bridges:
            if a in ends and b in ends:
                uf.union(a, b)
    groups = [nodes for nodes in uf.groups().values() if len(nodes) >= 2]
    components = [nodes for nodes in groups if len({stix_of[n] for n in nodes}) >= 2]
    del stix_of, uf, groups
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stix_object_id, campaign_id FROM {MEMBERS}")  # noqa: S608
        previous = dict(cursor.fetchall())
        cursor.execute(f"SELECT id FROM {CAMPAIGNS}")  # noqa: S608
        existing = {pk for (pk,) in cursor.fetchall()}
    taken: set[int] = set()
    assignment: list[tuple[list[int], int | None]] = []
    for nodes in sorted(components, key=len, reverse=True):
        votes = Counter(previous[n] for n in nodes if n in previous)
        keep = next((pk for pk, _ in votes.most_common() if pk not in taken), None)
        if keep is not None:
            taken.add(keep)
        assignment.append((nodes, keep))
    wanted = sum(1 for _, keep in assignment if keep is None)
    summarised = connection.vendor == "postgresql"  # new campaigns written with their summaries, below
    fresh = iter(IdAllocator(CAMPAIGNS).take(wanted) if summarised else _create(count=wanted))
    rows = []
    for nodes, keep in assignment:
        pk = keep if keep is not None else next(fresh)
        rows.extend((node, pk) for node in nodes)
    current = dict(rows)
    moved = {node for node in previous.keys() | current.keys() if previous.get(node) != current.get(node)}
    touched = {pk for node in moved for pk in (previous.get(node), current.get(node))}
    with _members_move("campaigns rebuilt", Q(pk__in=sorted(moved)), touched):
        staged = rewrite.stage(MEMBERS, ("stix_object_id", "campaign_id"), rows)
        if summarised:
            campaigns_summarise(staged)
        rewrite.apply(MEMBERS, ["stix_object_id"], ["campaign_id"])
        _absorbed_by_rebuild(previous, current, existing - taken)
        delete_cascading(Campaign, sorted(existing - taken))
    if not summarised:
        campaigns_refresh()
    return len(assignment)


def _absorbed_by_rebuild(previous: dict[int, int], current: dict[int, int], dropped: Collection[int]) -> None:
    """Announce, for each campaign a rebuild drops, the campaign most of its members went to
    (a merge); one whose members all left every campaign dissolved and is not announced."""
    gone = set(dropped)
    votes: dict[int, Counter[int]] = {}
    for node, old in previous.items():
        if old in gone and node in current:
            votes.setdefault(old, Counter())[current[node]] += 1
    into: dict[int, list[int]] = {}
    for pk, counted in sorted(votes.items()):
        into.setdefault(counted.most_common(1)[0][0], []).append(pk)
    for survivor, absorbed in sorted(into.items()):
        campaigns_merged.send(sender=Campaign, survivor=survivor, absorbed=absorbed)


def campaign_objects(campaign_ids: list[Any]) -> Q:
    """The object versions that are members of the campaigns now: a subquery, so that a TAXII
    collection naming campaigns (its ``campaign`` spec key) follows them as they grow, merge and
    split, without its spec being rewritten."""
    return Q(pk__in=CampaignMember.objects.filter(campaign_id__in=campaign_ids).values("stix_object_id"))


def campaign_ids_problem(values: list[Any]) -> str:
    """What is wrong with the campaign ids of a collection's spec (``""`` when nothing is)."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return ""
    return "campaign: a list of campaign ids (whole numbers)."
