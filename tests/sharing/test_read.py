"""Reading shared data: objects and observables through the policy, redactions, revocation, retention."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import Observable, StixObject
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import bundle, indicator, person

OBJECTS = "/api/v1/objects/"
OBSERVABLES = "/api/v1/observables/"
PERSON = person(
    contact_information="+44 20 7946 0958", x_accord_data_subject="suspect", object_marking_refs=[TLP2_IDS["green"]]
)


@pytest.fixture
def shared(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any, api_for: Any) -> Any:
    """The bank (other_partner) shares; Kestrel (partner) reads."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data"], provider_attribution="must-not")
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    data = bundle(
        indicator(1, "[ipv4-addr:value = '203.0.113.7']", object_marking_refs=[TLP2_IDS["green"]], labels=["phishing"]),
        indicator(2, "[domain-name:value = 'login-bank.example.com']", object_marking_refs=[TLP2_IDS["amber+strict"]]),
        indicator(3, "[url:value = 'http://login-bank.example.com/a']", object_marking_refs=[TLP2_IDS["green"]]),
        PERSON,
    )
    upload = io.BytesIO(data)
    upload.name = "bank.json"
    response = api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    return banker


def test_a_partner_reads_what_the_policy_allows(api_for, shared):
    body = api_for("partner_reader").get(OBJECTS).json()
    seen = {o["stix_id"][-2:] for o in body["results"]}
    assert seen == {"01", "03", "aa"}  # not the AMBER+STRICT one
    assert all(o["organisation"] is None for o in body["results"])  # the bank's agreement forbids attribution
    host = api_for("analyst").get(OBJECTS).json()
    assert host["count"] == 4
    assert {o["organisation"] for o in host["results"]} == {"Atlas Bank Group"}


def test_redacted_fields_are_removed_not_blanked(api_for, shared):
    person = next(o for o in api_for("partner_reader").get(OBJECTS).json()["results"] if o["type"] == "identity")
    assert "contact_information" not in person["body"] and "x_accord_data_subject" not in person["body"]
    assert "name" not in person["body"]
    assert person["body"]["identity_class"] == "individual"
    full = next(o for o in api_for("analyst").get(OBJECTS).json()["results"] if o["type"] == "identity")
    assert full["body"]["contact_information"] == "+44 20 7946 0958"


def test_filters(api_for, shared):
    client = api_for("analyst")
    assert client.get(OBJECTS, {"observable": "203.0.113.7"}).json()["count"] == 1
    assert client.get(OBJECTS, {"value_prefix": "http://login-bank"}).json()["count"] == 1
    assert client.get(OBJECTS, {"tlp": "amber+strict"}).json()["count"] == 1
    assert client.get(OBJECTS, {"crime_type": "PHISHING"}).json()["count"] == 1
    assert client.get(OBJECTS, {"type": "identity", "data_category": "personal_data"}).json()["count"] == 1
    assert client.get(OBJECTS, {"purpose": "curiosity"}).status_code == 400


def test_detail_by_stix_id_with_versions_and_404_when_hidden(api_for, shared):
    reader = api_for("partner_reader")
    stix_id = "indicator--00000000-0000-4000-8000-000000000001"
    versions = reader.get(f"{OBJECTS}{stix_id}/").json()
    assert [v["stix_id"] for v in versions] == [stix_id]
    hidden = reader.get(f"{OBJECTS}indicator--00000000-0000-4000-8000-000000000002/")
    missing = reader.get(f"{OBJECTS}indicator--00000000-0000-4000-8000-000000000999/")
    assert hidden.status_code == missing.status_code == 404
    assert api_for("analyst").get(f"{OBJECTS}indicator--00000000-0000-4000-8000-000000000002/").status_code == 200


def test_observables_only_of_visible_objects_with_prefix_search(api_for, shared):
    reader = api_for("partner_reader")
    values = {o["value"] for o in reader.get(OBSERVABLES).json()["results"]}
    assert "203.0.113.7" in values and "login-bank.example.com" not in values  # that one is AMBER+STRICT
    assert [o["value"] for o in reader.get(OBSERVABLES, {"value_prefix": "203.0"}).json()["results"]] == ["203.0.113.7"]
    assert api_for("analyst").get(OBSERVABLES, {"value": "login-bank.example.com"}).json()["count"] == 1


def test_list_query_counts_are_constant(api_for, shared, django_assert_max_num_queries):
    client = api_for("partner_reader")
    with django_assert_max_num_queries(12):
        assert client.get(OBJECTS, {"page_size": 100, "type": "indicator"}).status_code == 200
    with django_assert_max_num_queries(16):  # the same, and one audit event for the personal data shown
        assert client.get(OBJECTS, {"page_size": 100}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(OBSERVABLES, {"page_size": 100}).status_code == 200


def test_anonymous_and_no_agreement(api_for, anon, shared, db):
    assert anon.get(OBJECTS).status_code == 401
    outsider = OrganisationFactory(name="No Agreement Ltd", status="vetting")
    assert api_for(UserFactory(organisation=outsider)).get(OBJECTS).json()["count"] == 0


def test_the_originator_revokes(api_for, shared):
    stix_id = "indicator--00000000-0000-4000-8000-000000000001"
    assert api_for("partner_contributor").post(f"{OBJECTS}{stix_id}/revoke/", {}, format="json").status_code == 404
    response = api_for(shared).post(f"{OBJECTS}{stix_id}/revoke/", {"reason": "false positive"}, format="json")
    assert response.json() == {"revoked_versions": 1}
    assert api_for("partner_reader").get(f"{OBJECTS}{stix_id}/").status_code == 404
    assert api_for("auditor").get(f"{OBJECTS}{stix_id}/").status_code == 200
    assert AuditEvent.objects.filter(action="object.revoke", justification="false positive").exists()
    assert api_for("partner_reader").post(f"{OBJECTS}{stix_id}/revoke/", {}, format="json").status_code == 403


def test_retention_purge_deletes_expired_objects_and_orphaned_observables(shared, capsys):
    StixObject.objects.filter(stix_id__endswith="000000000001").update(expires_at=timezone.now() - timedelta(days=1))
    call_command("retention", "purge")
    assert "Purged 1 object(s) and 1 observable(s)." in capsys.readouterr().out
    assert not Observable.objects.filter(value="203.0.113.7").exists()
    assert Observable.objects.filter(value="login-bank.example.com").exists()
    assert AuditEvent.objects.filter(action="retention.purge", details__objects=1).exists()


def test_a_redacted_category_is_withheld_from_observables_and_patterns(api_for, partner, other_partner, people):
    """The bank redacts financial identifiers on onward sharing: a partner sees that the wallet
    indicator exists, never the wallet, not through its pattern nor the observables list."""
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["financial_identifier"])
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    wallet = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    data = bundle(
        indicator(1, f"[x-accord-crypto-wallet:address = '{wallet}']", object_marking_refs=[TLP2_IDS["green"]]),
        indicator(2, "[ipv4-addr:value = '203.0.113.9']", object_marking_refs=[TLP2_IDS["green"]]),
    )
    upload = io.BytesIO(data)
    upload.name = "bank.json"
    assert api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    reader = api_for("partner_reader")
    seen = {o["stix_id"][-2:]: o["body"] for o in reader.get(OBJECTS).json()["results"]}
    assert "pattern" not in seen["01"] and seen["02"]["pattern"] == "[ipv4-addr:value = '203.0.113.9']"
    values = {o["value"] for o in reader.get("/api/v1/observables/").json()["results"]}
    assert values == {"203.0.113.9"}
    assert {o["value"] for o in api_for(banker).get("/api/v1/observables/").json()["results"]} == {
        wallet,
        "203.0.113.9",
    }  # the originator sees its own whole
    assert {o["value"] for o in api_for("analyst").get("/api/v1/observables/").json()["results"]} == {
        wallet,
        "203.0.113.9",
    }


def test_consulting_personal_data_is_logged_and_reading_indicators_is_not(api_for, shared, people, client):
    """Who, their organisation, when, why (purpose), how (api, web) and which objects. A read
    that shows personal data only redacted (the bank's agreement withholds it from Kestrel)
    shows none, and writes nothing, as a read of indicators."""
    events = AuditEvent.objects.filter(action="personal_data.consulted")
    reader = api_for("partner_reader")
    assert reader.get(OBJECTS, {"type": "indicator"}).status_code == 200
    assert reader.get(f"{OBJECTS}{indicator(1, '')['id']}/").status_code == 200
    assert reader.get(OBJECTS, {"purpose": "prevention"}).json()["count"] == 3  # the person among them, redacted
    assert reader.get(f"{OBJECTS}{PERSON['id']}/").status_code == 200
    assert not events.exists()
    originator = api_for(shared)
    assert originator.get(OBJECTS, {"purpose": "prevention"}).status_code == 200
    listed = events.latest("seq")
    assert (listed.actor, listed.organisation) == (shared, shared.organisation)
    assert listed.details == {"via": "api", "purpose": "prevention", "objects": [PERSON["id"]]}
    assert originator.get(f"{OBJECTS}{PERSON['id']}/").status_code == 200
    assert events.latest("seq").details == {"via": "api", "purpose": "investigation", "objects": [PERSON["id"]]}
    client.force_login(people["analyst"])
    assert client.get("/shared/", {"type": "indicator"}).status_code == 200
    assert events.count() == 2
    for url in ("/shared/", f"/shared/{PERSON['id']}/"):
        assert client.get(url).status_code == 200
        event = events.latest("seq")
        assert (event.actor, event.details["via"], event.details["objects"]) == (
            people["analyst"],
            "web",
            [PERSON["id"]],
        )
    assert events.count() == 4


def test_free_text_of_a_redacted_object_is_withheld_as_if_absent(api_for, partner, other_partner, people, client):
    """A person's description and custom properties may name what the agreement withholds:
    the reader receives the same body as for a person without them; whom the data is about
    goes with the data subject. The host reads them all."""
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["personal_data"])
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    green = {"object_marking_refs": [TLP2_IDS["green"]], "x_accord_data_subject": "suspect"}
    wordy = person("aa", description="Mule; calls from +971501239999.", x_mule_alias="+971501239999", **green)
    upload = io.BytesIO(bundle(wordy, person("bb", **green)))
    upload.name = "bank.json"
    assert api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    response = api_for("partner_reader").get(OBJECTS)
    assert b"971501239999" not in response.content
    seen = {o["stix_id"][-2:]: o for o in response.json()["results"]}
    assert {k: v for k, v in seen["aa"]["body"].items() if k != "id"} == {
        k: v for k, v in seen["bb"]["body"].items() if k != "id"
    }
    assert seen["aa"]["subject_category"] == seen["aa"]["nature"] == ""
    client.force_login(people["partner_reader"])
    assert b"971501239999" not in client.get(f"/shared/{wordy['id']}/").content
    host = {o["stix_id"][-2:]: o for o in api_for("analyst").get(OBJECTS).json()["results"]}
    assert host["aa"]["body"]["x_mule_alias"] == "+971501239999" and host["aa"]["subject_category"] == "suspect"


def test_an_object_of_personal_data_withholds_the_financial_identifiers_it_names(api_for, partner, other_partner):
    """The bank redacts financial identifiers only: an indicator of a phone number and an IBAN
    (personal data, the most sensitive it holds) reaches the reader without its pattern, and
    the IBAN is no observable the reader may list."""
    make_agreement(partner)
    make_agreement(other_partner, onward_redactions=["financial_identifier"])
    banker = UserFactory(organisation=other_partner, role="partner_contributor")
    both = "[x-accord-phone-number:number = '+971501239999'] OR [x-accord-bank-account:iban = 'GB29NWBK60161331926819']"
    upload = io.BytesIO(bundle(indicator(1, both, object_marking_refs=[TLP2_IDS["green"]])))
    upload.name = "bank.json"
    assert api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart").status_code == 201
    reader = api_for("partner_reader")
    for response in (reader.get(OBJECTS), reader.get(OBSERVABLES)):
        assert response.status_code == 200 and b"GB29" not in response.content
    assert {o["value"] for o in reader.get(OBSERVABLES).json()["results"]} == {"+971501239999"}
    assert "GB29NWBK60161331926819" in api_for("analyst").get(OBJECTS).json()["results"][0]["body"]["pattern"]
