"""Host staff's new campaigns per month (accord.analysis.campaign_months) are read from the
policy groups each campaign keeps, and equal asking of every campaign whether one of its members
is seen, through ingests, merges, revocations, restorations, TLP:RED naming a reader, expiry,
purges and a suspended agreement; the kept groups equal those computed again from the members."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import F
from django.db.models.functions import TruncMonth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.analysis.campaign_months import new_campaigns_per_month
from accord.analysis.campaign_reads import campaign_list
from accord.analysis.campaign_summaries import campaigns_refresh
from accord.analysis.enabled import enabled_rebuild
from accord.analysis.models import (
    Campaign,
    CampaignMonthCell,
    EnabledCorrelations,
    ExclusionEntry,
    ExclusionList,
    ObservableSource,
)
from accord.analysis.services.exclusions import exclusion_entry_add, exclusion_entry_remove, exclusion_list_create
from accord.core.choices import Purpose
from accord.formats.markings import TLP2_IDS
from accord.partners.models import Agreement
from accord.partners.services.lifecycle import agreement_suspend
from accord.sharing.services import retention_purge
from tests.analysis.conftest import change_shared, share
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import indicator

POOL = [f"194.147.83.{n}" for n in range(1, 7)]
SINCE, UNTIL = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def world(api_for, partner, other_partner, people, settings, tmp_path) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, tlp_ceiling="red")
    make_agreement(other_partner, tlp_ceiling="red")
    sharers = [
        people["partner_contributor"],
        UserFactory(username="banker", organisation=other_partner, role="partner_contributor"),
    ]
    return {
        "api_for": api_for,
        "clients": [api_for(user) for user in sharers],
        "sharers": sharers,
        "readers": [people[role] for role in ("analyst", "programme_manager", "auditor", "admin")],
        "manager": people["programme_manager"],
        "shared": [],
        "n": itertools.count(1),
    }


def run(world: dict[str, Any], step: str, k: int, objects: Any) -> None:
    shared = world["shared"]
    if step == "share":
        if not Agreement.objects.filter(organisation=world["sharers"][k].organisation, status="active").exists():
            return  # suspended: it shares nothing meanwhile
        bodies = []
        for tlp, values in objects:
            n = next(world["n"])
            pattern = " OR ".join(f"ipv4-addr:value = '{POOL[v]}'" for v in sorted(values))
            bodies.append(indicator(n, f"[{pattern}]", object_marking_refs=[TLP2_IDS[tlp]]))
            shared.append((bodies[-1]["id"], k))
        share(world["clients"][k], *bodies)
        return
    if step == "purge":
        retention_purge()
        return
    if step == "exclude":  # a value of the pool named benign locally, or no longer
        value = POOL[k % len(POOL)]
        entry = ExclusionEntry.objects.filter(pattern=value).first()
        if entry is not None:
            exclusion_entry_remove(actor=world["readers"][0], entry=entry)
        else:
            listed = ExclusionList.objects.first() or exclusion_list_create(actor=world["readers"][0], name="Sinkholes")
            exclusion_entry_add(actor=world["readers"][0], exclusion_list=listed, type="ipv4", pattern=value)
        return
    if step == "suspend":
        agreement = Agreement.objects.filter(organisation=world["sharers"][k % 2].organisation).get()
        if agreement.status == "active":
            agreement_suspend(actor=world["manager"], agreement=agreement, reason="review")
        return
    change_shared(world, step, k)


def asked_one_by_one(user: Any, since: datetime = SINCE, until: datetime = UNTIL) -> dict[str, int]:
    """New campaigns per month by asking of each campaign whether a member is seen."""
    appeared = campaign_list(principal=user).filter(created_at__gte=since, created_at__lt=until)
    months: dict[str, int] = {}
    for month in appeared.annotate(m=TruncMonth(F("created_at"))).values_list("m", flat=True):
        months[f"{month:%Y-%m}"] = months.get(f"{month:%Y-%m}", 0) + 1
    return months


def kept_cells() -> dict[tuple[str, int, int], int]:
    """The cells the database keeps, those above 0 (none may be below)."""
    assert not CampaignMonthCell.objects.filter(count__lt=0).exists()
    cells = CampaignMonthCell.objects.filter(count__gt=0)
    rows = cells.values_list("month", "first_group", "second_group", "count")
    return {(month, first, second): n for month, first, second, n in rows}


def counted_cells() -> dict[tuple[str, int, int], int]:
    """The campaigns counted by month made and first two groups."""
    counted: dict[tuple[str, int, int], int] = {}
    for created, first, second in Campaign.objects.exclude(first_group=None).values_list(
        "created_at", "first_group", "second_group"
    ):
        key = (f"{created.astimezone(UTC):%Y-%m}", first, second or 0)
        counted[key] = counted.get(key, 0) + 1
    return counted


# windows whose edges cut months: the larger part of February and of August (their cells, less the
# days outside), the smaller part of March and of November (their campaigns counted)
CUT = [
    (datetime(2026, 2, 5, tzinfo=UTC), datetime(2026, 8, 20, tzinfo=UTC)),
    (datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)),
]


def kept_enabled() -> dict[int, int]:
    return dict(EnabledCorrelations.objects.filter(count__gt=0).values_list("organisation_id", "count"))


def kept_groups() -> list[tuple[Any, ...]]:
    return list(Campaign.objects.order_by("pk").values_list("pk", "policy_groups", "first_group"))


TLPS = st.sampled_from(["clear", "green", "amber", "amber+strict", "red"])
OBJECTS = st.lists(
    st.tuples(TLPS, st.sets(st.integers(0, len(POOL) - 1), min_size=1, max_size=2)), min_size=1, max_size=4
)
CHANGES = ["revoke", "restore", "name", "expire", "suspend", "exclude"]
STEPS = st.one_of(
    st.tuples(st.just("share"), st.integers(0, 1), OBJECTS),
    st.tuples(
        st.sampled_from(["revoke", "restore", "name", "expire", "suspend", "exclude"]), st.integers(0, 1000), st.none()
    ),
    st.tuples(st.just("purge"), st.just(0), st.none()),
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEPS, min_size=2, max_size=7))
def test_new_campaigns_per_month_equal_asking_each_campaign(world: dict[str, Any], steps: list[Any]) -> None:
    for step in steps:
        run(world, *step)
    kept, enabled = kept_groups(), kept_enabled()
    campaigns_refresh()
    assert kept_groups() == kept  # the groups kept as members joined and left are those of the members
    enabled_rebuild()
    assert kept_enabled() == enabled  # and the correlations each organisation enabled, those counted again
    assert kept_cells() == counted_cells()  # the database's cells followed every change
    for pk in Campaign.objects.values_list("pk", flat=True):  # made over the year
        Campaign.objects.filter(pk=pk).update(created_at=SINCE + timedelta(days=40 * (pk % 9)))
    assert kept_cells() == counted_cells()  # ... and the months moved by hand
    for user in world["readers"]:
        expected = asked_one_by_one(user)
        assert new_campaigns_per_month(principal=user, since=SINCE, until=UNTIL) == expected, user.role
        for since, until in CUT:
            cut = new_campaigns_per_month(principal=user, since=since, until=until)
            assert cut == asked_one_by_one(user, since, until), (user.role, since, until)
    response = world["api_for"](world["readers"][0]).get(
        "/api/v1/trends/", {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    )
    assert {row["month"]: row["count"] for row in response.json()["new_campaigns"]} == asked_one_by_one(
        world["readers"][0]
    )
    # host staff's "correlations enabled" per partner: the sources of correlations two or more
    # organisations reported, known-benign ones aside, counted from the store
    correlating = {"observable__correlation__organisation_count__gte": 2, "observable__correlation__benign": ""}
    counted = {
        sharer.organisation.name: ObservableSource.objects.filter(
            organisation=sharer.organisation, **correlating
        ).count()
        for sharer in world["sharers"]
    }
    shown = {row["organisation"]: row["correlations"] for row in response.json()["contributions"]}
    assert {name: shown[name] for name in counted} == counted


def test_campaigns_seen_through_their_second_or_a_later_group(world: dict[str, Any]) -> None:
    """The first sharer's agreement no longer allows investigation: host staff may correlate
    none of its GREEN or AMBER objects. A campaign of its GREEN object and the second sharer's
    AMBER one is counted from its second group's cell; one of its GREEN and AMBER objects and the
    second sharer's AMBER+STRICT one from the campaign's row (its first two groups unseen); one
    of its own objects alone is not counted. All as asking each campaign, in whole months and in
    a window that cuts them."""
    agreement = Agreement.objects.get(organisation=world["sharers"][0].organisation)
    agreement.current_version.purposes = [Purpose.PREVENTION]
    agreement.current_version.save(update_fields=["purposes"])
    run(world, "share", 0, [("green", {0}), ("amber", {0}), ("green", {1}), ("green", {2}), ("amber", {2})])
    run(world, "share", 1, [("amber+strict", {0}), ("amber", {1})])
    by_size = sorted(Campaign.objects.all(), key=lambda c: len(c.policy_groups))
    assert [len(c.policy_groups) for c in by_size] == [2, 2, 3]
    analyst = world["readers"][0]
    month = f"{by_size[0].created_at:%Y-%m}"
    assert kept_cells() == counted_cells()
    assert new_campaigns_per_month(principal=analyst, since=SINCE, until=UNTIL) == {month: 2}
    assert asked_one_by_one(analyst) == {month: 2}
    for pk in Campaign.objects.values_list("pk", flat=True):
        Campaign.objects.filter(pk=pk).update(created_at=datetime(2026, 3, 25, tzinfo=UTC))
    for since, until in CUT:
        assert new_campaigns_per_month(principal=analyst, since=since, until=until) == {"2026-03": 2}


def test_a_campaign_seen_only_through_a_red_member_naming_the_reader(world: dict[str, Any]) -> None:
    """Two TLP:RED objects sharing a value make a campaign host staff see only once one of them
    names the reader: not before, and for no one else after, until a GREEN member joins; the
    campaign goes from their months as the GREEN one is revoked and the named one expires."""
    run(world, "share", 0, [("red", {0}), ("red", {0, 1})])
    analyst, manager = world["readers"][0], world["readers"][1]
    (campaign,) = Campaign.objects.all()
    assert campaign.first_group is not None
    month = f"{campaign.created_at:%Y-%m}"
    assert new_campaigns_per_month(principal=analyst, since=SINCE, until=UNTIL) == {}
    run(world, "name", 0, None)  # the first object names the analyst
    assert new_campaigns_per_month(principal=analyst, since=SINCE, until=UNTIL) == {month: 1}
    assert new_campaigns_per_month(principal=manager, since=SINCE, until=UNTIL) == {}
    run(world, "share", 1, [("green", {1})])  # a GREEN member joins: everyone sees the campaign
    assert new_campaigns_per_month(principal=manager, since=SINCE, until=UNTIL) == {month: 1}
    run(world, "revoke", 2, None)  # ... until it is revoked
    assert new_campaigns_per_month(principal=manager, since=SINCE, until=UNTIL) == {}
    run(world, "expire", 0, None)  # the RED object naming the analyst is past its retention
    assert new_campaigns_per_month(principal=analyst, since=SINCE, until=UNTIL) == {}
