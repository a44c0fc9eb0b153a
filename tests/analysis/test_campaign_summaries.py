"""Campaign summaries kept as members join equal those computed again from every member, and a
batch joining a large campaign does not read the campaign's members."""

from __future__ import annotations

import random
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.analysis.campaign_summaries import campaigns_refresh
from accord.analysis.models import Campaign, CampaignMember
from tests.analysis.conftest import domain, ip, share
from tests.stix_samples import indicator

COLUMNS = (
    "pk",
    "first_seen",
    "last_seen",
    "objects_count",
    "observables_count",
    "organisations_count",
    "organisation_ids",
    "regions",
    "crime_types",
    "policy_groups",
    "first_group",
)
POOL = [ip(f"194.147.80.{n}") for n in range(1, 9)] + [domain(f"drop{n}-verify.info") for n in range(1, 5)]
CRIMES = ["phishing", "business_email_compromise", "ransomware", "cryptojacking"]


def _summaries() -> list[tuple[Any, ...]]:
    return list(Campaign.objects.order_by("pk").values_list(*COLUMNS))


def test_summaries_kept_as_members_join_equal_a_full_recount(api_for, sharers):
    """Random batches from two partners, each object mentioning one to three values of a small
    pool (so campaigns are created, grow and merge), with crime types and fresh values: after
    every batch the summaries equal those of a recount from all members."""
    kestrel, atlas = api_for(sharers[0]), api_for(sharers[1])
    rng = random.Random(20261206)  # noqa: S311 - test data
    number = 0
    for batch in range(12):
        objects = []
        for _ in range(rng.randint(1, 6)):
            number += 1
            values = rng.sample(POOL, rng.randint(1, 3)) + [ip(f"194.147.90.{number}")]  # and one of its own
            pattern = " OR ".join(f"{v[1:-1]}" for v in values)
            when = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00.000Z"
            objects.append(indicator(number, f"[{pattern}]", labels=[rng.choice(CRIMES)], created=when, modified=when))
        share(kestrel if batch % 3 else atlas, *objects)
        kept = _summaries()
        campaigns_refresh()
        assert _summaries() == kept, f"after batch {batch}"
    assert Campaign.objects.filter(organisations_count=2).exists()  # the scenario did join both partners


def test_joining_a_large_campaign_reads_only_what_joins(api_for, sharers):
    """A campaign of 60 objects gains one: the summary is brought up to date without reading
    the 60 members (no query returns that many rows)."""
    kestrel, atlas = api_for(sharers[0]), api_for(sharers[1])
    hub = "194.147.81.1"
    patterns = [f"[ipv4-addr:value = '{hub}' OR ipv4-addr:value = '194.147.82.{n}']" for n in range(1, 61)]
    share(kestrel, *(indicator(n, pattern) for n, pattern in enumerate(patterns, start=1)))
    (campaign,) = Campaign.objects.all()
    assert campaign.objects_count == 60
    with CaptureQueriesContext(connection) as queries:
        share(atlas, indicator(100, f"[ipv4-addr:value = '{hub}' OR domain-name:value = 'new-drop.info']"))
    campaign.refresh_from_db()
    assert (campaign.objects_count, campaign.organisations_count, campaign.observables_count) == (61, 2, 62)
    reading_members = [q["sql"] for q in queries if "analysis_campaignmember" in q["sql"] and "GROUP BY" in q["sql"]]
    assert reading_members == []  # no recount of the campaign's members
    assert CampaignMember.objects.filter(campaign=campaign).count() == 61
