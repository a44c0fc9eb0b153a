"""A disseminated report reaches its recipients through TAXII and the exports, and nobody else.

The report's STIX object is stored as a host product addressed to the recipients only; a TAXII
collection of the report and what it includes is opened to them; ``contents_of`` exports it.
A community member outside the audience, and the originator of an included object, learn
nothing of it: not in the collections list, the "everything" collection, the objects list,
the exports, or the policy explanation.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client
from stix2validator import ValidationOptions, validate_parsed_json

from accord.core.models import AuditEvent, User
from accord.formats.markings import TLP2_IDS
from accord.policy import Action, decide, principal_context
from accord.sharing.models import StixObject
from accord.taxii.services import collections_sync
from tests.analysis.conftest import DROP, MULE_IP, domain, ip, share
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import indicator
from tests.taxii.conftest import Taxii, secret_for

REPORTS = "/api/v1/reports/"
GREEN = [TLP2_IDS["green"]]


@pytest.fixture
def delivered(api_for: Any, sharers: Any) -> dict[str, Any]:
    """Kestrel and Atlas share one GREEN indicator each; a GREEN report including both goes to
    Kestrel only. Outsider is a community member with an agreement in force."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))
    share(api_for(banker), indicator(2, domain(DROP), object_marking_refs=GREEN))
    outsider_org = OrganisationFactory(name="Outsider Security", country="DE")
    make_agreement(outsider_org)
    outsider = UserFactory(username="outsider", organisation=outsider_org, role="partner_reader")
    collections_sync()
    sent = _disseminate(api_for("analyst"), kestrel.organisation_id, indicator(1, "")["id"], indicator(2, "")["id"])
    return {"report": sent, "kestrel": kestrel, "banker": banker, "outsider": outsider}


def _disseminate(analyst: Any, organisation: int, *objects: str) -> dict[str, Any]:
    """A TLP:GREEN report of ``objects`` for one organisation, disseminated."""
    report = analyst.post(
        REPORTS,
        {
            "title": "Mule IP and drop domain",
            "summary": "Two partners' indicators of one cash-out chain.",
            "tlp": "green",
            "audience": "organisations",
            "audience_organisations": [organisation],
            "objects": list(objects),
        },
        format="json",
    ).json()
    sent: dict[str, Any] = analyst.post(f"{REPORTS}{report['id']}/disseminate/").json()
    assert sent["status"] == "disseminated" and not sent["dissemination"]["blocked"], sent
    return sent


def _taxii(user: User) -> Taxii:
    return Taxii(user, secret_for(user))


def _export(api: Any, stix_id: str, **filters: str) -> dict[str, Any]:
    response = api.get("/api/v1/exports/stix/", {"contents_of": stix_id, **filters})
    assert response.status_code == 200, response.content
    bundle: dict[str, Any] = orjson.loads(b"".join(response.streaming_content))
    return bundle


def test_the_recipient_reads_the_report_through_its_taxii_collection(api_for, delivered):
    report, kestrel = delivered["report"], delivered["kestrel"]
    taxii = _taxii(kestrel)
    listed = {c["id"]: c for c in taxii.get("collections/").json()["collections"]}
    assert report["taxii_collection"] in listed
    assert listed[report["taxii_collection"]]["can_read"] is True
    served = taxii.get(f"collections/{report['taxii_collection']}/objects/").json()["objects"]
    by_type = {o["type"]: o for o in served}
    assert sorted(o["id"] for o in served) == sorted(
        [report["stix_id"], indicator(1, "")["id"], indicator(2, "")["id"]]
    )
    sdo = by_type["report"]
    assert sdo["object_refs"] == sorted([indicator(1, "")["id"], indicator(2, "")["id"]])
    assert sdo["object_marking_refs"] == GREEN
    assert sdo["name"] == "Mule IP and drop domain"
    # It is in the recipient's "everything" collection too; a report like it sent to Atlas is not.
    other = _disseminate(api_for("analyst"), delivered["banker"].organisation_id, indicator(2, "")["id"])
    everything = taxii.get("collections/shared/objects/", {"match[type]": "report"}).json()["objects"]
    assert [o["id"] for o in everything] == [report["stix_id"]]
    theirs = _taxii(delivered["banker"]).get("collections/shared/objects/", {"match[type]": "report"})
    assert [o["id"] for o in theirs.json()["objects"]] == [other["stix_id"]]
    assert StixObject.objects.get(stix_id=report["stix_id"]).addressees_only


def test_the_recipient_exports_the_report_bundle(api_for, delivered, tmp_path):
    report = delivered["report"]
    bundle = _export(api_for(delivered["kestrel"]), report["stix_id"])
    ids = {o["id"] for o in bundle["objects"]}
    assert {report["stix_id"], indicator(1, "")["id"], indicator(2, "")["id"]} <= ids
    assert "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb" in ids
    results = validate_parsed_json(bundle, ValidationOptions(version="2.1", strict=False))
    assert results.is_valid, [str(e) for e in results.errors]
    # contents_of narrows together with the other filters
    only = _export(api_for(delivered["kestrel"]), report["stix_id"], type="indicator")
    assert {o["id"] for o in only["objects"] if o["type"] in ("indicator", "report")} == {
        indicator(1, "")["id"],
        indicator(2, "")["id"],
    }
    # The command line exports the same, as the person named.
    out = tmp_path / "report.json"
    call_command(
        "export", "--format", "misp", "--contents-of", report["stix_id"], "--as", delivered["kestrel"].username,
        "-o", str(out), stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    attributes = {a["value"] for a in orjson.loads(out.read_bytes())["Event"]["Attribute"]}
    assert {MULE_IP, DROP} <= attributes


@pytest.mark.parametrize("who", ["outsider", "banker"])
def test_nobody_outside_the_audience_learns_of_the_report(api_for, delivered, who):
    """A GREEN community member, and the originator of an included object, see the indicators
    the policy gives them, but not the report: it was sent to Kestrel only."""
    report, user = delivered["report"], delivered[who]
    obj = StixObject.objects.get(stix_id=report["stix_id"])
    decision = decide(principal_context(user), obj, Action.VIEW)
    assert not decision.allowed and decision.rule == "audience"
    taxii = _taxii(user)
    assert report["taxii_collection"] not in {c["id"] for c in taxii.get("collections/").json()["collections"]}
    assert taxii.get(f"collections/{report['taxii_collection']}/objects/").status_code == 404
    assert taxii.get(f"collections/shared/objects/{report['stix_id']}/").status_code == 404
    everything = taxii.get("collections/shared/objects/").json()["objects"]
    assert "report" not in {o["type"] for o in everything}
    assert indicator(1, "")["id"] in {o["id"] for o in everything}  # GREEN: the community sees it
    api = api_for(user)
    assert api.get("/api/v1/objects/", {"type": "report"}).json()["count"] == 0
    assert [o for o in _export(api, report["stix_id"])["objects"] if o["type"] in ("indicator", "report")] == []
    assert api.get("/api/v1/policy/explain/", {"object": report["stix_id"]}).status_code == 404
    assert api.get(f"{REPORTS}{report['id']}/").status_code == 404


def test_host_staff_hold_every_report(api_for, delivered):
    report = delivered["report"]
    analyst = api_for("analyst")
    assert analyst.get("/api/v1/objects/", {"type": "report"}).json()["count"] == 1
    assert report["stix_id"] in {o["id"] for o in _export(analyst, report["stix_id"])["objects"]}
    # Trends count what partners shared, not the host's reports about it.
    trends = analyst.get("/api/v1/trends/", {"since": "2026-01-01", "until": "2028-01-01"}).json()
    assert sum(row["count"] for row in trends["by_crime_region_month"]) == 2


def test_an_organisation_whose_agreement_refuses_the_report_is_listed_and_not_sent_it(api_for, sharers, people):
    """The report itself is checked for each organisation of the audience: one whose own
    agreement caps at TLP:GREEN cannot receive an AMBER report, one that does not take incident
    reports cannot receive any; both are listed with the reason, and only the others get it."""
    kestrel, banker = sharers
    share(api_for(kestrel), indicator(1, ip(MULE_IP), object_marking_refs=GREEN))
    capped = OrganisationFactory(name="Capped CERT", country="NO")
    make_agreement(capped, tlp_ceiling="green")
    no_reports = OrganisationFactory(name="Indicators Only", country="FI")
    make_agreement(no_reports, data_categories=["technical_indicator"])
    analyst = api_for("analyst")

    def draft(tlp: str, *audience: int) -> dict[str, Any]:
        body = {
            "title": "Mule IP",
            "summary": "A cash-out chain.",
            "tlp": tlp,
            "audience": "organisations",
            "audience_organisations": list(audience),
            "objects": [indicator(1, "")["id"]],
        }
        created: dict[str, Any] = analyst.post(REPORTS, body, format="json").json()
        return created

    report = draft("amber", kestrel.organisation_id, capped.pk, no_reports.pk)
    check = analyst.get(f"{REPORTS}{report['id']}/check/").json()
    assert [r["name"] for r in check["recipients"]] == ["Kestrel Threat Labs"]
    reasons = {item["name"]: item["reason"] for item in check["unreachable"]}
    assert set(reasons) == {"Capped CERT", "Indicators Only"}
    assert "TLP:AMBER" in reasons["Capped CERT"] and "incident" in reasons["Indicators Only"].lower()
    assert [item["stix_id"] for item in check["included"]] == [indicator(1, "")["id"]]

    sent = analyst.post(f"{REPORTS}{report['id']}/disseminate/").json()
    assert sent["dissemination"]["unreachable"] == check["unreachable"]
    stored = StixObject.objects.get(stix_id=report["stix_id"])
    assert sorted(o.name for o in stored.addressed_to.all()) == ["Kestrel Threat Labs"]
    browser = Client()
    browser.force_login(people["analyst"])
    page = browser.get(f"/analysis/reports/{report['id']}/")
    assert b'data-testid="unreachable"' in page.content and b"Capped CERT" in page.content

    # Nobody of the audience can receive it: a 400 naming each organisation, and nothing stored.
    refused = draft("amber", capped.pk)
    response = analyst.post(f"{REPORTS}{refused['id']}/disseminate/")
    assert response.status_code == 400, response.content
    message = response.json()["error"]["message"]
    assert message.startswith("audience: ") and "Capped CERT" in message and "TLP:AMBER" in message
    assert not StixObject.objects.filter(stix_id=refused["stix_id"]).exists()
    assert analyst.get(f"{REPORTS}{refused['id']}/").json()["status"] == "draft"


def test_reading_a_report_logs_the_personal_data_it_shows(api_for, sharers, people, client):
    """A report's bundle and its printable page log the personal-data objects they show the
    reader as consulted; a report without any writes nothing, as a read of indicators."""
    _, banker = sharers
    personal = indicator(
        3,
        "[email-addr:value = 'cash.out@mule-desk.info']",
        object_marking_refs=GREEN,
        x_accord_data_category="personal_data",
        x_accord_data_subject="suspect",
    )
    share(api_for(banker), personal, indicator(4, domain(DROP), object_marking_refs=GREEN))
    reader = people["partner_reader"]
    analyst = api_for("analyst")
    with_personal = _disseminate(analyst, reader.organisation_id, personal["id"])
    without = _disseminate(analyst, reader.organisation_id, indicator(4, "")["id"])
    api = api_for(reader)
    client.force_login(reader)

    def logged(read: Any, report: dict[str, Any]) -> list[dict[str, Any]]:
        before = AuditEvent.objects.filter(action="personal_data.consulted", actor=reader).count()
        response = read(report)
        assert response.status_code == 200
        return [e.details for e in AuditEvent.objects.filter(action="personal_data.consulted", actor=reader)][before:]

    for via, read in (
        ("api", lambda report: api.get(f"{REPORTS}{report['id']}/bundle/")),
        ("web", lambda report: client.get(f"/analysis/reports/{report['id']}/print/")),
    ):
        shown = logged(read, with_personal)
        assert [(d["via"], d["objects"], d["report"]) for d in shown] == [(via, [personal["id"]], with_personal["id"])]
        assert logged(read, without) == []
