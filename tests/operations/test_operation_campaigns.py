"""Campaigns linked to an operation follow the analysis app as data arrives: a campaign that
grows after linking brings its new member into the operation's TAXII collection without any
change to the operation, and a link follows its campaign when it is merged into another (by a
bridging object, an analyst's merge, or a rebuild)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.analysis.models import Campaign, CampaignBridge, CampaignMember
from accord.analysis.selectors import campaign_list
from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.operations.models import OperationCampaign
from accord.policy import Action, decide, principal_context
from accord.sharing.models import StixObject
from accord.taxii.services import collections_sync
from tests.analysis.conftest import C2_IP, MULE_IP, PHISH, domain, ip, share
from tests.factories import UserFactory, make_agreement
from tests.operations.conftest import API, login, unit
from tests.stix_samples import indicator
from tests.taxii.conftest import Taxii, secret_for


@pytest.fixture
def setting(api_for, partner, other_partner, people, settings, tmp_path):
    """Kestrel and Atlas share under agreements allowing attribution; both take part in an
    operation led by the French unit."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner)
    collections_sync()
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    body = {
        "name": "Mule Hunt",
        "crime_types": ["bec"],
        "lead": unit("FR", "French Cybercrime Office").pk,
        "participants": [partner.pk, other_partner.pk],
        "start_date": str(timezone.localdate() - timedelta(days=3)),
    }
    created = api_for("programme_manager").post(f"{API}operations/", body, format="json")
    assert created.status_code == 201, created.content
    return {"kestrel": people["partner_contributor"], "banker": banker, "operation": created.json()}


def served(reader: Any, operation: dict[str, Any]) -> set[str]:
    response = Taxii(reader, secret_for(reader)).get(f"collections/operation-{operation['codename']}/objects/")
    assert response.status_code == 200, response.content
    return {o["id"] for o in response.json().get("objects", [])}


def link(api_for: Any, operation: dict[str, Any], campaign: Campaign) -> None:
    url = f"{API}operations/{operation['id']}/campaigns/"
    response = api_for("analyst").post(url, {"campaign": campaign.pk}, format="json")
    assert response.status_code == 201, response.content


def test_a_campaign_that_grows_after_linking_brings_its_new_member(api_for, setting):
    kestrel, banker, operation = setting["kestrel"], setting["banker"], setting["operation"]
    share(api_for(kestrel), indicator(1, ip(MULE_IP)))
    share(api_for(banker), indicator(2, ip(MULE_IP)))
    link(api_for, operation, Campaign.objects.get())
    first, second, third = (indicator(n, "")["id"] for n in (1, 2, 3))
    assert served(banker, operation) >= {second}
    assert third not in served(banker, operation)

    share(api_for(banker), indicator(3, f"{ip(MULE_IP)} OR {ip(C2_IP)}"))  # joins the campaign
    assert Campaign.objects.get().objects_count == 3
    assert third in served(banker, operation)
    for reader in (kestrel, banker):  # as far as the policy lets each participant take it
        wanted = {
            o.stix_id for o in StixObject.objects.all() if decide(principal_context(reader), o, Action.EXPORT).allowed
        }
        assert served(reader, operation) == wanted & {first, second, third}
        listed = {o["stix_id"] for o in api_for(reader).get(f"{API}operations/{operation['id']}/objects/").json()}
        assert (
            third in listed
            or not decide(principal_context(reader), StixObject.objects.get(stix_id=third), Action.VIEW).allowed
        )
    assert {first, third} <= {
        o["stix_id"] for o in api_for("analyst").get(f"{API}operations/{operation['id']}/objects/").json()
    }


def _two_campaigns(api_for: Any, setting: dict[str, Any]) -> tuple[Campaign, Campaign]:
    share(api_for(setting["kestrel"]), indicator(1, ip(MULE_IP)), indicator(2, ip(MULE_IP)))
    share(api_for(setting["banker"]), indicator(3, domain(PHISH)), indicator(4, domain(PHISH)))
    older, newer = Campaign.objects.order_by("pk")
    return older, newer


def test_the_link_follows_a_merge_by_a_bridging_object(api_for, setting):
    operation = setting["operation"]
    survivor, absorbed = _two_campaigns(api_for, setting)  # equal sizes: the older one absorbs
    link(api_for, operation, absorbed)
    share(api_for(setting["banker"]), indicator(5, f"{ip(MULE_IP)} OR {domain(PHISH)}"))
    assert list(Campaign.objects.values_list("pk", flat=True)) == [survivor.pk]
    assert list(OperationCampaign.objects.values_list("campaign_id", flat=True)) == [survivor.pk]
    listed = api_for("analyst").get(f"{API}operations/{operation['id']}/campaigns/").json()
    assert [(c["id"], c["objects_seen"]) for c in listed] == [(survivor.pk, 5)]
    assert served(setting["banker"], operation) >= {indicator(n, "")["id"] for n in (3, 4, 5)}
    event = AuditEvent.objects.get(action="governance.operation.campaign_merged")
    assert event.details == {"campaign": survivor.pk, "absorbed": [absorbed.pk]}


def test_an_analysts_merge_keeps_one_link_per_operation(api_for, setting):
    operation = setting["operation"]
    survivor, absorbed = _two_campaigns(api_for, setting)
    link(api_for, operation, survivor)
    link(api_for, operation, absorbed)
    response = api_for("analyst").post(
        "/api/v1/campaigns/merge/",
        {"campaigns": [absorbed.pk, survivor.pk], "reason": "Same mule herder."},
        format="json",
    )
    assert response.status_code == 200, response.content
    kept = response.json()["id"]
    assert list(OperationCampaign.objects.values_list("campaign_id", flat=True)) == [kept]
    spec = OperationCampaign.objects.get().operation.collection.spec
    assert spec == {"stix_id": [], "campaign": [kept]}


def test_a_rebuild_that_joins_two_campaigns_keeps_the_links(api_for, setting):
    operation = setting["operation"]
    older, newer = _two_campaigns(api_for, setting)
    share(api_for(setting["kestrel"]), indicator(6, ip(MULE_IP)))  # the older one is now the larger
    link(api_for, operation, newer)
    members = dict(CampaignMember.objects.values_list("campaign_id", "stix_object_id"))
    CampaignBridge.objects.create(object_a_id=members[older.pk], object_b_id=members[newer.pk], reason="Same ring.")
    call_command("analysis", "rebuild")
    kept = Campaign.objects.get()
    assert kept.pk == older.pk  # the newer campaign was dropped: its members went to the older
    assert AuditEvent.objects.filter(action="governance.operation.campaign_merged").count() == 1
    assert list(OperationCampaign.objects.values_list("campaign_id", flat=True)) == [kept.pk]
    banker = setting["banker"]
    wanted = {
        o.stix_id for o in StixObject.objects.all() if decide(principal_context(banker), o, Action.EXPORT).allowed
    }
    assert served(banker, operation) == wanted >= {indicator(n, "")["id"] for n in (3, 4)}
    assert OperationCampaign.objects.get().operation.collection.spec["campaign"] == [kept.pk]


def test_the_operation_page_lists_and_links_campaigns(api_for, setting, people):
    operation = setting["operation"]
    # GREEN, so that Atlas sees both objects the campaign joins (its own alone would be no campaign)
    share(api_for(setting["kestrel"]), indicator(1, ip(MULE_IP), object_marking_refs=[TLP2_IDS["green"]]))
    share(api_for(setting["banker"]), indicator(2, ip(MULE_IP)))
    campaign = Campaign.objects.get()
    campaign.name = "Gulf mule ring"
    campaign.save()
    page = f"/governance/operations/{operation['id']}/"
    analyst = login(people["analyst"])
    response = analyst.post(page, {"op": "link_campaign", "campaign": "999999"}, follow=True)
    assert "campaign: no campaign 999999 that you may see" in response.content.decode()
    assert not OperationCampaign.objects.exists()
    response = analyst.post(page, {"op": "link_campaign", "campaign": str(campaign.pk)}, follow=True)
    assert "Campaign linked." in response.content.decode()
    assert OperationCampaign.objects.get().linked_by == people["analyst"]
    seen = login(setting["banker"]).get(page).content.decode()
    # a partner reads its own campaign holding the members, not the analysts' name (docs/analysis.md)
    (own,) = campaign_list(principal=setting["banker"])
    assert own.name in seen and "Gulf mule ring" not in seen
    assert 'name="op" value="link_campaign"' not in seen  # read, not link
    response = analyst.post(page, {"op": "unlink_campaign", "campaign": str(campaign.pk)}, follow=True)
    assert "Campaign unlinked." in response.content.decode()
    assert "Gulf mule ring" not in login(setting["banker"]).get(page).content.decode()
