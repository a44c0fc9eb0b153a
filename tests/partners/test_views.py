"""Partnership pages: the public form and directory, vetting and agreements in the UI, invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accord.core.models import AuditEvent, Organisation, User
from accord.partners.choices import ChecklistItem
from accord.partners.models import Agreement, PartnershipApplication
from tests.factories import IEP_TERMS, OrganisationFactory, make_agreement

FORM = {
    "organisation_name": "Nordlys Cyber Research Centre",
    "kind": "academia",
    "country": "NO",
    "contact_name": "Ingvild Berg",
    "contact_email": "i.berg@nordlys.example",
    "contribution_areas": ["intelligence_analysis", "training"],
    "proposal": "Ransomware payment-flow research and a summer school for investigators.",
    "listed_publicly": "on",
}


def test_public_form_and_thank_you(client, db):
    page = client.get("/partner/apply/").content.decode()
    assert "Become a partner" in page and 'name="proposal"' in page
    response = client.post("/partner/apply/", FORM)
    assert response.status_code == 201
    application = PartnershipApplication.objects.get()
    assert application.reference in response.content.decode()


def test_public_form_errors_name_the_fields_and_store_nothing(client, db):
    response = client.post("/partner/apply/", FORM | {"country": "", "contribution_areas": []})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('class="errorlist"') >= 2
    assert not PartnershipApplication.objects.exists()
    duplicate = client.post("/partner/apply/", FORM)
    assert duplicate.status_code == 201
    again = client.post("/partner/apply/", FORM)
    assert "already open" in again.content.decode()


def test_public_form_is_rate_limited(db, settings):
    settings.ACCORD_APPLICATION_RATE = "1/hour"
    client = Client(REMOTE_ADDR="192.0.2.77")
    assert client.post("/partner/apply/", FORM).status_code == 201
    assert client.post("/partner/apply/", FORM | {"organisation_name": "Other"}).status_code == 429


def test_directory_lists_only_active_partners_that_agreed(client, db):
    listed = OrganisationFactory(name="Listed Labs", listed_publicly=True, contribution_areas=["training"])
    OrganisationFactory(name="Shy Security", listed_publicly=False)
    OrganisationFactory(name="Vetting Ventures", listed_publicly=True, status="vetting")
    page = client.get("/partners/").content.decode()
    assert "Listed Labs" in page and "Training and capacity building" in page
    assert "Shy Security" not in page and "Vetting Ventures" not in page
    assert "Listed Labs" not in client.get("/partners/", {"region": "africa"}).content.decode()
    assert client.get("/api/v1/directory/").json()[0]["name"] == listed.name


def test_vetting_pages_for_staff_and_not_for_partners(client, people):
    application = PartnershipApplication.objects.create(
        reference="APP-2026-0042",
        organisation_name="X",
        kind="academia",
        country="NO",
        region="europe",
        contact_name="Y",
        contact_email="y@x.example",
        contribution_areas=["training"],
        proposal="Z",
    )
    client.force_login(people["partner_contributor"])
    assert client.get(f"/applications/{application.pk}/").status_code == 404
    client.force_login(people["analyst"])
    assert "APP-2026-0042" in client.get("/applications/", {"status": "submitted"}).content.decode()
    assert client.post(f"/applications/{application.pk}/", {"op": "transition", "to": "screening"}).status_code == 403
    client.force_login(people["programme_manager"])
    response = client.post(f"/applications/{application.pk}/", {"op": "transition", "to": "approved"}, follow=True)
    assert "cannot go to approved" in response.content.decode()
    kept = client.post(
        f"/applications/{application.pk}/", {"op": "transition", "to": "approved", "reason": "Strong fit, vetted"}
    )
    assert kept.status_code == 400 and "Strong fit, vetted</textarea>" in kept.content.decode()
    client.post(f"/applications/{application.pk}/", {"op": "transition", "to": "screening"})
    application.refresh_from_db()
    assert application.status == "screening"


def test_agreement_pages(client, people, partner):
    client.force_login(people["programme_manager"])
    form = client.get(f"/agreements/new/?organisation={partner.pk}").content.decode()
    assert "Data-sharing agreement" in form
    created = client.post(
        "/agreements/new/",
        {
            "organisation": partner.pk,
            "kind": "data_sharing",
            "title": "DSA Kestrel",
            "valid_from": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (timezone.now() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M"),
            **(IEP_TERMS | {"permitted_actions": "none"}),
            "data_categories": ["technical_indicator"],
            "purposes": ["investigation"],
            "tlp_ceiling": "green",
            "default_tlp": "green",
            "onward_kinds": ["law_enforcement"],
            "onward_regions": ["europe"],
            "retention_days": 365,
            "pap": "green",
        },
    )
    agreement = Agreement.objects.get(title="DSA Kestrel")
    assert created.status_code == 302
    page = client.post(f"/agreements/{agreement.pk}/", {"op": "suspend"}, follow=True).content.decode()
    assert "draft and cannot become suspended" in page
    signed = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    client.post(f"/agreements/{agreement.pk}/", {"op": "document", "document": signed})
    client.post(f"/agreements/{agreement.pk}/", {"op": "activate", "confirm": "yes"})
    agreement.refresh_from_db()
    assert agreement.status == "active"
    client.force_login(people["partner_reader"])
    assert agreement.reference in client.get("/agreements/").content.decode()
    assert client.post(f"/agreements/{agreement.pk}/", {"op": "terminate", "reason": "x"}).status_code == 403


def test_other_partners_agreements_are_hidden(client, people, other_partner):
    theirs = make_agreement(other_partner)
    client.force_login(people["partner_reader"])
    assert client.get(f"/agreements/{theirs.pk}/").status_code == 404
    assert theirs.reference not in client.get("/agreements/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_invited_contact_sets_a_password_and_is_logged_in(client, people, mailoutbox):
    from accord.partners.services import application_check, application_submit, application_transition

    application = application_submit(**{k: v for k, v in FORM.items() if k != "listed_publicly"})
    for to in ("screening", "due_diligence"):
        application_transition(actor=people["programme_manager"], application=application, to=to)
    for item in ChecklistItem.values:
        application_check(actor=people["programme_manager"], application=application, item=item, done=True)
    application_transition(actor=people["programme_manager"], application=application, to="approved", reason="Fit")
    invitation = next(m for m in mailoutbox if "invitation" in m.subject.lower())
    link = re.search(r"http://\S+/invite/\S+/", invitation.body).group(0)
    path = link.split("8000", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Welcome to Accord" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "a-good-long-passphrase", "new_password2": "a-good-long-passphrase"}, follow=True
    )
    assert "Dashboard" in done.content.decode()
    person = User.objects.get(email="i.berg@nordlys.example")
    assert person.has_usable_password()
    assert Organisation.objects.get(name=FORM["organisation_name"]).status == "vetting"
    reuse = client.get(path, follow=True)
    assert "This link has expired" in reuse.content.decode()


def test_partnership_actions_on_the_organisation_page(client, people, partner):
    make_agreement(partner)
    client.force_login(people["programme_manager"])
    page = client.get(f"/organisations/{partner.pk}/").content.decode()
    assert "Suspend partnership" in page and partner.agreements.get().reference in page
    refused = client.post(f"/partnerships/{partner.pk}/", {"op": "suspend"}, follow=True).content.decode()
    assert "say why" in refused
    client.post(f"/partnerships/{partner.pk}/", {"op": "suspend", "reason": "Audit"})
    partner.refresh_from_db()
    assert partner.status == "suspended"
    client.post(f"/partnerships/{partner.pk}/", {"op": "reinstate", "reason": "Audit closed"})
    partner.refresh_from_db()
    assert partner.status == "active"
    client.force_login(people["partner_contributor"])
    assert "Suspend partnership" not in client.get(f"/organisations/{partner.pk}/").content.decode()
    client.post(f"/partnerships/{partner.pk}/", {"op": "terminate", "reason": "x"})
    partner.refresh_from_db()
    assert partner.status == "active"


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_activating_asks_for_confirmation_saying_what_will_happen(client, people, partner):
    agreement = make_agreement(partner, status="draft", tlp_ceiling="green")
    client.force_login(people["programme_manager"])
    asked = client.post(f"/agreements/{agreement.pk}/", {"op": "activate", "reason": "Signed at the conference"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"Activate {agreement.reference}?" in page
    assert f"{partner.name} receives shared intelligence up to TLP:GREEN" in page
    assert "cannot be recalled" in page
    assert "Signed at the conference</textarea>" in page  # the reason typed on the agreement's page
    agreement.refresh_from_db()
    assert agreement.status == "draft"
    assert not AuditEvent.objects.filter(action="agreement.active").exists()
    client.post(f"/agreements/{agreement.pk}/", {"op": "activate", "reason": "Signed", "confirm": "yes"})
    agreement.refresh_from_db()
    assert agreement.status == "active"
    assert agreement.status_reason == "Signed"


def test_terminating_asks_for_confirmation_and_keeps_the_typed_reason(client, people, partner):
    agreement = make_agreement(partner)
    client.force_login(people["programme_manager"])
    page = client.post(f"/agreements/{agreement.pk}/", {"op": "terminate"}).content.decode()
    assert "This cannot be undone" in page
    assert f"{partner.name} loses at once all access" in page
    # confirmed without a reason: refused, and the page asks again
    refused = client.post(f"/agreements/{agreement.pk}/", {"op": "terminate", "reason": "  ", "confirm": "yes"})
    assert refused.status_code == 400
    assert "say why" in refused.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "active"
    client.post(f"/agreements/{agreement.pk}/", {"op": "terminate", "reason": "Partner withdrew", "confirm": "yes"})
    agreement.refresh_from_db()
    assert agreement.status == "terminated"


def test_a_refused_activation_keeps_what_was_typed(client, people, partner):
    make_agreement(partner)  # in force: a second over the same window overlaps it
    second = make_agreement(partner, status="draft")
    client.force_login(people["programme_manager"])
    response = client.post(
        f"/agreements/{second.pk}/", {"op": "activate", "reason": "Renewal, signed 3 March", "confirm": "yes"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "overlap" in page
    assert "Renewal, signed 3 March</textarea>" in page
    second.refresh_from_db()
    assert second.status == "draft"


def test_a_suspension_refused_keeps_the_reason_on_the_agreements_page(client, people, partner):
    agreement = make_agreement(partner, status="draft")
    client.force_login(people["programme_manager"])
    response = client.post(f"/agreements/{agreement.pk}/", {"op": "suspend", "reason": "Breach under review"})
    assert response.status_code == 400
    assert 'value="Breach under review"' in response.content.decode()


def test_an_unsigned_data_sharing_agreement_needs_an_administrators_audited_override(client, people, partner):
    agreement = make_agreement(partner, status="draft", signed=False)
    client.force_login(people["programme_manager"])
    page = client.post(f"/agreements/{agreement.pk}/", {"op": "activate"}).content.decode()
    assert "has no signed document" in page
    assert "only a platform administrator may activate it without one" in page
    assert 'data-testid="confirm-activate"' not in page
    refused = client.post(f"/agreements/{agreement.pk}/", {"op": "activate", "confirm": "yes"})
    assert refused.status_code == 400
    assert "no signed document" in refused.content.decode()
    forbidden = client.post(
        f"/agreements/{agreement.pk}/", {"op": "activate", "override_reason": "In the post", "confirm": "yes"}
    )
    assert "Only a platform administrator" in forbidden.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "draft"

    client.force_login(people["admin"])
    page = client.post(f"/agreements/{agreement.pk}/", {"op": "activate"}).content.decode()
    assert 'name="override_reason"' in page
    client.post(
        f"/agreements/{agreement.pk}/",
        {"op": "activate", "override_reason": "Signed copy in the post; operation starts Monday", "confirm": "yes"},
    )
    agreement.refresh_from_db()
    assert agreement.status == "active"
    event = AuditEvent.objects.get(action="agreement.activate_unsigned")
    assert (event.actor.username, event.justification) == ("admin", "Signed copy in the post; operation starts Monday")
