"""Campaign merges are told to the organisations whose data belongs to the result: each person of
them learns of the objects from the other campaigns that they may read (the policy decides),
and never of another organisation's name, whether an analyst merged or shared data joined them."""

from __future__ import annotations

from typing import Any

from accord.analysis.models import Campaign
from accord.notifications.models import Notification
from tests.analysis.conftest import CAMPAIGNS, DROP, GREEN, MULE_IP, PHISH, domain, ip, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator

INBOX = "/api/v1/notifications/"


def merge_notices(client: Any) -> list[dict[str, Any]]:
    """The merge notices in a person's inbox, each with the STIX ids it lists (``objects``)."""
    rows = client.get(INBOX, {"event_type": "campaign.grew"}).json()["results"]
    found = [r for r in rows if "merged" in r["title"]]
    for row in found:
        row["objects"] = [line[2:] for line in row["body"].splitlines() if line.startswith("- ")]
    return found


def two_campaigns(api_for: Any, kestrel: Any, banker: Any) -> tuple[Campaign, Campaign]:
    """Kestrel's campaign (a GREEN and an AMBER indicator) and the bank's (likewise)."""
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN), indicator(2, ip(MULE_IP)))
    share(api_for(banker), indicator(3, domain(PHISH), object_marking_refs=GREEN), indicator(4, domain(PHISH)))
    first, second = Campaign.objects.order_by("pk")
    return first, second


def test_an_analysts_merge_tells_each_contributor_what_it_may_read_of_the_other_side(
    api_for, sharers, people, django_capture_on_commit_callbacks
):
    kestrel, banker = sharers
    first, second = two_campaigns(api_for, kestrel, banker)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        merged = api_for("analyst").post(
            f"{CAMPAIGNS}merge/", {"campaigns": [first.pk, second.pk], "reason": "Same mule herder."}, format="json"
        )
    assert merged.status_code == 200, merged.content

    (to_kestrel,) = merge_notices(api_for(kestrel))
    # the bank's GREEN indicator only: its AMBER one is not for Kestrel, nor Kestrel's own objects
    assert to_kestrel["objects"] == [indicator(3, "")["id"]]
    assert "1 object(s)" in to_kestrel["title"]
    (to_bank,) = merge_notices(api_for(banker))
    assert to_bank["objects"] == [indicator(1, "")["id"]]
    for notice in (to_kestrel, to_bank):
        words = f"{notice['title']} {notice['body']}"
        assert "Atlas" not in words and "Kestrel" not in words  # no organisation named
        assert indicator(2, "")["id"] not in words and indicator(4, "")["id"] not in words
    # a reader of Kestrel is told too, as far as it may read
    assert [n["objects"] for n in merge_notices(api_for("partner_reader", scopes=("read",)))] == [
        [indicator(3, "")["id"]]
    ]


def test_shared_data_that_joins_two_campaigns_tells_their_contributors_of_each_other(
    api_for, sharers, django_capture_on_commit_callbacks
):
    """Upkeep merges when a third partner's object links both campaigns: Kestrel and the bank
    each learn what joined from the other campaign (and from the third partner's object, as
    after any ingest), never who shared it."""
    kestrel, banker = sharers
    two_campaigns(api_for, kestrel, banker)
    third = OrganisationFactory(name="Orchid Telecom", country="SG", sector="telecom")
    make_agreement(third)
    telco = UserFactory(organisation=third, role="partner_contributor", username="telco")
    Notification.objects.all().delete()
    joining = indicator(5, f"{ip(MULE_IP)} OR {domain(PHISH)} OR {domain(DROP)}", object_marking_refs=GREEN)
    with django_capture_on_commit_callbacks(execute=True):
        share(api_for(telco), joining)
    assert Campaign.objects.count() == 1

    (to_kestrel,) = merge_notices(api_for(kestrel))
    assert to_kestrel["objects"] == [indicator(3, "")["id"]]
    (to_bank,) = merge_notices(api_for(banker))
    assert to_bank["objects"] == [indicator(1, "")["id"]]
    for notice in (to_kestrel, to_bank):
        assert "Orchid" not in f"{notice['title']} {notice['body']}"
    # the sharer's organisation had data in neither campaign: nothing merged with its data
    assert not merge_notices(api_for(telco))
