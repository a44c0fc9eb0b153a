"""Reads of campaigns bounded by the policy: the list, one campaign, a page of its members and
the graph they make.

A campaign may hold tens of thousands of members, so nothing here reads them all to show one
page: the list orders by kept columns (``Campaign(last_seen, id)``, a partner's own
:class:`ReaderCampaign` rows) and counts the members a host reader sees no further than
``SEEN_COUNT_CAP``; one campaign's members are walked in key order from a position, each
checked through the policy, and the walk stops at a page (``docs/decisions.md``, "Campaign and
observable pages by index").
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery

from accord.analysis.models import Campaign, CampaignMember, ReaderCampaign, ReaderCampaignMember
from accord.analysis.reader_campaigns import reader_campaign_rows, reader_campaigns_refresh
from accord.core.errors import NotFound
from accord.core.models import User
from accord.core.public_ids import encode
from accord.policy import (
    Action,
    PrincipalContext,
    principal_context,
    source_nameable,
    visible,
    withheld_fields,
    withheld_links,
)
from accord.sharing.models import ObjectObservable, StixObject

__all__ = [
    "MEMBERS_SHOWN",
    "SEEN_COUNT_CAP",
    "campaign_get",
    "campaign_graph",
    "campaign_list",
    "campaign_members_seen",
    "campaigns_with_members_of",
]

# A host reader's "objects you see" of one campaign is counted no further than this (its kept
# total, ``objects_count``, says the rest): past it the figure reads "more than 1,000".
SEEN_COUNT_CAP = 1000
# Members on one page of a campaign (its graph through the API shows up to 500).
MEMBERS_SHOWN = 50


class CappedCount(Subquery):
    """How many rows a correlated subquery finds, counted no further than its ``LIMIT``
    (``count``: ``*``, or ``DISTINCT <column>`` of the subquery's one column)."""

    template = "(SELECT COUNT(%(count)s) FROM (%(subquery)s) capped_count)"
    output_field = IntegerField()


def _correlatable(ctx: PrincipalContext) -> QuerySet[StixObject]:
    """The live object versions the asker may correlate."""
    live = Q(revoked=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=ctx.now))
    return visible(ctx, StixObject.objects.filter(live), Action.CORRELATE)


def campaign_members_seen(principal: User, ctx: PrincipalContext) -> QuerySet[StixObject]:
    """The object versions through which the principal sees campaigns.

    Host staff: every live version they may correlate (members of the stored campaigns). A
    partner: the members of its own campaigns (:mod:`accord.analysis.reader_campaigns`), which
    are computed from what it sees alone."""
    if ctx.is_host:
        return _correlatable(ctx)
    reader_campaigns_refresh(principal, ctx)
    members = ReaderCampaignMember.objects.filter(campaign__reader_id=principal.pk)
    return StixObject.objects.filter(pk__in=members.values("stix_object_id"))


def campaign_list(*, principal: User) -> QuerySet[Any]:
    """Campaigns the principal sees, each with what it sees of it: ``seen_objects``,
    ``seen_organisations``, ``seen_first`` and ``seen_last`` (the STIX created and modified
    times of the members), ``seen_crime_types`` (europol-incident tags), ``seen_regions`` and
    ``seen_created``.

    Host staff read the stored campaigns (:class:`Campaign`) and their kept summaries, in the
    order of a kept column; the members they see are counted per row shown, no further than
    ``SEEN_COUNT_CAP`` (``seen_objects`` past it means "more than"; ``seen_organisations`` is
    then of those counted). A partner reads its own campaigns (:class:`ReaderCampaign`): the
    components of the graph of the objects it sees, with their figures, ids and names computed
    from those objects alone, so that an object it may not see neither joins, splits, unlinks
    nor names any of them (policy rule 5; ``docs/decisions.md``); ``seen_created`` is then when
    the first of its members was shared."""
    ctx = principal_context(principal)
    if not ctx.is_host:
        reader_campaigns_refresh(principal, ctx)
        return reader_campaign_rows(principal.pk)
    # Per campaign, by index: whether a member is seen (EXISTS), and how many, counted for the
    # rows a page shows only and no further than the cap — never all of a large campaign's
    # members, nor the whole store joined and grouped to order one page.
    seen = _correlatable(ctx).filter(pk=OuterRef("stix_object_id"))
    members = CampaignMember.objects.filter(campaign_id=OuterRef("pk")).filter(Exists(seen)).order_by()
    sample = members.annotate(org=F("stix_object__organisation_id"))
    return (
        Campaign.objects.filter(Exists(members))
        .annotate(
            seen_objects=CappedCount(members.values("pk")[: SEEN_COUNT_CAP + 1], count="*"),
            seen_organisations=CappedCount(sample.values("org")[: SEEN_COUNT_CAP + 1], count="DISTINCT org"),
            seen_first=F("first_seen"),
            seen_last=F("last_seen"),
            seen_crime_types=F("crime_types"),
            seen_regions=F("regions"),
            seen_created=F("created_at"),
        )
        .order_by("-seen_last", "-pk")
    )


def campaigns_with_members_of(*, principal: User, organisation_id: int | None) -> QuerySet[Any]:
    """The principal's campaigns (:func:`campaign_list`, in its order) with a member shared by
    ``organisation_id``: each campaign asked by index (``EXISTS``), so the first few stop at
    the first few campaigns found, where joining every member to order them took 250 ms for a
    partner at ten million objects."""
    rows = campaign_list(principal=principal)
    members = CampaignMember if rows.model is Campaign else ReaderCampaignMember
    found = members.objects.filter(campaign_id=OuterRef("pk"), stix_object__organisation_id=organisation_id or 0)
    return rows.filter(Exists(found))


def campaign_get(*, principal: User, pk: Any) -> Campaign | ReaderCampaign:
    """One campaign the principal may see something of (else 404): a stored one for host staff,
    one of its own for a partner (:func:`campaign_list`)."""
    try:
        found: Campaign | ReaderCampaign = campaign_list(principal=principal).get(pk=int(pk))
    except (Campaign.DoesNotExist, ReaderCampaign.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"No campaign {pk}.") from None
    return found


def campaign_graph(
    *, principal: User, campaign: Campaign | ReaderCampaign, limit: int = 500, after: int | None = None
) -> dict[str, Any]:
    """A page of the campaign as a graph: its members the principal may correlate, in key order
    from the member ``after`` (a row id) and no more than ``limit`` of them, and the observables
    that join two or more of those (known-benign and withheld ones left out), for the UI's
    graph view and the campaign page. ``next`` is the position of the following page, if any.

    The members are walked by the index on (campaign, member) and each checked through the
    policy, so a page stops at ``limit`` members seen whatever the campaign's size."""
    ctx = principal_context(principal)
    seen = _correlatable(ctx).filter(pk=OuterRef("stix_object_id"))
    members: QuerySet[Any] = campaign.members.filter(Exists(seen))
    if after is not None:
        members = members.filter(stix_object_id__gt=after)
    page = list(members.order_by("stix_object_id").values_list("stix_object_id", flat=True)[: limit + 1])
    more, pks = len(page) > limit, page[:limit]
    objects = list(
        StixObject.objects.filter(pk__in=pks)
        .select_related("organisation", "agreement__current_version")
        .annotate(source_named=source_nameable(ctx))
        .order_by("pk")
    )
    links = list(
        ObjectObservable.objects.filter(stix_object_id__in=pks)
        .exclude(withheld_links(ctx))
        .exclude(observable__correlation__benign__gt="")
        .order_by("stix_object_id", "observable_id")  # one order whatever else is stored (PostgreSQL)
        .values_list("stix_object_id", "observable_id", "observable__type", "observable__value")
    )
    degree: dict[int, int] = {}
    for _, observable, _, _ in links:
        degree[observable] = degree.get(observable, 0) + 1
    shared = {observable for observable, count in degree.items() if count >= 2}
    nodes: list[dict[str, Any]] = []
    for obj in objects:
        nodes.append(
            {
                "id": f"object:{encode(obj.pk)}",
                "kind": "object",
                "stix_id": obj.stix_id,
                "type": obj.type,
                "label": _label(ctx, obj),
                "organisation": obj.organisation.name if obj.source_named else None,
                "tlp": obj.tlp,
                "created": obj.created.isoformat(),
            }
        )
    seen_observables: set[int] = set()
    edges = []
    for obj_pk, observable, kind, value in links:
        if observable not in shared:
            continue
        if observable not in seen_observables:
            seen_observables.add(observable)
            nodes.append({"id": f"observable:{encode(observable)}", "kind": "observable", "type": kind, "label": value})
        edges.append({"source": f"object:{encode(obj_pk)}", "target": f"observable:{encode(observable)}"})
    return {
        "campaign": campaign.pk,
        "nodes": nodes,
        "edges": edges,
        "truncated": more,
        "next": encode(pks[-1]) if more else None,
    }


def _label(ctx: PrincipalContext, obj: StixObject) -> str:
    """An object's name as the asker may read it: its type where its free text is withheld."""
    name = obj.body.get("name") if isinstance(obj.body, dict) else None
    return str(name) if name and "name" not in withheld_fields(ctx, obj) else obj.type
