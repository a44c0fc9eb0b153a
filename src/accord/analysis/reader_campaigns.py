"""A partner's campaigns: the connected components of its own graph, never of the global one.

The stored campaigns (:mod:`accord.analysis.campaigns`) join everything in the store: an object a
partner may not see can join two groups it sees into one campaign, and objects it may not see can
push a value over the correlation cap and unlink the objects it sees. A partner's campaigns are
therefore computed from what it sees alone (``docs/decisions.md``, "Partners' campaigns"):

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
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from accord.analysis.campaigns import UnionFind
from accord.analysis.models import (
    CampaignBridge,
    LinkCut,
    ReaderCampaign,
    ReaderCampaignMember,
    ReaderCampaignState,
)
from accord.analysis.taxonomy import europol_tags
from accord.core.models import User
from accord.policy.decision import Action, visible, withheld_links
from accord.policy.principal import PrincipalContext
from accord.sharing.models import ObjectObservable, StixObject

__all__ = ["ID_LIMIT", "linking_for_reader", "reader_campaign_id", "reader_campaigns_refresh"]

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
    return visible(principal, StixObject.objects.filter(live), Action.CORRELATE, context=ctx)


def _candidate_links(principal: User, ctx: PrincipalContext) -> QuerySet[ObjectObservable]:
    """The links of the objects the reader sees to observables that may link (a correlation
    neither known benign nor cut), less those their originators' agreements withhold from it."""
    seen = _seen(principal, ctx)
    # the object checked per link (EXISTS on its key): see ``selectors._known_links``
    return (
        ObjectObservable.objects.filter(Exists(seen.filter(pk=OuterRef("stix_object_id"))))
        .filter(observable__correlation__benign="")
        .exclude(observable_id__in=LinkCut.objects.values("observable_id"))
        .exclude(withheld_links(principal, context=ctx))
    )


def linking_for_reader(principal: User, ctx: PrincipalContext, observable_id: int) -> tuple[bool, bool]:
    """Whether an observable links objects for the reader and whether it over-correlates for it,
    counting only the versions it sees that it may learn mention it."""
    counts = (
        _candidate_links(principal, ctx)
        .filter(observable_id=observable_id)
        .aggregate(versions=Count("pk"), objects=Count("stix_object__stix_id", distinct=True))
    )
    over = counts["versions"] > settings.ACCORD_CORRELATION_CAP
    return counts["objects"] >= 2 and not over, over


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


def _summaries(reader_id: int, components: list[list[int]]) -> list[dict[str, Any]]:
    """Each component's row: id, name and the figures of its members."""
    wanted = [node for nodes in components for node in nodes]
    facts: dict[int, tuple[Any, ...]] = {}
    for part in range(0, len(wanted), 5000):
        for row in StixObject.objects.filter(pk__in=wanted[part : part + 5000]).values_list(
            "pk", "stix_id", "created", "modified", "added_at", "organisation_id", "crime_type", "organisation__region"
        ):
            facts[row[0]] = row[1:]
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
                "seen_first": (min(m[1] for m in members)),
                "seen_last": (max(m[2] for m in members)),
                "seen_created": (min(m[3] for m in members)),
                "seen_regions": sorted({m[6] for m in members if m[6]}),
                "seen_crime_types": europol_tags({m[5] for m in members if m[5]}),
            }
        )
    return sorted(rows, key=lambda row: row["id"])


def reader_campaigns_refresh(principal: User, ctx: PrincipalContext) -> None:
    """Bring the reader's :class:`ReaderCampaign` rows up to date with the store (a derived
    cache: rewritten, inside one transaction, only when the campaigns computed now differ)."""
    reader_id = principal.pk
    rows = _summaries(reader_id, _components(principal, ctx))
    digest = hashlib.sha256(orjson.dumps(rows)).hexdigest()
    if ReaderCampaignState.objects.filter(reader_id=reader_id, digest=digest).exists():
        return
    with transaction.atomic():
        state = ReaderCampaignState.objects.select_for_update().filter(reader_id=reader_id).first()
        if state is not None and state.digest == digest:
            return
        ReaderCampaign.objects.filter(reader_id=reader_id).delete()
        ReaderCampaign.objects.bulk_create(
            ReaderCampaign(reader_id=reader_id, **{k: v for k, v in row.items() if k != "members"}) for row in rows
        )
        ReaderCampaignMember.objects.bulk_create(
            (ReaderCampaignMember(campaign_id=row["id"], stix_object_id=obj) for row in rows for obj in row["members"]),
            batch_size=5000,
        )
        ReaderCampaignState.objects.update_or_create(reader_id=reader_id, defaults={"digest": digest})


def reader_campaign_rows(reader_id: int) -> QuerySet[ReaderCampaign]:
    """The reader's campaigns as last written, in the order lists show them."""
    return ReaderCampaign.objects.filter(reader_id=reader_id).order_by(F("seen_last").desc(), "-pk")
