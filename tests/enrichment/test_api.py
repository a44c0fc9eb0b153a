"""Enrichment through the API: the offline enrichers, provenance, who may run and who may see,
the TLP ceiling, agreements in force, configuration rules, and enrichment on ingest."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accord.core.models import AuditEvent
from accord.enrichment.models import Enricher, Enrichment
from accord.partners.models import Agreement
from accord.sharing.models import StixObject
from tests.enrichment.conftest import (
    AMBER_IP,
    BTC,
    DOMAIN,
    ETH,
    IBAN,
    PHONE,
    SECRET,
    STRICT_DOMAIN,
    observable,
    share,
)
from tests.factories import make_agreement
from tests.ids import pid, row

ENRICHERS = "/api/v1/enrichers/"
RESULTS = "/api/v1/enrichments/"


def url(value: str) -> str:
    return f"/api/v1/observables/{pid(observable(value))}/enrichments/"


def run(client, value: str, enricher: str):
    return client.post(url(value), {"enricher": enricher}, format="json")


def test_offline_enrichers_answer_from_bundled_data(api_for, shared):
    analyst = api_for("analyst")
    iban = run(analyst, IBAN, "iban-offline")
    assert iban.status_code == 201, iban.json()
    assert iban.json()["status"] == "ok"
    assert (
        iban.json()["result"].items()
        >= {
            "country_code": "DE",
            "country": "Germany",
            "bank_name": "Commerzbank",
            "bic": "COBADEFFXXX",
            "bank_code": "37040044",
            "in_registry": True,
        }.items()
    )
    phone = run(analyst, PHONE, "phone-offline").json()["result"]
    assert phone["country_code"] == "KE" and phone["number_type"] == "mobile" and phone["carrier"] == "Safaricom"
    assert phone["calling_code"] == "+254" and phone["time_zones"] == ["Africa/Nairobi"]
    domain = run(analyst, DOMAIN, "domain-offline").json()["result"]
    assert domain["registered_domain"] == "secure-bank.co.uk" and domain["public_suffix"] == "co.uk"
    assert domain["subdomain"] == "login" and domain["private_suffix"] is False
    btc = run(analyst, BTC, "crypto-offline").json()["result"]
    assert btc == {
        "currency": "Bitcoin",
        "ticker": "BTC",
        "network": "mainnet",
        "address_type": "p2wpkh",
        "encoding": "bech32",
        "witness_version": 0,
    }
    eth = run(analyst, ETH, "crypto-offline").json()["result"]
    assert eth["currency"] == "Ethereum" and eth["address_type"] == "account"


def test_results_carry_provenance_and_are_audited(api_for, shared, host, people):
    created = run(api_for("analyst"), IBAN, "iban-offline").json()
    assert created["provider"] == host.name
    assert created["requested_by"] == "analyst" and created["trigger"] == "request"
    assert created["tlp_sent"] == "green" and created["enricher"] == "iban-offline"
    assert created["observable_value"] == IBAN and created["duration_ms"] >= 0
    listed = api_for("analyst").get(url(IBAN)).json()
    assert [r["id"] for r in listed["results"]] == [created["id"]]
    event = AuditEvent.objects.get(action="enrichment.run")
    assert event.actor == people["analyst"] and event.details["tlp_sent"] == "green"
    assert event.details["enricher"] == "iban-offline"
    assert event.object_type == "analysis.enrichment"  # as it was named before enrichment had its own app


def test_who_may_run_and_who_may_see(api_for, anon, shared):
    for role in ("partner_reader", "partner_contributor", "auditor", "programme_manager"):
        assert run(api_for(role), IBAN, "iban-offline").status_code == 403, role
    assert run(anon, IBAN, "iban-offline").status_code == 401
    assert run(api_for("analyst"), IBAN, "iban-offline").status_code == 201
    assert run(api_for("analyst"), STRICT_DOMAIN, "domain-offline").status_code == 201
    assert run(api_for("admin"), DOMAIN, "domain-offline").status_code == 201
    reader = api_for("partner_reader")
    mine = reader.get(url(IBAN)).json()
    assert mine["count"] == 1 and mine["results"][0]["requested_by"] == "host staff"
    # Kestrel may not see the AMBER+STRICT object: its observable is a 404, like a missing one.
    hidden = reader.get(url(STRICT_DOMAIN))
    missing = reader.get("/api/v1/observables/999999/enrichments/")
    assert hidden.status_code == missing.status_code == 404
    # Running is refused on the role before anything is looked up: the answer tells nothing.
    assert reader.post(url(STRICT_DOMAIN), {"enricher": "domain-offline"}, format="json").status_code == 403
    seen = {r["observable_value"] for r in reader.get(RESULTS).json()["results"]}
    assert seen == {IBAN, DOMAIN}
    every = {r["observable_value"] for r in api_for("analyst").get(RESULTS).json()["results"]}
    assert every == {IBAN, DOMAIN, STRICT_DOMAIN}
    assert api_for("analyst").get(RESULTS, {"enricher": "domain-offline"}).json()["count"] == 2


def test_enrichers_list_visibility_and_query_counts(api_for, shared, kestrel_http, django_assert_max_num_queries):
    analyst = api_for("analyst")
    with django_assert_max_num_queries(8):
        body = analyst.get(ENRICHERS, {"page_size": 100}).json()
    assert {e["name"] for e in body["results"]} == {
        "iban-offline",
        "phone-offline",
        "domain-offline",
        "crypto-offline",
        "kestrel-sandbox",
    }
    sandbox = next(e for e in body["results"] if e["name"] == "kestrel-sandbox")
    assert sandbox["has_secret"] is True and "secret" not in sandbox and sandbox["offline"] is False
    assert analyst.get(ENRICHERS, {"type": "iban"}).json()["count"] == 1
    # A partner sees the tools it provides, no others.
    assert [e["name"] for e in api_for("partner_reader").get(ENRICHERS).json()["results"]] == ["kestrel-sandbox"]
    iban_id = next(e["id"] for e in body["results"] if e["name"] == "iban-offline")
    assert api_for("partner_reader").get(f"{ENRICHERS}{iban_id}/").status_code == 404
    assert analyst.get(f"{ENRICHERS}{iban_id}/").json()["problem"] == ""
    for value, enricher in ((IBAN, "iban-offline"), (PHONE, "phone-offline"), (DOMAIN, "domain-offline")):
        run(analyst, value, enricher)
    reader = api_for("partner_reader")
    with django_assert_max_num_queries(12):  # five of them log the phone number as consulted
        assert len(reader.get(RESULTS, {"page_size": 100}).json()["results"]) == 3
    with django_assert_max_num_queries(12):
        assert reader.get(url(IBAN)).json()["count"] == 1


def test_nothing_above_the_ceiling_is_sent(api_for, banker, shared, kestrel_http, partner_service):
    analyst = api_for("analyst")
    refused = run(analyst, AMBER_IP, "kestrel-sandbox")
    assert refused.status_code == 403
    # Kestrel, a private partner, may receive no TLP:AMBER object not addressed to it.
    assert "Kestrel Threat Labs may receive no live object" in refused.json()["error"]["message"]
    assert partner_service.received == [] and not Enrichment.objects.exists()
    # The least restrictive TLP counts: once a GREEN object mentions the address too, it may go.
    share(api_for, banker, f"type,value,tlp\nipv4,{AMBER_IP},green\n".encode(), "green.csv")
    assert run(analyst, AMBER_IP, "kestrel-sandbox").json()["tlp_sent"] == "green"
    assert [r["body"] for r in partner_service.received] == [{"type": "ipv4", "value": AMBER_IP}]


def test_an_observable_only_revoked_objects_mention_is_gone(api_for, shared):
    StixObject.objects.filter(tlp="green").update(revoked=True)
    assert run(api_for("analyst"), IBAN, "iban-offline").status_code == 404
    assert api_for("auditor").get(url(IBAN)).status_code == 200  # auditors still read it, and run nothing


def test_an_unsupported_type_a_disabled_tool_or_an_agreement_out_of_force_is_refused(
    api_for, shared, kestrel_http, partner_service
):
    analyst = api_for("analyst")
    wrong = run(analyst, IBAN, "phone-offline")
    assert wrong.status_code == 400 and "does not take iban" in wrong.json()["error"]["message"]
    unknown = run(analyst, IBAN, "no-such-enricher")
    assert unknown.status_code == 400 and list(unknown.json()["error"]["details"]) == ["enricher"]
    admin = api_for("admin", ("read", "write", "admin"))
    assert admin.patch(f"{ENRICHERS}{kestrel_http.pk}/", {"enabled": False}, format="json").status_code == 200
    disabled = run(analyst, DOMAIN, "kestrel-sandbox")
    assert disabled.status_code == 400 and "disabled" in disabled.json()["error"]["message"]
    admin.patch(f"{ENRICHERS}{kestrel_http.pk}/", {"enabled": True}, format="json")
    Agreement.objects.filter(pk=kestrel_http.agreement_id).update(status="suspended")
    suspended = run(analyst, DOMAIN, "kestrel-sandbox")
    assert (
        suspended.status_code == 400 and "no analysis-tools agreement in force" in suspended.json()["error"]["message"]
    )
    Agreement.objects.filter(pk=kestrel_http.agreement_id).update(status="active")
    kestrel_http.agreement.current_version.valid_until = timezone.now() - timedelta(days=1)
    kestrel_http.agreement.current_version.valid_from = timezone.now() - timedelta(days=30)
    kestrel_http.agreement.current_version.save()
    expired = run(analyst, DOMAIN, "kestrel-sandbox")
    assert expired.status_code == 400 and "not in force today" in expired.json()["error"]["message"]
    assert partner_service.received == [] and not Enrichment.objects.exists()


def test_configuration_rules(api_for, host, partner, partner_service, db):
    admin = api_for("admin", ("read", "write", "admin"))
    tools = make_agreement(partner, kind="analysis_tools")
    sharing = make_agreement(partner)
    good = {
        "name": "kestrel-pdns",
        "kind": "http",
        "organisation": partner.pk,
        "agreement": tools.reference,
        "types": ["domain"],
        "tlp_ceiling": "green",
        "url": f"{partner_service.url}/lookup",
        "secret": SECRET,
    }
    cases = [
        ({"tlp_ceiling": "amber"}, "tlp_ceiling", "at most TLP:GREEN"),
        ({"agreement": None}, "agreement", "analysis-tools agreement"),
        ({"agreement": sharing.reference}, "agreement", "is not an analysis-tools agreement"),
        ({"secret": ""}, "secret", "signed requests"),
        ({"url": "ftp://kestrel.example/"}, "url", "not an http(s) URL"),
        ({"kind": "magic"}, "kind", "not an enricher kind"),
        ({"kind": "iban", "url": "", "secret": ""}, "types", "does not take domain"),
        ({"types": []}, "types", "at least one"),
        ({"timeout_seconds": 0}, "timeout_seconds", "1 to 120"),
        ({"tlp_ceiling": "purple"}, "tlp_ceiling", "purple"),
    ]
    for change, field, message in cases:
        response = admin.post(ENRICHERS, good | change, format="json")
        assert response.status_code == 400, (change, response.json())
        body = response.json()["error"]
        assert field in (body["details"] or {}) and message in body["message"], (change, body)
    assert not Enricher.objects.exists()
    assert api_for("analyst").post(ENRICHERS, good, format="json").status_code == 403
    created = admin.post(ENRICHERS, good, format="json")
    assert created.status_code == 201, created.json()
    stored = Enricher.objects.get(name="kestrel-pdns")
    assert stored.secret_sealed and SECRET not in stored.secret_sealed
    assert admin.post(ENRICHERS, good, format="json").status_code == 400  # the name is taken
    offline = admin.post(
        ENRICHERS, {"name": "iban", "kind": "iban", "organisation": host.pk, "tlp_ceiling": "red"}, format="json"
    )
    assert offline.status_code == 201 and offline.json()["types"] == ["iban"] and offline.json()["agreement"] is None
    renamed = admin.patch(f"{ENRICHERS}{stored.pk}/", {"name": "other"}, format="json")
    assert renamed.status_code == 400
    assert AuditEvent.objects.filter(action="enricher.add").count() == 2


def test_enrichment_after_ingest(
    api_for, banker, offline, kestrel_http, partner_service, django_capture_on_commit_callbacks
):
    for enricher in offline.values():
        Enricher.objects.filter(pk=enricher.pk).update(run_on_ingest=True)
    Enricher.objects.filter(pk=kestrel_http.pk).update(run_on_ingest=True)
    with django_capture_on_commit_callbacks(execute=True):
        submission = share(api_for, banker)
    results = Enrichment.objects.filter(trigger="ingest", submission_id=row(submission["id"]))
    by = {(r.enricher.name, r.observable.value) for r in results}
    assert by == {
        ("iban-offline", IBAN),
        ("phone-offline", PHONE),
        ("domain-offline", DOMAIN),
        ("domain-offline", STRICT_DOMAIN),
        ("crypto-offline", BTC),
        ("crypto-offline", ETH),
        ("kestrel-sandbox", DOMAIN),  # the AMBER address and the AMBER+STRICT domain stay home
    }
    assert all(r.status == "ok" and r.requested_by is None for r in results)
    assert [r["body"]["value"] for r in partner_service.received] == [DOMAIN]
    assert AuditEvent.objects.filter(action="enrichment.ingest").count() == 5
    from accord.enrichment.services import observables_enrich_after_ingest

    assert set(observables_enrich_after_ingest(submission_id=row(submission["id"])).values()) == {0}  # idempotent


def test_a_failing_after_ingest_task_never_fails_the_ingest(
    api_for, banker, offline, settings, django_capture_on_commit_callbacks
):
    Enricher.objects.filter(name="iban-offline").update(run_on_ingest=True)
    settings.ACCORD_AFTER_INGEST = ["accord.enrichment.no_such_task", *settings.ACCORD_AFTER_INGEST]
    with django_capture_on_commit_callbacks(execute=True):
        submission = share(api_for, banker)
    assert submission["status"] == "done"
    assert [r.observable.value for r in Enrichment.objects.filter(trigger="ingest")] == [IBAN]
