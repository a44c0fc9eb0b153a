"""An originator's acts on an object it shared, after ingest: restore (a revocation undone),
address (to more organisations), keep longer. Through the API, the object's page and the CLI:
who may, what bad input is told, that a page asks first. What they make visible reaching TAXII
pollers is tested in ``tests/taxii/test_late_acts.py``."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accord.core.models import AuditEvent
from accord.formats.markings import TLP2_IDS
from accord.sharing.models import StixObject
from accord.sharing.services import object_revoke, submission_create, submission_process
from tests.factories import OrganisationFactory, make_agreement
from tests.stix_samples import bundle, indicator

AMBER = indicator(1, "[ipv4-addr:value = '203.0.113.7']", object_marking_refs=[TLP2_IDS["amber"]])
STIX_ID = AMBER["id"]


@pytest.fixture
def shared(partner: Any, people: Any, settings: Any, tmp_path: Any) -> StixObject:
    """Kestrel's TLP:AMBER indicator, kept 5 days of the 30 its agreement would allow."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner, retention_days=30)
    submission, _ = submission_create(actor=None, organisation=partner, stream=io.BytesIO(bundle(AMBER)), format="stix")
    assert submission_process(submission_id=submission.pk).status == "done"
    StixObject.objects.filter(stix_id=STIX_ID).update(expires_at=timezone.now() + timedelta(days=5))
    return StixObject.objects.get(stix_id=STIX_ID)


@pytest.fixture
def bank(db: Any) -> Any:
    """A partner in the public directory: one a partner may address an object to."""
    return OrganisationFactory(name="Atlas Bank Group", country="AE", sector="banking_finance", listed_publicly=True)


def url(op: str) -> str:
    return f"/api/v1/objects/{STIX_ID}/{op}/"


def test_the_api_restores_addresses_and_keeps_longer(shared, bank, people, api_for):
    api = api_for("partner_contributor")
    assert api.post(url("restore"), {"reason": "never revoked"}, format="json").json() == {"restored_versions": 0}
    object_revoke(actor=people["partner_contributor"], stix_id=STIX_ID, reason="sent in error")
    assert api.post(url("restore"), {"reason": "it was right"}, format="json").json() == {"restored_versions": 1}
    assert not StixObject.objects.get(stix_id=STIX_ID).revoked
    assert api.post(url("address"), {"organisations": [bank.pk]}, format="json").json() == {"added_organisations": 1}
    assert api.post(url("address"), {"organisations": [bank.pk]}, format="json").json() == {"added_organisations": 0}
    assert list(shared.addressed_to.all()) == [bank]
    until = timezone.now() + timedelta(days=20)
    answer = api.post(url("extend-retention"), {"until": until.isoformat(), "reason": "case open"}, format="json")
    assert answer.status_code == 200 and answer.json() == {"extended_versions": 1}
    assert StixObject.objects.get(stix_id=STIX_ID).expires_at == until
    assert {e.action for e in AuditEvent.objects.filter(object_id=STIX_ID)} >= {
        "object.restore",
        "object.address",
        "object.retention_extend",
    }


@pytest.mark.parametrize(
    ("op", "body", "field"),
    [
        ("restore", {}, "reason"),
        ("restore", {"reason": "  "}, "reason"),
        ("address", {"organisations": []}, "organisations"),
        ("address", {"organisations": ["Atlas"]}, "organisations"),
        ("extend-retention", {"until": "2020-01-01T00:00:00Z", "reason": "late"}, "until"),
        ("extend-retention", {"until": "tomorrow", "reason": "late"}, "until"),
        ("extend-retention", {"reason": "no date"}, "until"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(shared, api_for, op, body, field):
    answer = api_for("partner_contributor").post(url(op), body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["error"]["details"]


def test_retention_past_the_agreement_and_an_organisation_not_offered_are_refused(shared, bank, api_for):
    api = api_for("partner_contributor")
    beyond = (timezone.now() + timedelta(days=60)).isoformat()
    answer = api.post(url("extend-retention"), {"until": beyond, "reason": "longer"}, format="json")
    assert answer.status_code == 400 and "at most 30 days" in answer.json()["error"]["message"]
    unlisted = OrganisationFactory(name="Quiet Telecom", listed_publicly=False)
    answer = api.post(url("address"), {"organisations": [unlisted.pk]}, format="json")
    assert answer.status_code == 400 and "organisations" in answer.json()["error"]["details"]
    assert not shared.addressed_to.exists()


def test_only_the_originators_people_who_share_may_act(shared, bank, people, api_for, anon):
    body = {"organisations": [bank.pk]}
    assert anon.post(url("address"), body, format="json").status_code == 401
    assert api_for("partner_reader").post(url("address"), body, format="json").status_code == 403
    # The host's analyst may see it and shares data, but it is not the host's object.
    answer = api_for("analyst").post(url("address"), body, format="json")
    assert answer.status_code == 404 and "your organisation shared" in answer.json()["error"]["message"]
    assert api_for("admin").post(url("restore"), {"reason": "x"}, format="json").status_code == 404
    assert not shared.addressed_to.exists()


def test_the_object_page_offers_the_originator_its_acts_and_asks_first(shared, bank, people):
    browser = Client()
    browser.force_login(people["partner_contributor"])
    detail = browser.get(f"/shared/{STIX_ID}/").content.decode()
    for op in ("address", "extend-retention", "revoke"):
        assert f'href="/shared/{STIX_ID}/{op}/"' in detail
    assert f"/shared/{STIX_ID}/restore/" not in detail  # nothing revoked
    asked = browser.get(f"/shared/{STIX_ID}/address/").content.decode()
    assert "This cannot be undone" in asked and "Atlas Bank Group" in asked
    # Keep longer: the page asks; a date past the agreement's retention is told on the field.
    beyond = (timezone.now() + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    refused = browser.post(
        f"/shared/{STIX_ID}/extend-retention/", {"until": beyond, "reason": "case open", "confirm": "yes"}
    ).content.decode()
    assert 'data-testid="error-until"' in refused and "at most 30 days" in refused
    soon = (timezone.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    again = browser.post(f"/shared/{STIX_ID}/extend-retention/", {"until": soon, "reason": "case open"})
    assert again.status_code == 200 and "case open</textarea>" in again.content.decode()
    done = browser.post(
        f"/shared/{STIX_ID}/extend-retention/", {"until": soon, "reason": "case open", "confirm": "yes"}
    )
    assert done.status_code == 302
    assert StixObject.objects.get(stix_id=STIX_ID).expires_at.strftime("%Y-%m-%dT%H:%M") == soon
    # Restore: offered once revoked; the reason is required, named on its field.
    object_revoke(actor=people["partner_contributor"], stix_id=STIX_ID, reason="sent in error")
    assert f'href="/shared/{STIX_ID}/restore/"' in browser.get(f"/shared/{STIX_ID}/").content.decode()
    blank = browser.post(f"/shared/{STIX_ID}/restore/", {"reason": "", "confirm": "yes"}).content.decode()
    assert 'data-testid="error-reason"' in blank
    assert StixObject.objects.get(stix_id=STIX_ID).revoked
    assert browser.post(f"/shared/{STIX_ID}/restore/", {"reason": "right", "confirm": "yes"}).status_code == 302
    assert not StixObject.objects.get(stix_id=STIX_ID).revoked


def test_someone_else_gets_no_buttons_and_no_pages(shared, people):
    browser = Client()
    browser.force_login(people["analyst"])
    detail = browser.get(f"/shared/{STIX_ID}/").content.decode()
    assert "/address/" not in detail and "/restore/" not in detail and "/extend-retention/" not in detail
    for op in ("address", "restore", "extend-retention"):
        assert browser.get(f"/shared/{STIX_ID}/{op}/").status_code == 403


def test_the_command_line_acts_as_a_named_person(shared, bank, people):
    out = io.StringIO()
    call_command("objects", "address", STIX_ID, "--to", "Atlas Bank Group", "--as", "partner_contributor", stdout=out)
    assert "to 1 more organisation(s)" in out.getvalue()
    object_revoke(actor=people["partner_contributor"], stix_id=STIX_ID, reason="sent in error")
    call_command("objects", "restore", STIX_ID, "--as", "partner_contributor", "--reason", "right", stdout=out)
    assert "Restored 1 version(s)" in out.getvalue()
    with pytest.raises(CommandError, match="--to: no organisation called 'Nobody'"):
        call_command("objects", "address", STIX_ID, "--to", "Nobody", "--as", "partner_contributor")
    with pytest.raises(CommandError, match="--as: no person called 'ghost'"):
        call_command("objects", "restore", STIX_ID, "--as", "ghost", "--reason", "x")
    with pytest.raises(CommandError, match="--until: 'soon' is not an ISO 8601"):
        call_command("objects", "extend-retention", STIX_ID, "--as", "partner_contributor", "--until", "soon",
                     "--reason", "x")  # fmt: skip
    with pytest.raises(CommandError, match="No object .* that your organisation shared"):
        call_command("objects", "restore", STIX_ID, "--as", "analyst", "--reason", "x")
