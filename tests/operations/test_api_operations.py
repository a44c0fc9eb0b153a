"""Joint operations through the API and TAXII: participants, linked intelligence read through
the policy (a matrix of participants × objects checked against ``decide``), the operation's own
TAXII collection, outcomes and their totals."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.analysis.models import Campaign, CampaignMember, Correlation
from accord.core.models import AuditEvent
from accord.operations.models import Operation, OperationCampaign, OperationObject, OperationOutcome
from accord.policy import Action, decide, principal_context
from accord.sharing.models import ObjectObservable, Observable, StixObject
from accord.taxii.models import Collection
from accord.taxii.services import collections_sync
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.operations.conftest import API, unit
from tests.taxii.conftest import Taxii, secret_for

CATEGORIES = ["technical_indicator", "financial_identifier", "personal_data"]
TLPS = ["clear", "green", "amber", "amber+strict", "red"]


def share(originator: Any, n: int, *, tlp: str, category: str) -> StixObject:
    now = timezone.now()
    return StixObject.objects.create(
        stix_id=f"indicator--00000000-0000-4000-8000-{n:012}",
        type="indicator",
        created=now,
        modified=now,
        body={"type": "indicator", "id": f"indicator--00000000-0000-4000-8000-{n:012}", "spec_version": "2.1"},
        organisation=originator,
        agreement=originator.agreements.first(),
        tlp=tlp,
        data_category=category,
        crime_type="bec",
    )


@pytest.fixture
def world(db, host, people, partner, kenya, france):
    """Atlas Bank shares BEC intelligence, onward to law enforcement and private partners.
    Participants: Kenya (broad terms), Kestrel (narrow terms: GREEN, technical indicators),
    France (no agreement). Brazil is not in the operation."""
    atlas = OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance")
    make_agreement(atlas, onward_kinds=["law_enforcement", "private"], tlp_ceiling="red")
    make_agreement(kenya, tlp_ceiling="amber")
    make_agreement(partner, tlp_ceiling="green", data_categories=["technical_indicator"])
    brazil = unit("BR", "Brazil Federal Cybercrime Division")
    make_agreement(brazil)
    collections_sync()
    objects = [
        share(atlas, n, tlp=tlp, category=category)
        for n, (tlp, category) in enumerate(itertools.product(TLPS, CATEGORIES))
    ]
    readers = {
        "kenya": UserFactory(username="a.njeri", organisation=kenya, role="partner_reader"),
        "kestrel": people["partner_reader"],
        "france": UserFactory(username="f.dupont", organisation=france, role="partner_reader"),
        "brazil": UserFactory(username="l.almeida", organisation=brazil, role="partner_reader"),
    }
    return {"objects": objects, "readers": readers, "kenya": kenya, "kestrel": partner, "france": france}


def create(api: Any, lead: Any, participants: list[Any], **extra: Any) -> Any:
    body = {
        "name": "First Light",
        "crime_types": ["bec", "phishing"],
        "lead": lead.pk,
        "participants": [p.pk for p in participants],
        "start_date": str(timezone.localdate() - timedelta(days=10)),
    }
    return api.post(f"{API}operations/", body | extra, format="json")


@pytest.fixture
def operation(api_for, world):
    api = api_for("programme_manager")
    created = create(api, world["kenya"], [world["kestrel"], world["france"]])
    assert created.status_code == 201, created.content
    return created.json()


def test_linking_needs_the_linker_to_see_the_object(api_for, world, operation):
    api = api_for("programme_manager")
    url = f"{API}operations/{operation['id']}/objects/"
    red = next(o for o in world["objects"] if o.tlp == "red")
    response = api.post(url, {"stix_id": red.stix_id}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("stix_id: no object")
    assert api.post(url, {"stix_id": "indicator--nothing"}, format="json").status_code == 400
    assert not OperationObject.objects.exists()
    amber = next(o for o in world["objects"] if o.tlp == "amber")
    assert api.post(url, {"stix_id": amber.stix_id}, format="json").status_code == 201
    assert api.post(url, {"stix_id": amber.stix_id}, format="json").status_code == 400  # linked once
    assert api_for("partner_contributor").post(url, {"stix_id": amber.stix_id}, format="json").status_code == 403
    assert AuditEvent.objects.filter(action="governance.operation.link").count() == 1


def _link_everything_visible(api_for, world, operation):
    api = api_for("admin")
    url = f"{API}operations/{operation['id']}/objects/"
    linked = []
    for obj in world["objects"]:
        if api.post(url, {"stix_id": obj.stix_id}, format="json").status_code == 201:
            linked.append(obj)
    assert {o.tlp for o in linked} == {"clear", "green", "amber", "amber+strict"}  # the admin is not named on RED
    return linked


def test_participants_see_the_linked_intelligence_their_agreements_allow(api_for, world, operation):
    linked = _link_everything_visible(api_for, world, operation)
    url = f"{API}operations/{operation['id']}/objects/"
    expected = {
        "kenya": {(t, c) for t in ("clear", "green", "amber") for c in CATEGORIES},
        "kestrel": {("clear", c) for c in CATEGORIES} | {("green", "technical_indicator")},
        "france": {("clear", c) for c in CATEGORIES},
    }
    for who, allowed in expected.items():
        reader = world["readers"][who]
        seen = {(o["tlp"], o["data_category"]) for o in api_for(reader).get(url).json()}
        assert seen == allowed, who
        # The same answer as the per-object decision, for every linked object.
        for obj in linked:
            assert ((obj.tlp, obj.data_category) in seen) == decide(
                principal_context(reader), obj, Action.VIEW
            ).allowed, (who, obj.tlp)
    # Not a participant: the operation does not exist for them.
    assert api_for(world["readers"]["brazil"]).get(url).status_code == 404
    assert api_for(world["readers"]["brazil"]).get(f"{API}operations/").json()["count"] == 0


def test_the_operation_has_a_taxii_collection_for_its_participants_only(api_for, world, operation):
    linked = _link_everything_visible(api_for, world, operation)
    alias = f"operation-{operation['codename']}"
    path = f"collections/{alias}/objects/"
    for who in ("kenya", "kestrel", "france"):
        reader = world["readers"][who]
        taxii = Taxii(reader, secret_for(reader))
        response = taxii.get(path)
        assert response.status_code == 200, (who, response.content)
        served = {o["id"] for o in response.json().get("objects", [])}
        allowed = {o.stix_id for o in linked if decide(principal_context(reader), o, Action.EXPORT).allowed}
        assert served == allowed, who
    assert served  # France still gets the TLP:CLEAR ones
    kenya = world["readers"]["kenya"]
    assert len(Taxii(kenya, secret_for(kenya)).get(path).json()["objects"]) == 9
    brazil = world["readers"]["brazil"]
    taxii = Taxii(brazil, secret_for(brazil))
    assert taxii.get(path).status_code == 404
    listed = {c["alias"] for c in taxii.get("collections/").json()["collections"]}
    assert "shared" in listed and alias not in listed

    # Unlinking takes the object out of the collection; a new participant can read it.
    api = api_for("programme_manager")
    first = linked[0]
    assert (
        api.delete(f"{API}operations/{operation['id']}/objects/", {"stix_id": first.stix_id}, format="json").status_code
        == 204
    )
    assert first.stix_id not in {o["id"] for o in Taxii(kenya, secret_for(kenya)).get(path).json()["objects"]}
    brazil_org = brazil.organisation
    members = [world["kestrel"].pk, world["france"].pk, brazil_org.pk]
    api.post(f"{API}operations/{operation['id']}/participants/", {"participants": members}, format="json")
    assert taxii.get(path).status_code == 200


def test_operation_rules(api_for, world, partner):
    api = api_for("programme_manager")
    response = create(api, partner, [], name="Led by a company")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("lead:")
    response = create(api, world["kenya"], [], crime_types=["jaywalking"])
    assert response.status_code == 400
    assert api_for("partner_contributor").post(f"{API}operations/", {}, format="json").status_code == 403
    assert not Operation.objects.exists()


def test_outcomes_are_recorded_over_time_and_totalled(api_for, world, operation):
    api = api_for("programme_manager")
    base = f"{API}operations/{operation['id']}/"
    today = str(timezone.localdate())
    response = api.post(base + "outcomes/", {"date": today, "arrests": 2}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("status:")
    response = api.post(base + "transition/", {"to": "closed", "closing_summary": "x"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("to:")
    assert api.post(base + "transition/", {"to": "active"}, format="json").json()["status"] == "active"

    response = api.post(base + "outcomes/", {"date": today, "arrests": -1}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("arrests:")
    response = api.post(base + "outcomes/", {"date": today, "funds_frozen": "-5.00", "currency": "USD"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("funds_frozen:")
    response = api.post(base + "outcomes/", {"date": today, "funds_frozen": "5000.00"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("currency:")
    assert not OperationOutcome.objects.exists()

    figures = [
        {"arrests": 3, "searches": 5, "domains_taken_down": 40, "funds_frozen": "125000.00", "currency": "USD"},
        {"arrests": 1, "accounts_blocked": 12, "funds_recovered": "8000.50", "currency": "kes", "country": "KE"},
        {"victims_identified": 210, "victims_notified": 180, "devices_remediated": 75, "servers_taken_down": 2},
        {"funds_frozen": "500.00", "funds_recovered": "250.00", "currency": "USD"},
    ]
    for body in figures:
        assert api.post(base + "outcomes/", {"date": today} | body, format="json").status_code == 201
    totals = api.get(base + "dashboard/").json()
    assert totals["outcomes"] == 4
    assert (totals["arrests"], totals["searches"], totals["domains_taken_down"]) == (4, 5, 40)
    assert (totals["victims_identified"], totals["victims_notified"], totals["devices_remediated"]) == (210, 180, 75)
    assert totals["funds"] == {
        "KES": {"frozen": "0.00", "recovered": "8000.50"},
        "USD": {"frozen": "125500.00", "recovered": "250.00"},
    }
    # Participants read the dashboard; they do not record outcomes.
    kenya = api_for(world["readers"]["kenya"])
    assert kenya.get(base + "dashboard/").json()["arrests"] == 4
    assert kenya.post(base + "outcomes/", {"date": today, "arrests": 1}, format="json").status_code == 403

    response = api.post(base + "transition/", {"to": "closed"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("closing_summary:")
    closed = api.post(base + "transition/", {"to": "closed", "closing_summary": "Network dismantled."}, format="json")
    assert closed.json()["status"] == "closed" and closed.json()["end_date"] == today


def test_phases_lie_within_the_operation(api_for, operation):
    api = api_for("programme_manager")
    url = f"{API}operations/{operation['id']}/phases/"
    start = timezone.localdate() - timedelta(days=10)
    ok = {"name": "Action days", "start_date": str(start), "end_date": str(start + timedelta(days=3))}
    assert api.post(url, ok, format="json").json()["phases"][0]["name"] == "Action days"
    early = ok | {"start_date": str(start - timedelta(days=1))}
    assert api.post(url, early, format="json").status_code == 400


def test_operation_list_is_filterable_and_pinned(api_for, operation, django_assert_max_num_queries):
    api = api_for("programme_manager")
    with django_assert_max_num_queries(6):
        body = api.get(f"{API}operations/", {"crime_type": "bec", "status": "planning"}).json()
    assert body["count"] == 1 and body["results"][0]["taxii_collection"]
    assert api.get(f"{API}operations/", {"crime_type": "ransomware"}).json()["count"] == 0


# --- Linked campaigns --------------------------------------------------------------------------


def campaign_of(name: str, objects: list[StixObject]) -> Campaign:
    """A campaign holding ``objects``, joined by a value they all mention (as the analysis app
    keeps them; the ingest-driven growth and merges are in test_operation_campaigns.py)."""
    campaign = Campaign.objects.create(name=name, named=True)
    CampaignMember.objects.bulk_create(CampaignMember(stix_object=o, campaign=campaign) for o in objects)
    joining, _ = Observable.objects.get_or_create(type="ipv4", value="194.147.78.10")
    ObjectObservable.objects.bulk_create(ObjectObservable(stix_object=o, observable=joining) for o in objects)
    Correlation.objects.update_or_create(
        observable=joining,
        defaults={"organisation_count": 1, "object_count": ObjectObservable.objects.filter(observable=joining).count()},
    )
    return campaign


def test_participants_see_a_linked_campaign_as_far_as_the_policy_allows(
    api_for, world, operation, django_assert_max_num_queries
):
    """The policy matrix again, the intelligence coming from a campaign rather than object links:
    every object of the matrix is a member; the API and TAXII give each participant exactly the
    members ``decide`` allows (view, export)."""
    members = world["objects"]
    campaign = campaign_of("Atlas mule network", members)
    base = f"{API}operations/{operation['id']}/"
    response = api_for("admin").post(base + "campaigns/", {"campaign": campaign.pk}, format="json")
    assert response.status_code == 201, response.content
    assert [c["name"] for c in response.json()] == ["Atlas mule network"]
    assert not OperationObject.objects.exists()  # no object linked: everything comes from the campaign
    path = f"collections/operation-{operation['codename']}/objects/"
    for who in ("kenya", "kestrel", "france"):
        reader = world["readers"][who]
        api = api_for(reader)
        with django_assert_max_num_queries(9):
            seen = {o["stix_id"] for o in api.get(base + "objects/").json()}
        assert seen == {o.stix_id for o in members if decide(principal_context(reader), o, Action.VIEW).allowed}, who
        api.get(base + "campaigns/")  # the first read computes the reader's own campaigns
        with django_assert_max_num_queries(9):
            listed = api.get(base + "campaigns/").json()
        # its own campaign holding the members it sees, with an id and a name of its own
        assert [(c["name"], c["objects_seen"]) for c in listed] == [(f"Campaign {listed[0]['id']}", len(seen))], who
        assert listed[0]["id"] != campaign.pk
        served = {o["id"] for o in Taxii(reader, secret_for(reader)).get(path).json().get("objects", [])}
        assert served == {o.stix_id for o in members if decide(principal_context(reader), o, Action.EXPORT).allowed}, (
            who
        )
        assert served, who  # TLP:CLEAR at least, for France too
    assert len(seen) < len(members)  # the matrix hides something from France
    # Not a participant: neither the operation nor its campaigns exist for them.
    assert api_for(world["readers"]["brazil"]).get(base + "campaigns/").status_code == 404


def test_linking_a_campaign_needs_the_linker_to_see_it(api_for, world, operation):
    red = [o for o in world["objects"] if o.tlp == "red"]
    hidden = campaign_of("Named eyes only", red)  # the admin is named on no RED object
    visible_one = campaign_of("Atlas mule network", [o for o in world["objects"] if o.tlp != "red"])
    api = api_for("admin")
    url = f"{API}operations/{operation['id']}/campaigns/"
    collection = Collection.objects.get(alias=f"operation-{operation['codename']}")
    before = collection.spec
    for refused in (hidden.pk, 987654):
        response = api.post(url, {"campaign": refused}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["message"].startswith(f"campaign: no campaign {refused} that you may see")
    assert not OperationCampaign.objects.exists()
    collection.refresh_from_db()
    assert collection.spec == before == {"stix_id": [], "campaign": []}
    assert not AuditEvent.objects.filter(action__startswith="governance.operation.link").exists()

    assert api.post(url, {"campaign": visible_one.pk}, format="json").status_code == 201
    assert api.post(url, {"campaign": visible_one.pk}, format="json").status_code == 400  # linked once
    collection.refresh_from_db()
    assert collection.spec == {"stix_id": [], "campaign": [visible_one.pk]}
    assert AuditEvent.objects.filter(action="governance.operation.link_campaign").count() == 1

    # A participant reads but does not link or unlink; an analyst (host staff) may.
    kenya = api_for(world["readers"]["kenya"])
    assert kenya.post(url, {"campaign": visible_one.pk}, format="json").status_code == 403
    assert kenya.delete(url, {"campaign": visible_one.pk}, format="json").status_code == 403
    analyst = api_for("analyst")
    assert analyst.delete(url, {"campaign": visible_one.pk}, format="json").status_code == 204
    assert analyst.delete(url, {"campaign": visible_one.pk}, format="json").status_code == 400  # not linked
    assert not OperationCampaign.objects.exists()
    collection.refresh_from_db()
    assert collection.spec == {"stix_id": [], "campaign": []}
    assert AuditEvent.objects.filter(action="governance.operation.unlink_campaign").count() == 1
    # A closed operation links nothing more.
    manager = api_for("programme_manager")
    base = f"{API}operations/{operation['id']}/"
    manager.post(base + "transition/", {"to": "active"}, format="json")
    manager.post(base + "transition/", {"to": "closed", "closing_summary": "Done."}, format="json")
    response = analyst.post(url, {"campaign": visible_one.pk}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("status:")
