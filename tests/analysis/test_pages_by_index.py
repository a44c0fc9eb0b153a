"""Campaign, observable and correlation pages read by index (issue 20 item 3, issue 19 item 10):
a campaign's members come a page at a time from a position, a host reader's "objects you see"
is counted no further than a cap, a partner's observables walk its latest mentions and its
correlations are kept per reader, following the store as it changes. Through the pages and
the API, as their readers get them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.analysis import campaign_reads
from accord.formats.markings import TLP2_IDS
from tests.analysis.conftest import CAMPAIGNS, CORRELATIONS, ip, share
from tests.factories import UserFactory, make_agreement
from tests.stix_samples import indicator

OBSERVABLES = "/api/v1/observables/"
CHAIN = 7  # objects in the campaign, each sharing an address with the next


def chain_link(n: int, **extra: Any) -> dict[str, Any]:
    return indicator(n, f"{ip(f'194.147.80.{n}')} OR {ip(f'194.147.80.{n + 1}')}", labels=["phishing"], **extra)


@pytest.fixture
def world(api_for, partner, other_partner, people, settings, tmp_path) -> dict[str, Any]:
    """Kestrel (the reader's organisation) and Atlas (shares TLP:GREEN), an analyst and a reader."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    analyst, reader = Client(), Client()
    analyst.force_login(people["analyst"])
    reader.force_login(people["partner_reader"])
    return {
        "kestrel": api_for("partner_contributor"),
        "atlas": api_for(banker),
        "analyst api": api_for("analyst"),
        "reader api": api_for(people["partner_reader"]),
        "analyst": analyst,
        "reader": reader,
    }


def members_on(response: Any) -> list[str]:
    return re.findall(r'data-testid="member"><td><a href="/shared/([^/]+)/"', response.content.decode())


def test_a_campaign_page_shows_its_members_a_page_at_a_time(world, monkeypatch):
    """The page walks the members from a position (``after``), a page of them at a time, each
    once, and says where the next page starts; it asks the database as often on every page."""
    share(world["kestrel"], *(chain_link(n) for n in range(1, CHAIN + 1)))
    campaign = world["analyst api"].get(CAMPAIGNS).json()["results"][0]
    assert campaign["objects_count"] == CHAIN
    monkeypatch.setattr(campaign_reads, "MEMBERS_SHOWN", 3)
    path, seen, costs = f"/analysis/campaigns/{campaign['id']}/", [], []
    while path:
        with CaptureQueriesContext(connection) as queries:
            response = world["analyst"].get(path)
        assert response.status_code == 200
        costs.append(len(queries))
        seen.append(members_on(response))
        following = re.search(r'href="(\?after=\d+)" data-testid="members-next"', response.content.decode())
        path = f"/analysis/campaigns/{campaign['id']}/{following.group(1)}" if following else ""
    assert [len(page) for page in seen] == [3, 3, 1]
    every = [stix_id for page in seen for stix_id in page]
    assert len(set(every)) == CHAIN and every == sorted(every)  # in the order they were stored
    assert len(set(costs)) == 1, costs


def test_a_campaign_page_lists_no_member_its_reader_may_not_see(world, monkeypatch):
    """A member the reader may not see is passed over by the walk: neither listed nor counted."""
    share(world["atlas"], *(chain_link(n, object_marking_refs=[TLP2_IDS["green"]]) for n in (1, 2)))
    share(world["atlas"], chain_link(3, object_marking_refs=[TLP2_IDS["red"]]))  # naming nobody: host staff only
    share(world["atlas"], chain_link(4, object_marking_refs=[TLP2_IDS["green"]]))
    campaign = world["analyst api"].get(CAMPAIGNS).json()["results"][0]
    assert campaign["objects_count"] == 4
    response = world["analyst"].get(f"/analysis/campaigns/{campaign['id']}/")
    assert len(members_on(response)) == campaign["objects_seen"] == 3  # the RED one names nobody: not seen
    monkeypatch.setattr(campaign_reads, "MEMBERS_SHOWN", 1)
    response = world["analyst"].get(f"/analysis/campaigns/{campaign['id']}/")
    assert len(members_on(response)) == 1 and b'data-testid="members-next"' in response.content


def test_a_host_readers_count_of_members_seen_stops_at_the_cap(world, monkeypatch):
    """Past the cap the figure says "more than", beside the kept total, in the list, the page
    and the API; below it, it is exact."""
    share(world["kestrel"], *(chain_link(n) for n in range(1, CHAIN + 1)))
    api = world["analyst api"]
    exact = api.get(CAMPAIGNS).json()["results"][0]
    assert (exact["objects_seen"], exact["objects_seen_capped"]) == (CHAIN, False)
    monkeypatch.setattr(campaign_reads, "SEEN_COUNT_CAP", 5)
    capped = api.get(CAMPAIGNS).json()["results"][0]
    assert (capped["objects_seen"], capped["objects_seen_capped"], capped["objects_count"]) == (5, True, CHAIN)
    assert capped["organisations_seen"] == 1
    listed = world["analyst"].get("/analysis/campaigns/").content.decode()
    assert "more than 5" in listed
    page = world["analyst"].get(f"/analysis/campaigns/{capped['id']}/").content.decode()
    assert re.search(r"more than 5 of\s+7", page)


def test_a_partners_correlations_follow_the_store(world):
    """Kept per reader, its correlations are computed again when the store changes: another
    organisation's object it may see adds one, its revocation takes it away again."""
    kestrel, atlas, reader = world["kestrel"], world["atlas"], world["reader api"]
    share(kestrel, indicator(1, ip("194.147.81.1"), labels=["phishing"]), indicator(2, ip("194.147.81.2")))
    share(atlas, indicator(3, ip("194.147.81.1"), object_marking_refs=[TLP2_IDS["green"]]))

    def values() -> list[str]:
        return [row["value"] for row in reader.get(CORRELATIONS).json()["results"]]

    assert values() == ["194.147.81.1"]
    assert values() == ["194.147.81.1"]  # read again from the kept rows
    late = indicator(4, ip("194.147.81.2"), object_marking_refs=[TLP2_IDS["green"]])
    share(atlas, late)
    assert values() == ["194.147.81.1", "194.147.81.2"]
    revoked = atlas.post(f"/api/v1/objects/{late['id']}/revoke/", {"reason": "mistake"}, format="json")
    assert revoked.status_code == 200, revoked.content
    assert values() == ["194.147.81.1"]


def test_a_partners_observables_come_by_its_latest_mention(world, django_assert_max_num_queries):
    """Newest first by the latest object it may see that mentions each value: a later mention it
    may see moves a value to the top, one it may not see moves nothing; each value once."""
    kestrel, atlas, reader = world["kestrel"], world["atlas"], world["reader api"]
    share(kestrel, indicator(1, ip("194.147.81.10")))
    share(kestrel, indicator(2, ip("194.147.81.11")))

    def order() -> list[str]:
        with django_assert_max_num_queries(9):
            return [row["value"] for row in reader.get(OBSERVABLES).json()["results"]]

    assert order() == ["194.147.81.11", "194.147.81.10"]
    share(atlas, indicator(3, ip("194.147.81.10"), object_marking_refs=[TLP2_IDS["amber+strict"]]))
    assert order() == ["194.147.81.11", "194.147.81.10"]  # not seen: nothing moves
    share(atlas, indicator(4, ip("194.147.81.10"), object_marking_refs=[TLP2_IDS["green"]]))
    assert order() == ["194.147.81.10", "194.147.81.11"]
    assert reader.get(OBSERVABLES, {"ordering": "last_seen"}).json()["results"][0]["value"] == "194.147.81.11"
    page = world["reader"].get("/observables/").content.decode()
    assert page.index("194.147.81.10") < page.index("194.147.81.11")


def test_a_partners_correlations_follow_expiry_and_the_purge(world):
    """The kept rows are judged fresh without counting the store: an object passing its
    retention takes its correlation away on the next read, even when the daily purge deletes
    another expired object in the same moment (as many expired versions as before). A
    retention ends as time passes: the stored end is now, after the last read."""
    from django.utils import timezone

    from accord.sharing.models import StixObject
    from accord.sharing.services import retention_purge

    kestrel, atlas, reader = world["kestrel"], world["atlas"], world["reader api"]
    share(kestrel, indicator(1, ip("194.147.83.1")), indicator(2, ip("194.147.83.2")))
    first = indicator(3, ip("194.147.83.1"), object_marking_refs=[TLP2_IDS["green"]])
    second = indicator(4, ip("194.147.83.2"), object_marking_refs=[TLP2_IDS["green"]])
    share(atlas, first, second)

    def values() -> list[str]:
        return sorted(row["value"] for row in reader.get(CORRELATIONS).json()["results"])

    assert values() == ["194.147.83.1", "194.147.83.2"]
    StixObject.objects.filter(stix_id=first["id"]).update(expires_at=timezone.now())  # its retention ends
    assert values() == ["194.147.83.2"]
    # the purge deletes the first while the second's retention ends: one expired version, as before
    retention_purge()
    StixObject.objects.filter(stix_id=second["id"]).update(expires_at=timezone.now())
    assert StixObject.objects.filter(expires_at__lte=timezone.now()).count() == 1
    assert values() == []
