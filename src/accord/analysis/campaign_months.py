"""New campaigns per month, as the asker sees them, without asking of every campaign whether
one of its members is seen.

Host staff see a stored campaign when they may correlate one of its members. Each campaign
keeps the policy groups of its unrevoked members (``Campaign.policy_groups``, least restricted
first, the first two also in ``first_group`` and ``second_group``;
:class:`~accord.analysis.models.PolicyGroup`), and the policy decides on a whole group at once
(:func:`accord.policy.visible_groups`), so:

- the campaigns whose first or second group the asker sees are summed from the cells the
  database keeps per (month made, first group, second group)
  (:class:`~accord.analysis.models.CampaignMonthCell`): a few thousand cells at ten million
  objects, whatever the number of campaigns;
- one whose first two groups it does not see is seen when a later group is: read from the
  campaign's row, found by the index on ``(first_group, second_group, created_at)`` (few: the
  first groups are those most readers see);
- a month the window cuts is counted from the campaigns' rows (:func:`~accord.analysis.aggregates.month_parts`);
- the campaigns with a member the groups do not decide for — past its retention but not purged
  yet, or seen by a grant naming the asker (TLP:AMBER addressed to its organisation, TLP:RED
  naming it) where its TLP alone would not be — are taken out of those counts and asked member
  by member, as :func:`~accord.analysis.campaign_reads.campaign_list` does.

A partner's campaigns are its own (:class:`~accord.analysis.models.ReaderCampaign`), computed
from what it sees: those are counted as they are listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.db.models import Count, F, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, TruncMonth

from accord.analysis.aggregates import month_parts, next_month
from accord.analysis.campaign_reads import campaign_list
from accord.analysis.models import Campaign, CampaignMember, CampaignMonthCell, PolicyGroup
from accord.core.choices import Purpose, Tlp
from accord.core.models import User
from accord.policy import Action, PrincipalContext, principal_context, visibility, visible_groups
from accord.sharing.models import StixObject

__all__ = ["new_campaigns_per_month"]


def new_campaigns_per_month(
    *, principal: User, since: datetime, until: datetime, context: PrincipalContext | None = None
) -> dict[str, int]:
    """Campaigns that appeared in ``[since, until)`` as the principal sees them, per month
    ("YYYY-MM", UTC): those it sees one member of at least, by the month each was made (host
    staff), or its own campaigns by the month the first of their members was shared (a partner)."""
    ctx = context or principal_context(principal)
    if not ctx.is_host:
        appeared = campaign_list(principal=principal).filter(Q(seen_created__gte=since, seen_created__lt=until))
        return _per_month(appeared, "seen_created")
    lets_through = visible_groups(
        ctx, Action.CORRELATE, Purpose.INVESTIGATION, agreement="agreement_key", no_agreement=Q(agreement_key=0)
    )
    seen = set(PolicyGroup.objects.filter(lets_through).values_list("pk", flat=True))
    unseen = list(PolicyGroup.objects.exclude(pk__in=seen).values_list("pk", flat=True))
    months: dict[str, int] = {}
    whole, parts = month_parts(since, until)
    if whole:
        cells = CampaignMonthCell.objects.filter(month__gte=f"{whole[0]:%Y-%m}", month__lte=f"{whole[-1]:%Y-%m}")
        summed = cells.filter(Q(first_group__in=seen) | Q(second_group__in=seen)).values("month")
        _add(months, dict(summed.annotate(n=Sum("count")).order_by().values_list("month", "n")))
        later = Campaign.objects.filter(first_group__in=unseen, second_group__in=unseen)
        _add(months, _any_seen(later.filter(created_at__gte=whole[0], created_at__lt=next_month(whole[-1])), seen))
    for start, stop, sign in parts:
        cut = Campaign.objects.filter(created_at__gte=start, created_at__lt=stop)
        _add(months, _per_month(cut.filter(first_group__in=seen), "created_at"), sign)
        _add(months, _any_seen(cut.filter(first_group__in=unseen), seen), sign)
    # the undecided (a few), counted above by their groups: out, then asked member by member
    undecided = _undecided(ctx)
    window = Campaign.objects.filter(pk__in=undecided, created_at__gte=since, created_at__lt=until)
    _add(months, _any_seen(window, seen), -1)
    asked = campaign_list(principal=principal).filter(pk__in=undecided, created_at__gte=since, created_at__lt=until)
    _add(months, _per_month(asked, "created_at"))
    return {month: n for month, n in months.items() if n}


def _any_seen(campaigns: QuerySet[Campaign], seen: set[int]) -> dict[str, int]:
    """``campaigns`` with a policy group in ``seen``, per month made: their lists read as text
    and parsed here (a JSON field's own decoding cost five times as much per row)."""
    months: dict[str, int] = {}
    groups = campaigns.order_by().values_list("created_at", Cast("policy_groups", TextField()))
    for created, listed in groups.iterator(chunk_size=5000):
        if not seen.isdisjoint(orjson.loads(listed)):
            _add(months, {f"{created:%Y-%m}": 1})
    return months


def _add(into: dict[str, int], counts: dict[str, int], sign: int = 1) -> None:
    for month, n in counts.items():
        into[month] = into.get(month, 0) + sign * n


def _undecided(ctx: PrincipalContext) -> list[int]:
    """The campaigns with a member whose policy group does not decide whether the asker sees it:
    past its retention (found through the retention index: the purge deletes them daily) or
    granted to the asker one by one where its TLP alone would not let it through."""
    seen = visibility(ctx, Action.CORRELATE, Purpose.INVESTIGATION)
    members = CampaignMember.objects.order_by()
    undecided = members.filter(stix_object__expires_at__lte=ctx.now).values("campaign_id")
    if seen.amber_if_addressed and ctx.organisation_id is not None and Tlp.AMBER not in seen.labels:
        addressed = StixObject.addressed_to.through.objects.filter(organisation_id=ctx.organisation_id)
        undecided = undecided.union(
            members.filter(stix_object_id__in=addressed.values("stixobject_id")).values("campaign_id")
        )
    if seen.red_if_named and ctx.user_id is not None and Tlp.RED not in seen.labels:
        named = StixObject.recipients.through.objects.filter(user_id=ctx.user_id)
        undecided = undecided.union(
            members.filter(stix_object_id__in=named.values("stixobject_id")).values("campaign_id")
        )
    return sorted({row["campaign_id"] for row in undecided})


def _per_month(rows: QuerySet[Any], column: str) -> dict[str, int]:
    counted = (
        rows.annotate(appeared_month=TruncMonth(F(column)))
        .order_by()
        .values("appeared_month")
        .annotate(n=Count("*"))
        .values_list("appeared_month", "n")
    )
    return {f"{month:%Y-%m}": n for month, n in counted}
