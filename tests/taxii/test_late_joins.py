"""Collections that name objects date each version by when it joined them: an incremental TAXII
poller (the OASIS ``taxii2-client``, ``added_after`` set to the last ``X-TAXII-Date-Added-Last``
it saw) of an operation's collection, or of one naming a campaign, receives an old object on its
next poll once the object is linked to the operation or joins the campaign; what leaves the
collection is listed at its ``…/withdrawn/``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.analysis import services as analysis
from accord.analysis.models import Campaign, CampaignMember
from accord.operations import services as operations
from accord.sharing.models import Observable
from accord.taxii.api import MEDIA_TYPE
from accord.taxii.choices import CollectionKind
from accord.taxii.models import Departure, Membership
from accord.taxii.services import collection_create, collection_members_watch
from tests.analysis.conftest import C2_IP, MULE_IP, ip
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator
from tests.taxii.polling import Poller, marked, share

pytestmark = pytest.mark.django_db(transaction=True)

DROP_IP = "194.147.78.12"


def _poller(live_server: Any, collection_id: Any, organisation: Any) -> Poller:
    from tests.taxii.polling import Poller  # it reads the TAXII conftest's tokens

    reader = UserFactory(role="partner_reader", organisation=organisation)
    return Poller(f"{live_server.url}/taxii2/api/collections/{collection_id}/", reader)


@pytest.fixture
def operation(sharer: Any, people: Any, reader_org: Any) -> Any:
    """Operation Late Link, led by the French unit, with the reader's organisation taking part."""
    make_agreement(reader_org)
    lead = OrganisationFactory(name="French Cybercrime Office", kind="law_enforcement", sector="", country="FR")
    return operations.operation_create(
        actor=people["programme_manager"],
        name="Late Link",
        crime_types=["bec"],
        lead=lead,
        participants=[reader_org],
        start_date=timezone.localdate() - timedelta(days=3),
    )


def test_an_object_linked_to_an_operation_later_reaches_its_poller(live_server, operation, partner, people):
    analyst = people["analyst"]
    old = share(partner, marked(1, "green"))
    first = share(partner, marked(2, "green"))
    operations.operation_link_object(actor=analyst, operation=operation, stix_id=marked(2, "green")["id"])
    poller = _poller(live_server, operation.collection_id, operation.participants.exclude(pk=operation.lead_id).get())
    assert poller.poll() == first
    assert poller.poll() == set()

    operations.operation_link_object(actor=analyst, operation=operation, stix_id=marked(1, "green")["id"])
    assert Membership.objects.filter(collection_id=operation.collection_id, joined_at__isnull=False).count() == 2
    assert poller.poll() == old  # older than the cursor, yet received: it joined after it
    assert poller.poll() == set()

    # A full read lists each version once, the late-linked one at its date of joining, last.
    full = poller.collection.get_manifest()["objects"]
    assert [o["id"] for o in full] == [marked(2, "green")["id"], marked(1, "green")["id"]]
    assert full[1]["date_added"] > full[0]["date_added"]
    versions = poller.collection._conn.get(
        f"{poller.url}objects/{marked(1, 'green')['id']}/versions/", headers={"Accept": MEDIA_TYPE}
    )
    assert versions["versions"] == [full[1]["version"]]

    # Unlinked: listed as withdrawn from the collection; gone from its objects.
    operations.operation_unlink_object(actor=analyst, operation=operation, stix_id=marked(2, "green")["id"])
    assert poller.withdrawn() == first
    assert poller.poll() == set()
    assert {o["id"] for o in poller.collection.get_objects().get("objects", [])} == {marked(1, "green")["id"]}


def test_an_object_linked_again_arrives_again(live_server, operation, partner, people):
    analyst = people["analyst"]
    linked = share(partner, marked(1, "green"))
    stix_id = marked(1, "green")["id"]
    operations.operation_link_object(actor=analyst, operation=operation, stix_id=stix_id)
    poller = _poller(live_server, operation.collection_id, operation.participants.exclude(pk=operation.lead_id).get())
    assert poller.poll() == linked
    operations.operation_unlink_object(actor=analyst, operation=operation, stix_id=stix_id)
    assert poller.poll() == set()
    operations.operation_link_object(actor=analyst, operation=operation, stix_id=stix_id)
    assert poller.poll() == linked


def _campaign(value: str, *, kestrel: Any, atlas: Any, first: int) -> tuple[Campaign, set[tuple[str, str]]]:
    """A campaign of two TLP:GREEN indicators of ``value``, one shared by each organisation."""
    green = marked(0, "green")["object_marking_refs"]
    shared = share(kestrel, indicator(first, ip(value), object_marking_refs=green))
    shared |= share(atlas, indicator(first + 1, ip(value), object_marking_refs=green))
    members = CampaignMember.objects.filter(stix_object__stix_id__in=[stix_id for stix_id, _ in shared])
    found = {member.campaign_id for member in members}
    assert len(found) == 1 and members.count() == 2, found
    return Campaign.objects.get(pk=found.pop()), shared


def test_objects_that_join_a_campaign_reach_the_poller_of_its_collection(
    live_server, sharer, partner, reader_org, people
):
    make_agreement(reader_org)
    green = marked(0, "green")["object_marking_refs"]
    c2, c2s = _campaign(C2_IP, kestrel=partner, atlas=reader_org, first=3)  # the oldest
    loner = share(partner, indicator(7, ip(DROP_IP), object_marking_refs=green))  # in no campaign
    mule, mules = _campaign(MULE_IP, kestrel=partner, atlas=reader_org, first=1)
    watched = collection_create(
        kind=CollectionKind.OPERATION, alias="campaign-mule", title="Mule campaign", spec={"campaign": [mule.pk]}
    )
    poller = _poller(live_server, watched.pk, reader_org)
    assert poller.poll() == mules
    assert poller.poll() == set()

    # A new object correlates the lone, older one with the campaign: both join it.
    bridge = share(reader_org, indicator(8, f"{ip(MULE_IP)} OR {ip(DROP_IP)}", object_marking_refs=green))
    assert CampaignMember.objects.filter(campaign=mule).count() == 4
    assert poller.poll() == loner | bridge
    assert poller.poll() == set()

    # An analyst merges the older C2 campaign into the (named) mule campaign: its objects join.
    analysis.campaign_update(actor=people["analyst"], campaign=mule, name="Mule network")
    analysis.campaign_merge(actor=people["analyst"], campaign_ids=[mule.pk, c2.pk], reason="one mule network")
    assert set(CampaignMember.objects.values_list("campaign_id", flat=True)) == {mule.pk}
    assert poller.poll() == c2s
    assert poller.poll() == set()
    assert not Departure.objects.exists()
    assert len(poller.collection.get_manifest()["objects"]) == 6


def test_objects_split_off_a_campaign_are_listed_as_withdrawn_from_its_collection(
    live_server, sharer, partner, reader_org, people
):
    make_agreement(reader_org)
    mule, mules = _campaign(MULE_IP, kestrel=partner, atlas=reader_org, first=1)
    green = marked(0, "green")["object_marking_refs"]
    c2s = share(partner, indicator(3, f"{ip(MULE_IP)} OR {ip(C2_IP)}", object_marking_refs=green))
    c2s |= share(reader_org, indicator(4, ip(C2_IP), object_marking_refs=green))
    assert CampaignMember.objects.filter(campaign=mule).count() == 4
    watched = collection_create(
        kind=CollectionKind.OPERATION, alias="campaign-mule", title="Mule campaign", spec={"campaign": [mule.pk]}
    )
    poller = _poller(live_server, watched.pk, reader_org)
    assert poller.poll() == mules | c2s
    # The analyst cuts the mule address: what it held together falls apart into two campaigns.
    analysis.campaign_split(
        actor=people["analyst"],
        campaign=mule,
        observable_ids=[Observable.objects.get(value=MULE_IP).pk],
        reason="shared hosting",
    )
    kept = set(CampaignMember.objects.filter(campaign=mule).values_list("stix_object__stix_id", flat=True))
    gone = {pair for pair in mules | c2s if pair[0] not in kept}
    assert gone and poller.withdrawn() == gone
    assert poller.poll() == set()


def test_a_campaign_change_is_compared_only_in_the_collections_naming_its_campaigns(sharer, partner, reader_org):
    make_agreement(reader_org)
    c2, _ = _campaign(C2_IP, kestrel=partner, atlas=reader_org, first=3)
    mule, _ = _campaign(MULE_IP, kestrel=partner, atlas=reader_org, first=1)
    watched = collection_create(
        kind=CollectionKind.OPERATION, alias="campaign-mule", title="Mule campaign", spec={"campaign": [mule.pk]}
    )
    in_c2 = Q(pk__in=CampaignMember.objects.filter(campaign=c2).values("stix_object_id"))
    # Upkeep watches every ingest batch: a change of campaigns no collection names costs one
    # query, the one that finds no collection, and its objects are not read.
    with CaptureQueriesContext(connection) as queries:
        with collection_members_watch(cause="c2 grows", objects=in_c2, key="campaign", values=[c2.pk]):
            pass
    assert len(queries) == 1, [query["sql"] for query in queries]
    assert not Membership.objects.exists()

    # The collection naming one of the campaigns a change touches compares it.
    leaving = CampaignMember.objects.filter(campaign=mule).order_by("pk").values_list("stix_object_id", flat=True)[0]
    with collection_members_watch(cause="mule shrinks", objects=Q(pk=leaving), key="campaign", values=[c2.pk, mule.pk]):
        CampaignMember.objects.filter(stix_object_id=leaving).delete()
    assert list(Departure.objects.values_list("collection_id", "stix_object_id")) == [(watched.pk, leaving)]
