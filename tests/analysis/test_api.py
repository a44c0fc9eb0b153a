"""The analysis API: exclusion lists, campaign decisions, sightings, scores, trends, reports, and
what a partner may learn through each (the policy matrix of issue 6)."""

from __future__ import annotations

from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_parsed_json

from accord.analysis.models import (
    Campaign,
    CampaignMember,
    Correlation,
    ExclusionEntry,
    IntelReport,
    LinkCut,
    Sighting,
)
from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from tests.analysis.conftest import CAMPAIGNS, CORRELATIONS, DROP, MULE_IP, PHISH, domain, ip, observable, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.ids import pid
from tests.stix_samples import indicator

EXCLUSIONS = "/api/v1/exclusion-lists/"
SIGHTINGS = "/api/v1/sightings/"
REPORTS = "/api/v1/reports/"
STRICT = [TLP2_IDS["amber+strict"]]
GREEN = [TLP2_IDS["green"]]
SPARE_IP = "194.147.78.50"


def two_campaigns(api_for: Any, kestrel: Any, banker: Any) -> tuple[Campaign, Campaign]:
    both = f"{ip(MULE_IP)} OR {ip(SPARE_IP)}"  # two links: cutting one leaves them together
    share(api_for(kestrel), indicator(1, both, object_marking_refs=GREEN), indicator(2, both))
    share(api_for(banker), indicator(3, domain(PHISH), object_marking_refs=GREEN), indicator(4, domain(PHISH)))
    first, second = Campaign.objects.order_by("pk")
    return first, second


def test_a_local_exclusion_suppresses_at_once_and_splits_campaigns(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, f"{ip(MULE_IP)} OR {domain(DROP)}"), indicator(2, ip(MULE_IP)))
    share(api_for(banker), indicator(3, domain(DROP)))
    assert Campaign.objects.get().objects_count == 3
    analyst = api_for("analyst")
    made = analyst.post(EXCLUSIONS, {"name": "Sinkholes"}, format="json").json()
    entry = analyst.post(
        f"{EXCLUSIONS}{made['id']}/entries/", {"type": "domain", "pattern": "*.verify.info"}, format="json"
    )
    assert entry.status_code == 201 and entry.json()["pattern"] == "*.verify.info"
    assert Campaign.objects.get().objects_count == 3  # login-bank-verify.info is no subdomain of verify.info
    entry = analyst.post(
        f"{EXCLUSIONS}{made['id']}/entries/", {"type": "domain", "pattern": "login-bank-verify.INFO"}, format="json"
    ).json()
    assert Correlation.objects.get(pk=observable(DROP).pk).benign == "Local list: Sinkholes"
    assert Campaign.objects.get().objects_count == 2  # only the IP holds Kestrel's two together
    assert api_for(kestrel).get(CORRELATIONS).json()["count"] == 0

    assert analyst.delete(f"{EXCLUSIONS}{made['id']}/entries/{entry['id']}/").status_code == 204
    assert Correlation.objects.get(pk=observable(DROP).pk).benign == ""
    assert Campaign.objects.get().objects_count == 3
    assert AuditEvent.objects.filter(action="exclusion_entry.remove").exists()


def test_a_network_block_correlates_and_a_wider_local_exclusion_suppresses_it(api_for, sharers):
    """A CIDR block two sources share is one observable that correlates; an exclusion of a
    network that holds the block marks it benign (an address list would not)."""
    kestrel, banker = sharers
    block = "[ipv4-addr:value = '112.64.0.0/15']"
    share(api_for(kestrel), indicator(1, block))
    share(api_for(banker), indicator(2, block))
    assert Correlation.objects.get(pk=observable("112.64.0.0/15").pk).benign == ""
    analyst = api_for("analyst")
    made = analyst.post(EXCLUSIONS, {"name": "Carrier ranges"}, format="json").json()
    entry = analyst.post(
        f"{EXCLUSIONS}{made['id']}/entries/", {"type": "ipv4", "pattern": "112.66.0.0/15"}, format="json"
    )
    assert entry.status_code == 201
    assert Correlation.objects.get(pk=observable("112.64.0.0/15").pk).benign == ""  # beside it, not around it
    analyst.post(f"{EXCLUSIONS}{made['id']}/entries/", {"type": "ipv4", "pattern": "112.64.0.0/14"}, format="json")
    assert Correlation.objects.get(pk=observable("112.64.0.0/15").pk).benign == "Local list: Carrier ranges"


@pytest.mark.parametrize(
    ("kind", "pattern", "words"),
    [
        ("ipv4", "10.0.0.0/33", "not a network"),
        ("ipv4", "2001:db8::/32", "not an ipv4 network"),
        ("md5", "*.example.org", "'*.' patterns are for domains"),
        ("domain", "*.exa mple.org", "not a domain pattern"),
        ("iban", "GB00WEST12345698765432", "not a valid iban"),
    ],
)
def test_an_exclusion_that_is_no_valid_pattern_is_refused(api_for, sharers, kind, pattern, words):
    analyst = api_for("analyst")
    made = analyst.post(EXCLUSIONS, {"name": "Mine"}, format="json").json()
    response = analyst.post(f"{EXCLUSIONS}{made['id']}/entries/", {"type": kind, "pattern": pattern}, format="json")
    assert response.status_code == 400 and words in response.json()["error"]["message"]
    assert not ExclusionEntry.objects.exists()


def test_exclusion_lists_are_for_analysts(api_for, sharers):
    kestrel, _ = sharers
    assert api_for(kestrel).get(EXCLUSIONS).status_code == 403
    assert api_for("programme_manager").post(EXCLUSIONS, {"name": "x"}, format="json").status_code == 403
    assert api_for("analyst").get("/api/v1/warning-lists/").json()["results"]


def test_analysts_name_merge_and_split_campaigns(api_for, sharers):
    kestrel, banker = sharers
    first, second = two_campaigns(api_for, kestrel, banker)
    analyst = api_for("analyst")
    assert analyst.patch(f"{CAMPAIGNS}{second.pk}/", {"name": "Mule ring"}, format="json").json()["name"] == "Mule ring"
    assert analyst.post(f"{CAMPAIGNS}{second.pk}/notes/", {"text": "Seen in Nairobi"}, format="json").status_code == 201

    bad = analyst.post(f"{CAMPAIGNS}merge/", {"campaigns": [first.pk, 9999], "reason": "same actor"}, format="json")
    assert bad.status_code == 400 and "9999" in bad.json()["error"]["message"]
    assert Campaign.objects.count() == 2

    merged = analyst.post(
        f"{CAMPAIGNS}merge/", {"campaigns": [first.pk, second.pk], "reason": "same actor"}, format="json"
    )
    assert merged.status_code == 200, merged.content
    body = merged.json()
    assert (body["id"], body["name"], body["objects_count"]) == (second.pk, "Mule ring", 4)
    assert [n["text"] for n in body["notes"]] == ["Seen in Nairobi"]
    call = analyst.post(
        f"{CAMPAIGNS}{second.pk}/split/", {"observables": [pid(observable(MULE_IP))], "reason": "x"}, format="json"
    )
    assert call.status_code == 400 and "stays connected" in call.json()["error"]["message"]
    assert Campaign.objects.get().objects_count == 4  # nothing changed
    assert not LinkCut.objects.exists()

    share(api_for(kestrel), indicator(5, f"{ip(MULE_IP)} OR {ip('194.147.78.99')}"))
    share(api_for(banker), indicator(6, ip("194.147.78.99")))
    campaign = Campaign.objects.get()
    assert campaign.objects_count == 6
    split = analyst.post(
        f"{CAMPAIGNS}{campaign.pk}/split/",
        {"observables": [pid(observable("194.147.78.99"))], "reason": "shared hosting"},
        format="json",
    )
    assert split.status_code == 200, split.content
    assert sorted(c["objects_seen"] for c in split.json()) == [5]  # indicator 6 alone is no campaign
    assert not CampaignMember.objects.filter(stix_object__stix_id=indicator(6, "")["id"]).exists()
    assert (
        api_for(kestrel).post(f"{CAMPAIGNS}merge/", {"campaigns": [1, 2], "reason": "x"}, format="json").status_code
        == 403
    )


def test_sightings_reach_the_originator_as_far_as_attribution_allows(api_for, sharers, db):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)))
    quiet = OrganisationFactory(name="Quiet Telecom", country="FR")
    make_agreement(quiet, provider_attribution="must-not")
    telco = UserFactory(username="telco", organisation=quiet, role="partner_contributor")
    response = api_for(telco).post(
        SIGHTINGS, {"type": "ipv4", "value": MULE_IP, "count": 3, "country": "fr"}, format="json"
    )
    assert response.status_code == 201, response.content
    api_for(banker).post(SIGHTINGS, {"type": "ipv4", "value": f" {MULE_IP} "}, format="json")
    seen = api_for(kestrel).get(SIGHTINGS).json()["results"]
    assert sorted((s["organisation"] or "unnamed", s["count"]) for s in seen) == [
        ("Atlas Bank Group", 1),
        ("unnamed", 3),
    ]
    assert api_for("analyst").get(SIGHTINGS).json()["count"] == 2

    assert api_for(telco).post(SIGHTINGS, {"type": "ipv4", "value": "999.1.1.1"}, format="json").status_code == 400
    fresh = api_for(telco).post(SIGHTINGS, {"type": "domain", "value": "New-Host.xyz"}, format="json").json()
    assert fresh["value"] == "new-host.xyz"
    assert (
        api_for(telco).post(SIGHTINGS, {"type": "ipv4", "value": MULE_IP, "country": "ZZ"}, format="json").status_code
        == 400
    )
    assert Sighting.objects.count() == 3


def test_stix_sightings_in_a_submission_are_recorded(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))  # one the bank sees
    sighting = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": "sighting--00000000-0000-4000-8000-000000000009",
        "created": "2026-05-02T00:00:00.000Z",
        "modified": "2026-05-02T00:00:00.000Z",
        "sighting_of_ref": indicator(1, "")["id"],
        "count": 7,
        "first_seen": "2026-05-01T00:00:00Z",
        "last_seen": "2026-05-02T00:00:00Z",
    }
    share(api_for(banker), sighting)
    recorded = Sighting.objects.get()
    assert (recorded.observable.value, recorded.count, recorded.organisation.name) == (MULE_IP, 7, "Atlas Bank Group")


def test_the_score_weighs_independent_sources_and_explains_itself(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, domain(PHISH)))
    one = api_for("analyst").get(f"/api/v1/scores/{pid(observable(PHISH))}/").json()
    share(api_for(banker), indicator(2, domain(PHISH)))
    two = api_for("analyst").get(f"/api/v1/scores/{pid(observable(PHISH))}/").json()
    assert [s["organisation"] for s in two["sources"]] == ["Kestrel Threat Labs", "Atlas Bank Group"] or len(
        two["sources"]
    ) == 2
    assert two["corroboration"] > one["corroboration"] > 0
    assert 0 < one["score"] < two["score"] <= 100
    assert two["formula"].startswith("100 ×")
    outsider = UserFactory(organisation=OrganisationFactory(name="Elsewhere", country="FR"))
    assert api_for(outsider).get(f"/api/v1/scores/{pid(observable(PHISH))}/").status_code == 404
    assert two["half_life_days"] == 90 and two["decay"] < 1


def test_trends_count_what_the_asker_may_see(api_for, sharers):
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), labels=["phishing"], object_marking_refs=GREEN))
    share(api_for(banker), indicator(2, ip(MULE_IP), labels=["bec"], object_marking_refs=STRICT))
    window = {"since": "2026-01-01", "until": "2027-01-01"}
    host = api_for("analyst").get("/api/v1/trends/", window).json()
    assert {(r["crime_type"], r["count"]) for r in host["by_crime_region_month"]} == {
        ('europol-incident:information-gathering="phishing"', 1),
        ('europol-incident:fraud="illegitimate-use-name"', 1),
    }
    assert {r["organisation"]: r["correlations"] for r in host["contributions"]} == {
        "Kestrel Threat Labs": 1,
        "Atlas Bank Group": 1,
    }
    partner = api_for(kestrel).get("/api/v1/trends/", window).json()
    assert [r["crime_type"] for r in partner["by_crime_region_month"]] == [
        'europol-incident:information-gathering="phishing"'
    ]
    assert [r["organisation"] for r in partner["contributions"]] == ["Kestrel Threat Labs"]
    assert partner["top_correlated"] == []  # Atlas's object is AMBER+STRICT: no match Kestrel may know
    assert api_for("analyst").get("/api/v1/trends/", {"since": "yesterday"}).status_code == 400


def test_a_partner_never_learns_of_objects_it_may_not_see(api_for, sharers):
    """The policy matrix of issue 6: counts, sources, campaign graphs, trends and reports."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))
    share(
        api_for(banker),
        indicator(2, ip(MULE_IP), object_marking_refs=STRICT),
        indicator(3, f"{ip(MULE_IP)} OR {domain(PHISH)}", object_marking_refs=GREEN),
    )
    partner = api_for(kestrel)
    detail = partner.get(f"{CORRELATIONS}{pid(observable(MULE_IP))}/").json()
    assert [(s["organisation"], s["objects"]) for s in detail["sources"]] == [
        ("Kestrel Threat Labs", 1),
        ("Atlas Bank Group", 1),  # the GREEN one only
    ]
    assert detail["other_sources"] == 0
    campaign = Campaign.objects.get()
    assert campaign.objects_count == 3
    listed = partner.get(CAMPAIGNS).json()["results"]
    assert [(c["objects_seen"], "objects_count" in c) for c in listed] == [(2, False)]
    graph = partner.get(f"{CAMPAIGNS}{listed[0]['id']}/graph/").json()
    objects = {n["stix_id"] for n in graph["nodes"] if n["kind"] == "object"}
    assert objects == {indicator(1, "")["id"], indicator(3, "")["id"]}
    assert api_for("analyst").get(f"{CAMPAIGNS}{campaign.pk}/graph/").json()["nodes"].__len__() > len(graph["nodes"])
    # an outsider with no agreement learns nothing at all
    outsider = UserFactory(organisation=OrganisationFactory(name="Elsewhere", country="FR"))
    assert api_for(outsider).get(f"{CAMPAIGNS}{campaign.pk}/").status_code == 404
    assert api_for(outsider).get(f"{CORRELATIONS}{pid(observable(MULE_IP))}/").status_code == 404

    # A report to Kestrel: the AMBER+STRICT object is blocked with the reason, never sent.
    analyst = api_for("analyst")
    report = analyst.post(
        REPORTS,
        {
            "title": "Mule IP",
            "summary": "Shared by two partners.",
            "tlp": "amber",
            "audience": "organisations",
            "audience_organisations": [kestrel.organisation_id],
            "campaigns": [campaign.pk],
        },
        format="json",
    ).json()
    done = analyst.post(f"{REPORTS}{report['id']}/disseminate/").json()
    blocked = {b["stix_id"]: b["reasons"] for b in done["dissemination"]["blocked"]}
    assert list(blocked) == [indicator(2, "")["id"]], blocked
    assert blocked[indicator(2, "")["id"]][0] == "its TLP:AMBER+STRICT is more restricted than the report's TLP:AMBER"
    assert blocked[indicator(2, "")["id"]][1].startswith("Kestrel Threat Labs: This object is TLP:AMBER+STRICT")
    received = partner.get(f"{REPORTS}{report['id']}/bundle/").json()
    ids = [o["id"] for o in received["objects"]]
    assert indicator(2, "")["id"] not in ids and indicator(1, "")["id"] in ids
    assert "dissemination" not in partner.get(f"{REPORTS}{report['id']}/").json()
    results = validate_parsed_json(received, ValidationOptions(version="2.1", strict=False))
    assert results.is_valid, [str(e) for e in results.errors]


def test_report_bad_input_changes_nothing(api_for, sharers):
    kestrel, _ = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP)))
    analyst = api_for("analyst")
    base = {"title": "T", "summary": "S", "audience": "organisations", "objects": [indicator(1, "")["id"]]}
    for change, field in (
        ({"audience_organisations": [424242]}, "audience_organisations"),
        ({"audience": "regions", "audience_regions": ["atlantis"]}, "audience_regions"),
        ({"audience": "everyone"}, "audience"),
        ({"audience_organisations": [kestrel.organisation_id], "tlp": "red"}, "tlp"),
        ({"audience_organisations": [kestrel.organisation_id], "tlp": "amber+strict"}, "tlp"),
        ({"audience_organisations": [kestrel.organisation_id], "campaigns": [77]}, "campaigns"),
        ({"audience_organisations": [kestrel.organisation_id], "objects": ["indicator--nope"]}, "objects"),
    ):
        response = analyst.post(REPORTS, base | change, format="json")
        assert response.status_code == 400, (change, response.content)
        assert response.json()["error"]["message"].startswith(field), response.json()
    assert not IntelReport.objects.exists()
    assert api_for(kestrel).post(REPORTS, base, format="json").status_code == 403


def test_a_disseminated_report_cannot_change(api_for, sharers):
    kestrel, _ = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))
    analyst = api_for("analyst")
    report = analyst.post(
        REPORTS,
        {"title": "T", "summary": "S", "audience": "law_enforcement", "objects": [indicator(1, "")["id"]]},
        format="json",
    ).json()
    assert analyst.get(f"{REPORTS}{report['id']}/bundle/").status_code == 409
    police = OrganisationFactory(name="Police", country="KE", kind="law_enforcement")
    make_agreement(police)
    sent = analyst.post(f"{REPORTS}{report['id']}/disseminate/").json()
    assert [r["name"] for r in sent["dissemination"]["recipients"]] == ["Police"]
    assert analyst.patch(f"{REPORTS}{report['id']}/", {"title": "New"}, format="json").status_code == 409
    officer = UserFactory(organisation=police, role="partner_reader")
    assert [r["title"] for r in api_for(officer).get(REPORTS).json()["results"]] == ["T"]
    assert api_for(kestrel).get(REPORTS).json()["count"] == 0
    assert sorted(StixObject.objects.values_list("type", flat=True)) == ["indicator", "report"]


def test_known_benign_values_stay_out_of_detection_exports(api_for, sharers):
    kestrel, _ = sharers
    share(api_for(kestrel), indicator(1, f"{ip(MULE_IP)} OR {ip('8.8.8.8')} OR {ip('194.147.78.77')}"))
    analyst = api_for("analyst")
    made = analyst.post(EXCLUSIONS, {"name": "Ours"}, format="json").json()
    analyst.post(f"{EXCLUSIONS}{made['id']}/entries/", {"type": "ipv4", "pattern": "194.147.78.64/26"}, format="json")

    def export(fmt: str) -> str:
        response = analyst.get(f"/api/v1/exports/{fmt}/", {"observable_type": "ipv4"})
        return b"".join(response.streaming_content).decode()

    blocklist = export("blocklist")
    assert MULE_IP in blocklist and "8.8.8.8" not in blocklist and "194.147.78.77" not in blocklist
    assert "8.8.8.8" in export("csv")  # only detection formats leave them out


def test_analysts_grade_objects_and_the_score_follows(api_for, sharers):
    kestrel, _ = sharers
    share(api_for(kestrel), indicator(1, domain(PHISH)))
    analyst = api_for("analyst")
    before = analyst.get(f"/api/v1/scores/{pid(observable(PHISH))}/").json()
    stix_id = indicator(1, "")["id"]
    graded = analyst.post(
        "/api/v1/gradings/",
        {"object": stix_id, "reliability": "A", "credibility": 1, "reason": "confirmed"},
        format="json",
    )
    assert graded.json() == {"graded_versions": 1}
    after = analyst.get(f"/api/v1/scores/{pid(observable(PHISH))}/").json()
    assert after["sources"][0]["weight"] == 0.95 and after["score"] > before["score"]
    assert AuditEvent.objects.filter(action="object.grade", object_id=stix_id, justification="confirmed").exists()
    for body, status in (
        ({"object": stix_id, "credibility": 6, "reason": "x"}, 400),
        ({"object": stix_id, "reliability": "E", "reason": "x"}, 400),
        ({"object": stix_id, "reason": "x"}, 400),
        ({"object": "indicator--nope", "reliability": "B", "reason": "x"}, 404),
    ):
        assert analyst.post("/api/v1/gradings/", body, format="json").status_code == status, body
    assert StixObject.objects.get().reliability == "A"
    body = {"object": stix_id, "reliability": "D", "reason": "x"}
    assert api_for(kestrel).post("/api/v1/gradings/", body, format="json").status_code == 403


def test_graphs_and_correlations_withhold_redacted_names_and_log_personal_data(api_for, partner, other_partner, people):
    """The bank redacts personal data onward: its indicator of a mule's phone number (named
    after it) is in Kestrel's campaign graph as an unnamed object would be, and the number is
    no node. Reads that show a phone number, or an object of personal data whole, are logged
    as consultations: the host's graph and correlation; Kestrel's graph names its own."""
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data"])
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    hotline = "[x-accord-phone-number:number = '+971501239999']"
    joined = f"{hotline} OR {domain(PHISH)}"
    share(api_for(banker), indicator(1, joined, name="Mule hotline +971 50 123 9999", object_marking_refs=GREEN))
    share(api_for(people["partner_contributor"]), indicator(2, joined, name="Kestrel lure", object_marking_refs=GREEN))
    share(api_for(banker), indicator(3, domain(PHISH), object_marking_refs=GREEN))  # unnamed, for comparison
    (campaign,) = Campaign.objects.all()
    events = AuditEvent.objects.filter(action="personal_data.consulted")
    url = f"{CAMPAIGNS}{campaign.pk}/graph/"

    reader = api_for("partner_reader")
    (mine,) = reader.get(CAMPAIGNS).json()["results"]  # its own campaign, with an id of its own
    response = reader.get(f"{CAMPAIGNS}{mine['id']}/graph/")
    assert b"+971" not in response.content and b"9999" not in response.content
    labels = {n["stix_id"][-2:]: n["label"] for n in response.json()["nodes"] if n["kind"] == "object"}
    assert labels == {"01": labels["03"], "02": "Kestrel lure", "03": "indicator"}
    assert {n["label"] for n in response.json()["nodes"] if n["kind"] == "observable"} == {PHISH}
    assert events.get().details == {  # Kestrel's own indicator of the number, read whole
        "via": "api",
        "purpose": "investigation",
        "objects": [indicator(2, "")["id"]],
        "campaign": mine["id"],
    }

    host = api_for("analyst")
    graph = host.get(url).json()
    assert {n["label"] for n in graph["nodes"]} >= {"Mule hotline +971 50 123 9999", "+971501239999"}
    phone = observable("+971501239999")
    logged = events.latest("seq")
    assert (logged.actor, logged.details["observables"]) == (people["analyst"], [phone.pk])
    assert logged.details["objects"] == sorted(indicator(n, "")["id"] for n in (1, 2))
    assert host.get(f"{CORRELATIONS}{pid(phone)}/").status_code == 200
    assert events.latest("seq").details == {
        "via": "api",
        "purpose": "investigation",
        "objects": [],
        "observables": [phone.pk],
    }
    before = events.count()
    assert host.get(f"{CORRELATIONS}{pid(observable(PHISH))}/").status_code == 200  # no personal data
    assert host.get(CORRELATIONS, {"type": "domain"}).status_code == 200
    assert events.count() == before
    assert host.get(CORRELATIONS).status_code == 200
    assert events.latest("seq").details["observables"] == [phone.pk]
