"""The export endpoint: filters, errors, permissions, audit, streaming in batches."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from accord.core.models import AuditEvent
from accord.exports import selectors
from accord.exports.services import export_start
from tests.exports.test_formats import EXPORTS, body_of, stix
from tests.ids import pid


def values(text: str) -> list[str]:
    return [row["value"] for row in csv.DictReader(io.StringIO(text))]


def test_same_filters_as_the_objects_list(api_for, shared):
    client = api_for("analyst")
    for params in (
        {"observable": "91.215.85.203"},
        {"value_prefix": "http://login-bank"},
        {"tlp": "amber+strict"},
        {"crime_type": "PHISHING"},
        {"type": "identity", "data_category": "personal_data"},
        {"tlp": ["green", "amber+strict"], "added_after": "2020-01-01T00:00:00Z"},
    ):
        listed = {o["stix_id"] for o in client.get("/api/v1/objects/", params | {"page_size": 100}).json()["results"]}
        exported = {o["id"] for o in stix(client, **params)["objects"] if o["id"] in listed or "--0000" in o["id"]}
        assert exported == listed, params
    assert values(body_of(client.get(f"{EXPORTS}csv/", {"crime_type": "phishing"})).decode()) == [
        "91.215.85.203",
        "phish-kit-host.net",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tlp": "purple"}, "tlp"),
        ({"added_after": "yesterday"}, "added_after"),
        ({"organisation": "bank"}, "organisation"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"observable_type": "pager"}, "observable_type"),
        ({"tpl": "green"}, "tpl"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_field(api_for, shared, params, field):
    response = api_for("analyst").get(f"{EXPORTS}csv/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith(f"{field}: ") and field in error["details"]
    assert not AuditEvent.objects.filter(action="export").exists()


def test_options_a_format_cannot_take(api_for, shared):
    client = api_for("analyst")
    response = client.get(f"{EXPORTS}stix/", {"observable_type": "ipv4"})
    assert response.status_code == 400 and "observable_type" in response.json()["error"]["details"]
    response = client.get(f"{EXPORTS}suricata/", {"observable_type": "iban"})
    assert response.status_code == 400 and "cannot express iban" in response.json()["error"]["message"]


def test_unknown_format_lists_the_formats(api_for, shared):
    response = api_for("analyst").get(f"{EXPORTS}pdf/")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_format"
    assert "blocklist, csv, misp, rpz, snort, stix, suricata" in error["message"]


def test_each_export_is_audited(api_for, shared, people):
    body_of(api_for("partner_reader").get(f"{EXPORTS}suricata/", {"tlp": "green", "purpose": "prevention"}))
    event = AuditEvent.objects.get(action="export")
    assert event.actor == people["partner_reader"]
    assert event.details == {
        "format": "suricata",
        "purpose": "prevention",
        "filters": {"tlp": ["green"]},
        "observable_types": [],
        "objects_matched": 8,  # the green ones, before the bank's redactions are applied
    }
    done = AuditEvent.objects.get(action="export.complete")
    assert done.seq == event.seq + 1 and done.actor == people["partner_reader"]
    assert done.details == {
        "export_event": event.seq,
        "format": "suricata",
        "objects": 0,
        "observables": 4,
        "left_out_as_benign": 0,
    }
    body_of(api_for("partner_reader").get(f"{EXPORTS}stix/"))
    assert AuditEvent.objects.filter(action="export.complete").latest("seq").details["objects"] == 5


def test_an_interrupted_export_is_recorded(shared, people):
    export = export_start(actor=people["analyst"], format="csv", params={})
    next(export.chunks)
    export.chunks.close()  # what the server does when the client goes away
    assert AuditEvent.objects.filter(action="export.interrupted").count() == 1


def test_permissions(api_for, anon, shared):
    assert anon.get(f"{EXPORTS}stix/").status_code == 401
    assert api_for("partner_reader", scopes=("taxii",)).get(f"{EXPORTS}stix/").status_code == 403
    for role in ("admin", "programme_manager", "analyst", "auditor", "partner_contributor", "partner_reader"):
        assert api_for(role).get(f"{EXPORTS}csv/").status_code == 200, role


def test_accept_header_does_not_matter(api_for, shared):
    response = api_for("analyst").get(f"{EXPORTS}stix/", HTTP_ACCEPT="application/stix+json;version=2.1")
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    assert orjson.loads(body_of(response))["type"] == "bundle"
    assert 'attachment; filename="accord-stix-' in response["Content-Disposition"]
    assert response["X-Accord-Objects"] == "9"


def test_batches_give_the_same_file(api_for, shared, monkeypatch):
    client = api_for("analyst")
    whole = {fmt: body_of(client.get(f"{EXPORTS}{fmt}/")) for fmt in ("csv", "suricata", "misp")}
    monkeypatch.setattr(selectors, "BATCH", 2)
    monkeypatch.setattr(selectors.PolicyExportSource.__init__, "__defaults__", (None, 2))
    for fmt, expected in whole.items():
        got = body_of(client.get(f"{EXPORTS}{fmt}/"))
        if fmt == "misp":
            strip = lambda raw: [a["uuid"] for a in orjson.loads(raw)["Event"]["Attribute"]]  # noqa: E731
            assert strip(got) == strip(expected)
        else:
            assert got.splitlines()[3:] == expected.splitlines()[3:], fmt  # all but the header's time


def test_queries_grow_with_batches_not_objects(api_for, shared, django_assert_max_num_queries, monkeypatch):
    client = api_for("partner_reader")
    monkeypatch.setattr(selectors.PolicyExportSource.__init__, "__defaults__", (None, 3))
    with django_assert_max_num_queries(40):
        body_of(client.get(f"{EXPORTS}stix/"))
    with django_assert_max_num_queries(40):
        body_of(client.get(f"{EXPORTS}suricata/"))


def test_an_auditor_views_revoked_objects_but_never_exports_them(api_for, shared):
    from accord.sharing.models import StixObject

    revoked = StixObject.objects.order_by("pk").first()
    StixObject.objects.filter(pk=revoked.pk).update(revoked=True)
    auditor = api_for("auditor")
    assert auditor.get(f"/api/v1/objects/{pid(revoked)}/").status_code == 200  # on the platform, for the audit
    bundle = orjson.loads(body_of(auditor.get(f"{EXPORTS}stix/")))
    assert revoked.stix_id not in {o["id"] for o in bundle["objects"]}
