"""Two transactions keeping campaigns at once on PostgreSQL: one merges a campaign away (as an
ingest batch does when its links join two campaigns) while the other's ingest adds members to
it. The ingest waits for the merge to commit, then joins the surviving campaign; it neither
fails (a member of a deleted campaign, refused at commit) nor leaves a member pointing at
nothing."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction

from accord.analysis import campaigns
from accord.analysis.campaign_summaries import campaigns_refresh
from accord.analysis.models import Campaign, CampaignMember
from accord.sharing.models import StixObject
from tests.analysis.conftest import DROP, MULE_IP, domain, ip, share, waits_for_a_lock
from tests.stix_samples import indicator

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the two transactions are on two connections
    pytest.mark.skipif(
        not os.environ.get("ACCORD_DATABASE_URL", "").startswith("postgres"),
        reason="SQLite has one writer at a time: the two transactions cannot overlap there",
    ),
]


def _campaign_of(number: int) -> int:
    stix_id = indicator(number, "")["id"]
    return CampaignMember.objects.get(stix_object__stix_id=stix_id).campaign_id


def test_an_ingest_joining_a_campaign_being_merged_away_joins_the_survivor(api_for, sharers):
    kestrel, banker = api_for(sharers[0]), api_for(sharers[1])
    share(kestrel, indicator(1, ip(MULE_IP)), indicator(2, ip(MULE_IP)))
    share(banker, indicator(3, domain(DROP)), indicator(4, domain(DROP)), indicator(5, domain(DROP)))
    absorbed, survivor = _campaign_of(1), _campaign_of(3)  # the larger campaign survives a merge
    assert absorbed != survivor

    merging, release, started = threading.Event(), threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def merge() -> None:
        try:
            # The merge step of an ingest whose batch joins the two campaigns, its transaction
            # still open (a long ingest's is). Not the analysts' merge service: its audit record
            # would hold the audit chain's head, and every other audited write waits for that.
            with transaction.atomic():
                assert campaigns._merge([absorbed, survivor]) == survivor
                campaigns.campaigns_refresh([survivor])
                merging.set()
                release.wait(120)
        except Exception as error:  # noqa: BLE001 - reported by the test below
            outcome["merge"] = error
        finally:
            merging.set()
            connections.close_all()

    def ingest() -> None:
        try:
            connection.ensure_connection()
            outcome["pid"] = connection.connection.info.backend_pid
            started.set()
            outcome["ingest"] = share(kestrel, indicator(6, ip(MULE_IP)))  # joins objects 1 and 2
        except BaseException as error:  # noqa: BLE001 - an AssertionError on a 500 too
            outcome["ingest"] = error
        finally:
            started.set()
            connections.close_all()

    merger = threading.Thread(target=merge)
    merger.start()
    assert merging.wait(60)
    ingester = threading.Thread(target=ingest)
    ingester.start()
    assert started.wait(60)
    waited = waits_for_a_lock(outcome)
    release.set()
    merger.join(120)
    ingester.join(120)

    assert waited, "the ingest did not wait for the merge"
    assert "merge" not in outcome, outcome
    assert isinstance(outcome.get("ingest"), dict), outcome.get("ingest")
    assert not Campaign.objects.filter(pk=absorbed).exists()
    assert {_campaign_of(n) for n in range(1, 7)} == {survivor}
    assert not CampaignMember.objects.exclude(campaign_id__in=Campaign.objects.values("pk")).exists()
    kept = list(Campaign.objects.values_list("pk", "objects_count", "observables_count", "organisations_count"))
    campaigns_refresh()
    assert list(Campaign.objects.values_list("pk", "objects_count", "observables_count", "organisations_count")) == kept
    assert StixObject.objects.count() == 6
