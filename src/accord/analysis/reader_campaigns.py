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
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accord.analysis.campaigns import UnionFind
from accord.analysis.models import (
    CampaignBridge,
    Correlation,
    LinkCut,
    ReaderCampaign,
    ReaderCampaignMember,
    ReaderCampaignState,
    ReaderCorrelationState,
)
from accord.analysis.taxonomy import europol_tags
from accord.core.models import Organisation, User
from accord.core.replicas import primary_reads
from accord.partners.models import Agreement, AgreementVersion
from accord.policy import Action, PrincipalContext, visible, withheld_links
from accord.sharing.bulk import adapt_datetime, insert_rows, select_in
from accord.sharing.models import ObjectObservable, StixObject

__all__ = [
    "ID_LIMIT",
    "inputs_stamp",
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


def _components(principal: User, ctx: PrincipalContext) -> list[list[int]]:
    """The reader's components of two or more distinct STIX objects (version ids)."""
    cap = settings.ACCORD_CORRELATION_CAP
    by_observable: dict[int, list[tuple[int, str]]] = {}
    for obj, observable, stix_id in _candidate_links(principal, ctx).values_list(
        "stix_object_id", "observable_id", "stix_object__stix_id"
    ):
        by_observable.setdefault(observable, []).append((obj, stix_id))
    uf = UnionFind()
    stix_of: dict[int, str] = {}
    for found in by_observable.values():
        if len(found) > cap or len({stix_id for _, stix_id in found}) < 2:
            continue
        first = found[0][0]
        for obj, stix_id in found:
            stix_of[obj] = stix_id
            uf.union(first, obj)
    seen = _seen(principal, ctx).values("pk")
    bridges = CampaignBridge.objects.filter(object_a__in=seen, object_b__in=seen).values_list(
        "object_a_id", "object_a__stix_id", "object_b_id", "object_b__stix_id"
    )
    for a, a_stix, b, b_stix in bridges:
        stix_of[a], stix_of[b] = a_stix, b_stix
        uf.union(a, b)
    return [nodes for nodes in uf.groups().values() if len({stix_of[n] for n in nodes}) >= 2]


def _moment(value: Any) -> datetime | None:
    """A timestamp read raw, aware in UTC whichever database returned it."""
    if value is None:
        return None
    stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


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
        anchor = min((created, stix_id) for stix_id, created, *_ in members)[1]
        pk = reader_campaign_id(reader_id, anchor)
        rows.append(
            {
                "id": pk,
                "name": f"Campaign {pk}",
                "members": sorted(nodes),
                "seen_objects": len(nodes),
                "seen_organisations": len({m[4] for m in members}),
                "seen_first": _moment(min(m[1] for m in members)),
                "seen_last": _moment(max(m[2] for m in members)),
                "seen_created": _moment(min(m[3] for m in members)),
                "seen_regions": sorted({m[6] for m in members if m[6]}),
                "seen_crime_types": europol_tags({m[5] for m in members if m[5]}),
            }
        )
    return sorted(rows, key=lambda row: row["id"])


# Each part by index (the revoked versions and known-benign values through partial indexes, which
# these conditions match as written), so that a read that computes nothing costs no scan — the
# store itself is never counted (a second at ten million versions): versions arrive with new ids
# (the highest), and leave only by the retention purge, which takes those expired by then, so
# the expired ones' count and id sum move when any arrives or leaves.
_STAMP = """SELECT
    (SELECT MAX(id) FROM {objects}), (SELECT COUNT(*) FROM {objects} WHERE revoked),
    (SELECT COUNT(*) FROM {objects} WHERE expires_at <= %s), (SELECT SUM(id) FROM {objects} WHERE expires_at <= %s),
    (SELECT COUNT(*) FROM {corr} WHERE benign > ''), (SELECT SUM(observable_id) FROM {corr} WHERE benign > ''),
    (SELECT COUNT(*) FROM {cuts}), (SELECT SUM(observable_id) FROM {cuts}),
    (SELECT COUNT(*) FROM {bridges}), (SELECT MAX(id) FROM {bridges}),
    (SELECT COUNT(*) FROM {orgs}), (SELECT MAX(updated_at) FROM {orgs}),
    (SELECT COUNT(*) FROM {agreements}), (SELECT MAX(updated_at) FROM {agreements}),
    (SELECT COUNT(*) FROM {versions} WHERE valid_from <= %s), (SELECT COUNT(*) FROM {versions} WHERE valid_until <= %s),
    (SELECT inputs FROM {state} WHERE reader_id = %s)"""


def inputs_stamp(
    principal: User, ctx: PrincipalContext, state: type[ReaderCampaignState | ReaderCorrelationState] | None = None
) -> tuple[str, str | None]:
    """A digest of everything a reader's campaigns are computed from, and the one they were last
    computed from, read in one query of aggregates: who asks (their organisation, role,
    agreement), the object versions stored, revoked and expired by now (their links arrive and
    leave with them), the known-benign values, cuts and bridges, and the organisations and
    agreements (their changes, and the agreement windows opened or closed by now). While it
    holds, the campaigns last written hold too, and the read computes nothing. The last digest
    is read from ``state`` (the reader's campaigns' by default; its correlations' share the
    same inputs: :mod:`accord.analysis.reader_correlations`)."""
    now = adapt_datetime(ctx.now)
    tables = {
        "objects": StixObject._meta.db_table,
        "corr": Correlation._meta.db_table,
        "cuts": LinkCut._meta.db_table,
        "bridges": CampaignBridge._meta.db_table,
        "orgs": Organisation._meta.db_table,
        "agreements": Agreement._meta.db_table,
        "versions": AgreementVersion._meta.db_table,
        "state": (state or ReaderCampaignState)._meta.db_table,
    }
    sql = _STAMP.format(**tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, now, now, principal.pk])
        *facts, last = cursor.fetchone()
    terms = ctx.terms.pk if ctx.terms is not None else None
    who = [principal.pk, ctx.organisation_id, ctx.role, ctx.eligible, terms, settings.ACCORD_CORRELATION_CAP]
    return hashlib.sha256(orjson.dumps([who, facts], default=str)).hexdigest(), last


def _rewrite(reader_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace the reader's rows (plain SQL in batches: a reader that sees every object has as
    many member rows as objects, which the ORM's delete collector would load one by one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MEMBERS} WHERE campaign_id IN (SELECT id FROM {CAMPAIGNS} WHERE reader_id = %s)",  # noqa: S608
            [reader_id],
        )
        cursor.execute(f"DELETE FROM {CAMPAIGNS} WHERE reader_id = %s", [reader_id])  # noqa: S608
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


def reader_campaigns_refresh(principal: User, ctx: PrincipalContext) -> None:
    """Bring the reader's :class:`ReaderCampaign` rows up to date with the store: a derived
    cache, per reader and version of what it is computed from (:func:`inputs_stamp`), computed
    again only when that changed and rewritten, inside one transaction, only when the campaigns
    computed differ from those written."""
    reader_id = principal.pk
    stamp, last = inputs_stamp(principal, ctx)
    if stamp == last:
        return
    # from the primary, as the stamp is: rows a replica computed from older objects would be
    # kept as current until the inputs changed again
    with primary_reads():
        rows = _summaries(reader_id, _components(principal, ctx))
    digest = hashlib.sha256(orjson.dumps(rows)).hexdigest()
    with transaction.atomic():
        # One writer per reader at a time: the state row exists before it is locked (two first
        # reads at once, in two tabs, would otherwise both write the same campaigns), and a read
        # that waited for another finds the work done.
        ReaderCampaignState.objects.get_or_create(reader_id=reader_id, defaults={"inputs": "", "digest": ""})
        state = ReaderCampaignState.objects.select_for_update().get(reader_id=reader_id)
        if state.inputs == stamp:
            return
        if state.digest != digest:
            _rewrite(reader_id, rows)
        state.digest, state.inputs, state.refreshed_at = digest, stamp, ctx.now
        state.save(update_fields=["digest", "inputs", "refreshed_at"])


def reader_campaign_rows(reader_id: int) -> QuerySet[ReaderCampaign]:
    """The reader's campaigns as last written, in the order lists show them."""
    return ReaderCampaign.objects.filter(reader_id=reader_id).order_by(F("seen_last").desc(), "-pk")
