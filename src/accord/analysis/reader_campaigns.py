"""A partner's campaigns: the connected components of its own graph, never of the global one.

The stored campaigns (:mod:`accord.analysis.campaigns`) join everything in the store: an object a
partner may not see can join two groups it sees into one campaign, and objects it may not see can
push a value over the correlation cap and unlink the objects it sees. A partner's campaigns are
therefore computed from what it sees alone (``docs/decisions.md``, Analysis):

- nodes: the live object versions it may correlate;
- edges: each observable it may learn of that links *for it* (not known benign, not cut by an
  analyst, mentioned by two or more distinct STIX objects it sees and by no more than
  ``ACCORD_CORRELATION_CAP`` of the versions it sees), and each analyst's bridge between two
  versions it sees;
- a component holding two or more distinct STIX objects is one of its campaigns.

Its id is a keyed digest (the installation's ``ACCORD_ID_KEY``) of the reader and of the
component's earliest member (by STIX ``created``, then id), so it depends on no hidden object and
tells nothing of how many campaigns exist; its name is derived from the id. The result is kept in
:class:`~accord.analysis.models.ReaderCampaign` rows, so that lists filter, order and page in SQL;
they are rewritten only when the computed campaigns differ from those last written.

When the store's changes name the versions or values they concern (added, revoked, restored,
expired, purged, addressed, kept longer, sent in a report, bridged, cut, named benign:
:mod:`accord.analysis.reader_inputs`), only the campaigns they reach are computed again
(:func:`_followed`).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accord.analysis.campaigns import UnionFind
from accord.analysis.models import (
    CampaignBridge,
    LinkCut,
    ReaderCampaign,
    ReaderCampaignMember,
    ReaderCampaignState,
)
from accord.analysis.reader_inputs import (
    Changes,
    changes_since,
    moment,
    observables_of,
    reader_inputs,
    retried_if_deleted,
    within,
)
from accord.analysis.taxonomy import europol_tags
from accord.core.models import Organisation, User
from accord.core.replicas import primary_reads
from accord.policy import Action, PrincipalContext, visible, withheld_links
from accord.sharing.bulk import adapt_datetime, among, chunks, insert_rows, mentioned_by, select_in
from accord.sharing.models import ObjectObservable, StixObject

__all__ = [
    "ID_LIMIT",
    "known_links",
    "over_correlating_for_reader",
    "reader_campaign_id",
    "reader_campaign_rows",
    "reader_campaigns_refresh",
]

CAMPAIGNS = ReaderCampaign._meta.db_table
MEMBERS = ReaderCampaignMember._meta.db_table

# Ids stay exact in a JSON number (and a JavaScript one): below 2**53.
ID_LIMIT = 2**53


def reader_campaign_id(reader_id: int, anchor: str) -> int:
    """The id of a reader's campaign whose earliest member is the STIX object ``anchor``."""
    digest = hmac.new(
        settings.ACCORD_ID_KEY.encode(), f"campaign\x00{reader_id}\x00{anchor}".encode(), hashlib.sha256
    ).digest()
    return int.from_bytes(digest[:8], "big") % (ID_LIMIT - 1) + 1


def _seen(principal: User, ctx: PrincipalContext) -> QuerySet[StixObject]:
    live = Q(revoked=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=ctx.now))
    return visible(ctx, StixObject.objects.filter(live), Action.CORRELATE)


def known_links(principal: User, ctx: PrincipalContext) -> QuerySet[ObjectObservable]:
    """The links of the live versions the reader may correlate, less those their originators'
    agreements withhold from it (the object checked per link, as ``selectors._known_links`` does)."""
    seen = _seen(principal, ctx)
    return ObjectObservable.objects.filter(Exists(seen.filter(pk=OuterRef("stix_object_id")))).exclude(
        withheld_links(ctx)
    )


def _candidate_links(principal: User, ctx: PrincipalContext) -> QuerySet[ObjectObservable]:
    """The reader's known links to observables that may link: a correlation neither known benign
    nor cut (the cap and the two distinct objects are counted by :func:`_components`)."""
    return (
        known_links(principal, ctx)
        .filter(observable__correlation__benign="")
        .exclude(observable_id__in=LinkCut.objects.values("observable_id"))
    )


def over_correlating_for_reader(principal: User, ctx: PrincipalContext, observable_id: int) -> bool:
    """Whether more versions than ``ACCORD_CORRELATION_CAP`` that the reader sees mention the
    observable (and may tell it so): then it links nothing for the reader."""
    versions = known_links(principal, ctx).filter(observable_id=observable_id).count()
    return versions > settings.ACCORD_CORRELATION_CAP


def _bridges(principal: User, ctx: PrincipalContext) -> QuerySet[CampaignBridge, tuple[int, int]]:
    """The analysts' bridges between two versions the reader sees, as pairs of ids."""
    seen = _seen(principal, ctx).values("pk")
    return CampaignBridge.objects.filter(object_a__in=seen, object_b__in=seen).values_list("object_a_id", "object_b_id")


def _components(principal: User, ctx: PrincipalContext) -> list[list[int]]:
    """The reader's components (version ids); those of two or more distinct STIX objects are its
    campaigns (:func:`_summaries` keeps those)."""
    cap = settings.ACCORD_CORRELATION_CAP
    by_observable: dict[int, list[tuple[int, str]]] = {}
    for obj, observable, stix_id in _candidate_links(principal, ctx).values_list(
        "stix_object_id", "observable_id", "stix_object__stix_id"
    ):
        by_observable.setdefault(observable, []).append((obj, stix_id))
    uf = UnionFind()
    for found in by_observable.values():
        if len(found) > cap or len({stix_id for _, stix_id in found}) < 2:
            continue
        for obj, _ in found:
            uf.union(found[0][0], obj)
    for a, b in _bridges(principal, ctx):
        uf.union(a, b)
    return list(uf.groups().values())


def _summaries(reader_id: int, components: list[list[int]]) -> list[dict[str, Any]]:
    """Each component's row: id, name and the figures of its members. The members' facts are
    read raw: each database returns its timestamps in one sortable form (ISO text on SQLite), so
    only the few that win a minimum or a maximum are converted."""
    facts: dict[int, tuple[Any, ...]] = {
        row[0]: row[1:]
        for row in select_in(
            f"SELECT o.id, o.stix_id, o.created, o.modified, o.added_at, o.organisation_id, o.crime_type, g.region "  # noqa: S608
            f"FROM {StixObject._meta.db_table} o JOIN {Organisation._meta.db_table} g ON g.id = o.organisation_id "
            "WHERE o.id IN ({})",
            (),
            sorted(node for nodes in components for node in nodes),
        )
    }
    rows = []
    for nodes in components:
        members = [facts[n] for n in nodes]
        if len({m[0] for m in members}) < 2:
            continue  # versions of one STIX object (joined by an analyst's bridge): no campaign
        anchor = min((created, stix_id) for stix_id, created, *_ in members)[1]
        pk = reader_campaign_id(reader_id, anchor)
        rows.append(
            {
                "id": pk,
                "name": f"Campaign {pk}",
                "members": sorted(nodes),
                "seen_objects": len(nodes),
                "seen_organisations": len({m[4] for m in members}),
                "seen_first": moment(min(m[1] for m in members)),
                "seen_last": moment(max(m[2] for m in members)),
                "seen_created": moment(min(m[3] for m in members)),
                "seen_regions": sorted({m[6] for m in members if m[6]}),
                "seen_crime_types": europol_tags({m[5] for m in members if m[5]}),
            }
        )
    return sorted(rows, key=lambda row: row["id"])


def _rewrite(reader_id: int, rows: list[dict[str, Any]], *, replacing: list[int] | None = None) -> None:
    """Replace the reader's rows (those of the campaigns ``replacing``, if given) by ``rows``
    (plain SQL in batches: a reader that sees every object has as many member rows as objects,
    which the ORM's delete collector would load one by one)."""
    with connection.cursor() as cursor:
        if replacing is None:
            cursor.execute(
                f"DELETE FROM {MEMBERS} WHERE campaign_id IN (SELECT id FROM {CAMPAIGNS} WHERE reader_id = %s)",  # noqa: S608
                [reader_id],
            )
            cursor.execute(f"DELETE FROM {CAMPAIGNS} WHERE reader_id = %s", [reader_id])  # noqa: S608
        else:
            for condition, params in among(replacing):
                cursor.execute(f"DELETE FROM {MEMBERS} WHERE campaign_id {condition}", params)  # noqa: S608
                cursor.execute(f"DELETE FROM {CAMPAIGNS} WHERE id {condition}", params)  # noqa: S608
    json = ("seen_regions", "seen_crime_types")
    columns = ("id", "reader_id", "name", "seen_objects", "seen_organisations")
    moments = ("seen_first", "seen_last", "seen_created")
    insert_rows(
        CAMPAIGNS,
        (*columns, *moments, *json),
        (
            (
                row["id"],
                reader_id,
                row["name"],
                row["seen_objects"],
                row["seen_organisations"],
                *(adapt_datetime(row[column]) for column in moments),
                *(orjson.dumps(row[column]).decode() for column in json),
            )
            for row in rows
        ),
        json_columns=json,
    )
    insert_rows(
        MEMBERS, ("campaign_id", "stix_object_id"), ((row["id"], obj) for row in rows for obj in row["members"])
    )


def _linked(principal: User, ctx: PrincipalContext, observables: list[int]) -> dict[int, list[tuple[int, str]]]:
    """The reader's candidate links of ``observables``: (version, STIX id) per observable."""
    by_observable: dict[int, list[tuple[int, str]]] = {}
    for part in chunks(observables):
        for obj, observable, stix_id in (
            _candidate_links(principal, ctx)
            .filter(observable_id__in=part)
            .values_list("stix_object_id", "observable_id", "stix_object__stix_id")
        ):
            by_observable.setdefault(observable, []).append((obj, stix_id))
    return by_observable


def _links(found: list[tuple[int, str]]) -> bool:
    """Whether a value mentioned by the versions ``found`` links them for the reader."""
    return len(found) <= settings.ACCORD_CORRELATION_CAP and len({stix_id for _, stix_id in found}) >= 2


def _short(reader_id: int) -> list[int]:
    """The reader's campaigns holding fewer member rows than they count: a version deleted by a
    purge took its member row with it, but the purge had read the campaigns holding it before
    these rows were written (a read computing from a moment before the version's retention
    ended, committed in between), so its record does not name them. One count per campaign, by
    the members' index; read when a purge is followed."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id FROM {CAMPAIGNS} c WHERE c.reader_id = %s "  # noqa: S608
            f"AND c.seen_objects <> (SELECT COUNT(*) FROM {MEMBERS} m WHERE m.campaign_id = c.id)",
            [reader_id],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _followed(principal: User, ctx: PrincipalContext, changes: Changes) -> tuple[list[int], list[list[int]]]:
    """The reader's campaigns the changes reach, and the components they make now.

    Versions added join campaigns through the values they mention: the campaigns those values
    link are joined as they are. When versions left (revoked, their retention ended, or named by
    a change of who sees them) or a value stopped linking (more than the cap mention it now, a
    local exclusion names it, an analyst cut it), or a purge deleted versions of a campaign
    (recorded with the change, as its member rows leave with them), the campaigns reached may
    split: their components are computed again from all their members' links, and the bridges.
    A value that links now links versions of reached campaigns only, or versions the changes
    reached themselves: a value whose versions did not change linked the same versions before,
    all in one campaign; a bridge joins versions the change that made it named."""
    cap = settings.ACCORD_CORRELATION_CAP
    added = within(changes.added)
    linked = _linked(principal, ctx, observables_of(changes))
    touched: set[int] = set()  # versions a value the changes reached links
    unlinked = set(changes.left)  # versions that may have lost a link
    mentioning = known_links(principal, ctx).values_list("stix_object_id", flat=True)
    for part in chunks(changes.reflagged):  # a value named benign or cut links none of its versions now
        unlinked.update(mentioning.filter(observable_id__in=part))
    for part in chunks(changes.named):  # a bridge may join versions no value links
        touched.update(_seen(principal, ctx).filter(pk__in=part).values_list("pk", flat=True))
    for found in linked.values():
        if len(found) > cap and len(found) - sum(1 for obj, _ in found if added(obj)) <= cap:
            unlinked.update(obj for obj, _ in found)  # at most the cap before: it may have linked them
        if _links(found):
            touched.update(obj for obj, _ in found)
    mine = ReaderCampaignMember.objects.filter(campaign__reader_id=principal.pk)
    reached = sorted(touched | unlinked)
    held = mine.values_list("campaign_id", flat=True)
    holding = {pk for part in chunks(reached) for pk in held.filter(stix_object_id__in=part)}
    ours = ReaderCampaign.objects.filter(reader_id=principal.pk).values_list("pk", flat=True)
    emptied = {pk for part in chunks(changes.purged_campaigns) for pk in ours.filter(pk__in=part)}
    if changes.purged:
        emptied.update(_short(principal.pk))
    split = bool(unlinked or emptied)  # a campaign that lost versions may split
    joined = sorted(holding | emptied)
    if not touched and not joined:
        return [], []
    members = [
        row
        for part in chunks(joined)
        for row in mine.filter(campaign_id__in=part).values_list("campaign_id", "stix_object_id")
    ]
    uf = UnionFind()
    if split:  # from the links of every version reached: the same components a full pass makes
        nodes = touched.union(obj for _, obj in members)
        around = sorted(mentioned_by(nodes).difference(linked))
        linked.update(_linked(principal, ctx, around))
    else:
        for campaign, obj in members:
            uf.union(-campaign, obj)  # a campaign's members, joined as they were
    for found in linked.values():
        if _links(found):
            for obj, _ in found:
                uf.union(found[0][0], obj)
    for a, b in _bridges(principal, ctx):
        uf.union(a, b)
    reach = touched.union(obj for _, obj in members)
    components = [[n for n in nodes if n > 0] for nodes in uf.groups().values() if reach.intersection(nodes)]
    return joined, components


@retried_if_deleted
def reader_campaigns_refresh(principal: User, ctx: PrincipalContext) -> str:
    """Bring the reader's :class:`ReaderCampaign` rows up to date with the store: a derived
    cache, per reader and version of what it is computed from (:mod:`accord.analysis.reader_inputs`),
    computed again only when that changed (only the campaigns the versions added or that left
    reach, if nothing else changed: :func:`_followed`), and rewritten inside one transaction (in
    full, only when the campaigns differ from those written). How: "current", "followed" (the
    changes) or "computed" (from everything)."""
    reader_id = principal.pk
    now, last, expired = reader_inputs(principal, ctx, ReaderCampaignState)
    if last == now and not expired:
        return "current"
    # from the primary, as the inputs are: rows a replica computed from older objects would be
    # kept as current until the inputs changed again
    with primary_reads():
        changes = changes_since(last, now)
        if changes is None:
            rows = _summaries(reader_id, _components(principal, ctx))
        else:
            joined, components = _followed(principal, ctx, changes)
            rows = _summaries(reader_id, components)
    with transaction.atomic():
        # One writer per reader at a time: the state row exists before it is locked (two first
        # reads at once, in two tabs, would otherwise both write the same campaigns), and a read
        # that waited for another finds the work done.
        ReaderCampaignState.objects.get_or_create(reader_id=reader_id, defaults={"inputs": "", "digest": ""})
        state = ReaderCampaignState.objects.select_for_update().get(reader_id=reader_id)
        if changes is not None and last is not None and last.of(state):
            _rewrite(reader_id, rows, replacing=joined)
            state.digest, how = "", "followed"  # the digest of all the rows is not known
        elif now.of(state) and state.refreshed_at >= now.at:
            return "current"  # another read did it meanwhile
        else:
            if changes is not None:  # another read moved the rows meanwhile
                with primary_reads():
                    rows = _summaries(reader_id, _components(principal, ctx))
            digest = hashlib.sha256(orjson.dumps(rows)).hexdigest()
            if state.digest != digest:
                _rewrite(reader_id, rows)
            state.digest, how = digest, "computed"
        now.keep(state)
        state.save(update_fields=["digest", "inputs", "added_through", "objects_through", "refreshed_at"])
    return how


def reader_campaign_rows(reader_id: int) -> QuerySet[ReaderCampaign]:
    """The reader's campaigns as last written, in the order lists show them."""
    return ReaderCampaign.objects.filter(reader_id=reader_id).order_by(F("seen_last").desc(), "-pk")
