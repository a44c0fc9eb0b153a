"""``/api/v1/applications/``: anonymous intake, vetting workflow, decisions, e-mails, bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from accord.core.models import AuditEvent, Organisation, User
from accord.partners.choices import ChecklistItem
from accord.partners.models import PartnershipApplication
from tests.factories import DSA_TERMS
from tests.partners.test_api_agreements import sign

URL = "/api/v1/applications/"
VALID = {
    "organisation_name": "Andes Fintech",
    "kind": "private",
    "sector": "banking_finance",
    "country": "CO",
    "website": "https://andesfintech.example",
    "contact_name": "Camila Restrepo",
    "contact_email": "c.restrepo@andesfintech.example",
    "contribution_areas": ["information_sharing", "other"],
    "proposal": "We could share mule accounts weekly, and host a workshop on account takeover.",
    "listed_publicly": True,
}


def submit(client: APIClient, **changes: Any) -> Any:
    headers = {k: changes.pop(k) for k in list(changes) if k.startswith("HTTP_")}
    return client.post(URL, VALID | changes, format="json", **headers)


@pytest.mark.django_db(transaction=True)  # e-mails leave when the transaction commits
def test_anyone_may_apply_and_gets_an_acknowledgement(anon, db, mailoutbox):
    response = submit(anon)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"APP-\d{4}-0001", body["reference"])
    assert set(body) == {"reference", "organisation_name", "status", "submitted_at"}  # nothing internal
    application = PartnershipApplication.objects.get()
    assert (application.region, application.status) == ("americas", "submitted")
    assert [m.to for m in mailoutbox] == [["c.restrepo@andesfintech.example"]]
    assert body["reference"] in mailoutbox[0].subject
    assert AuditEvent.objects.filter(action="application.submit").exists()


def test_a_second_open_application_for_the_same_organisation_is_refused(anon, db):
    assert submit(anon).status_code == 201
    again = submit(anon, organisation_name="ANDES FINTECH", contact_email="other@andesfintech.example")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "duplicate_application"
    assert "already open" in error["message"]
    assert PartnershipApplication.objects.count() == 1
    assert submit(anon, country="PE").status_code == 201  # another country is another organisation


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"kind": "pirate"}, "kind", "law_enforcement, international_org, private, academia"),
        ({"sector": ""}, "sector", "needs a sector"),
        ({"country": "XX"}, "country", "ISO 3166-1"),
        ({"contribution_areas": ["espionage"]}, "contribution_areas", "information_sharing"),
        ({"contribution_areas": []}, "contribution_areas", ""),
        ({"proposal": ""}, "proposal", ""),
        ({"contact_email": "not-an-address"}, "contact_email", ""),
    ],
)
@pytest.mark.django_db(transaction=True)  # e-mails leave when the transaction commits
def test_bad_input_is_400_naming_the_field_and_stores_nothing(anon, db, mailoutbox, changes, field, words):
    response = submit(anon, **changes)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["details"]
    assert words in str(error)
    assert not PartnershipApplication.objects.exists()
    assert mailoutbox == []


def test_anonymous_applications_are_rate_limited(db, settings):
    settings.ACCORD_APPLICATION_RATE = "2/hour"
    anon = APIClient(REMOTE_ADDR="192.0.2.41")
    assert submit(anon, organisation_name="A").status_code == 201
    assert submit(anon, organisation_name="B").status_code == 201
    # A forged X-Forwarded-For does not buy a fresh allowance.
    refused = submit(anon, organisation_name="C", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert PartnershipApplication.objects.count() == 2


def test_reading_applications(api_for, anon, people, partner):
    submit(anon)
    assert anon.get(URL).status_code == 401
    assert api_for("programme_manager").get(URL).json()["count"] == 1
    assert api_for("auditor").get(URL, {"status": "submitted", "region": "americas"}).json()["count"] == 1
    assert api_for("auditor").get(URL, {"region": "europe"}).json()["count"] == 0
    assert api_for("partner_reader").get(URL).json()["count"] == 0  # not theirs
    other = PartnershipApplication.objects.get()
    assert api_for("partner_reader").get(f"{URL}{other.pk}/").status_code == 404


def _move(client: APIClient, pk: int, to: str, reason: str = "") -> Any:
    return client.post(f"{URL}{pk}/transition/", {"to": to, "reason": reason}, format="json")


@pytest.mark.django_db(transaction=True)  # e-mails leave when the transaction commits
def test_from_application_to_active_partner_through_the_api(api_for, anon, people, mailoutbox):
    pk = PartnershipApplication.objects.get(reference=submit(anon).json()["reference"]).pk
    manager = api_for("programme_manager")
    assert _move(manager, pk, "screening").json()["status"] == "screening"
    assert (
        manager.post(f"{URL}{pk}/comments/", {"body": "Call scheduled with their CISO."}, format="json").status_code
        == 201
    )
    assert _move(manager, pk, "due_diligence").json()["status"] == "due_diligence"
    early = _move(manager, pk, "approved", "Looks good")
    assert early.status_code == 400
    assert "vetting is not complete" in early.json()["error"]["message"]
    for item in ChecklistItem.values:
        checked = manager.post(f"{URL}{pk}/checklist/", {"item": item, "done": True, "note": "ok"}, format="json")
        assert checked.json()["checklist"][item]["by"] == "programme_manager"
    approved = _move(manager, pk, "approved", "Strong fit for the mule-account initiative.")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["decided_by"] == "programme_manager"
    assert [c["body"] for c in body["comments"]] == ["Call scheduled with their CISO."]

    organisation = Organisation.objects.get(name="Andes Fintech")
    assert (organisation.status, organisation.region, organisation.listed_publicly) == ("vetting", "americas", True)
    contact = User.objects.get(email="c.restrepo@andesfintech.example")
    assert (contact.organisation, contact.role, contact.has_usable_password()) == (
        organisation,
        "partner_contributor",
        False,
    )
    subjects = [m.subject for m in mailoutbox]
    assert any("approved" in s for s in subjects)
    invitation = next(m for m in mailoutbox if "invitation" in m.subject.lower())
    assert "/invite/" in invitation.body

    created = manager.post(
        "/api/v1/agreements/",
        {
            "organisation": organisation.pk,
            "kind": "data_sharing",
            "title": "Data sharing with Andes Fintech",
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": "2028-01-01T00:00:00Z",
            "terms": DSA_TERMS,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert sign(manager, created.json()["id"]).status_code == 200
    activated = manager.post(f"/api/v1/agreements/{created.json()['id']}/activate/", {}, format="json")
    assert activated.json()["status"] == "active"
    organisation.refresh_from_db()
    assert organisation.status == "active"


def test_illegal_jump_names_the_allowed_moves_and_changes_nothing(api_for, anon, people):
    pk = PartnershipApplication.objects.get(reference=submit(anon).json()["reference"]).pk
    response = _move(api_for("programme_manager"), pk, "approved", "skip the vetting")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "to" in error["details"]
    assert "screening, declined" in error["message"]
    assert PartnershipApplication.objects.get(pk=pk).status == "submitted"
    assert not Organisation.objects.filter(name="Andes Fintech").exists()


@pytest.mark.django_db(transaction=True)  # e-mails leave when the transaction commits
def test_a_decline_needs_a_reason_and_is_final(api_for, anon, people, mailoutbox):
    pk = PartnershipApplication.objects.get(reference=submit(anon).json()["reference"]).pk
    manager = api_for("programme_manager")
    assert _move(manager, pk, "declined").status_code == 400
    declined = _move(manager, pk, "declined", "Outside the programme's scope.")
    assert declined.json()["status"] == "declined"
    assert "declined" in mailoutbox[-1].subject
    assert "Outside the programme's scope." in mailoutbox[-1].body
    assert _move(manager, pk, "screening").status_code == 400
    # a closed application no longer blocks a new one
    assert submit(anon).status_code == 201


@pytest.mark.parametrize("role", ["analyst", "auditor", "partner_contributor", "partner_reader"])
def test_only_programme_managers_vet(api_for, anon, role):
    status = 403
    """The role decides before any object is looked up: 403, whether or not the application exists."""
    pk = PartnershipApplication.objects.get(reference=submit(anon).json()["reference"]).pk
    client = api_for(role)
    assert _move(client, pk, "screening").status_code == status
    assert (
        client.post(f"{URL}{pk}/checklist/", {"item": "legal_review", "done": True}, format="json").status_code
        == status
    )
    assert client.post(f"{URL}{pk}/comments/", {"body": "hello"}, format="json").status_code == status
    assert PartnershipApplication.objects.get(pk=pk).status == "submitted"


def test_history_shows_every_step(api_for, anon, people):
    pk = PartnershipApplication.objects.get(reference=submit(anon).json()["reference"]).pk
    manager = api_for("programme_manager")
    _move(manager, pk, "screening")
    manager.post(f"{URL}{pk}/checklist/", {"item": "identity_verified", "done": True}, format="json")
    history = manager.get(f"{URL}{pk}/").json()["history"]
    assert [h["action"] for h in history] == ["application.submit", "application.transition", "application.check"]
    assert history[1]["details"] == {"from": "submitted", "to": "screening", "organisation": None}
    assert history[1]["actor"] == "programme_manager"


def test_list_query_count_is_constant(api_for, anon, people, django_assert_max_num_queries):
    for n in range(20):
        submit(anon, organisation_name=f"Applicant {n}")
    client = api_for("programme_manager")
    with django_assert_max_num_queries(6):
        assert client.get(URL, {"page_size": 100}).json()["count"] == 20


def test_references_keep_counting_past_9999(anon, db):
    from django.utils import timezone as tz

    year = tz.now().year
    PartnershipApplication.objects.create(
        reference=f"APP-{year}-9999",
        organisation_name="Old",
        kind="academia",
        country="FR",
        region="europe",
        contact_name="x",
        contact_email="x@old.example",
        contribution_areas=["training"],
        proposal="x",
        status="declined",
    )
    assert submit(anon).json()["reference"] == f"APP-{year}-10000"
    assert submit(anon, organisation_name="Next").json()["reference"] == f"APP-{year}-10001"


def test_a_current_partner_cannot_apply_again_but_a_former_one_can(api_for, anon, people, partner):
    refused = submit(anon, organisation_name=partner.name, country=partner.country)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "already_a_partner"
    partner.status = "terminated"
    partner.save()
    pk = PartnershipApplication.objects.get(
        reference=submit(anon, organisation_name=partner.name, country=partner.country).json()["reference"]
    ).pk
    manager = api_for("programme_manager")
    _move(manager, pk, "screening")
    _move(manager, pk, "due_diligence")
    for item in ChecklistItem.values:
        manager.post(f"{URL}{pk}/checklist/", {"item": item, "done": True}, format="json")
    approved = _move(manager, pk, "approved", "Welcome back")
    assert approved.status_code == 200, approved.json()
    partner.refresh_from_db()
    assert partner.status == "vetting"
    assert approved.json()["organisation"] == partner.pk
