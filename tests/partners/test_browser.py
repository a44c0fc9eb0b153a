"""In a real browser: from the public application form to an active partner, through the UI alone."""

from __future__ import annotations

from accord.core.models import Organisation
from accord.partners.choices import ChecklistItem
from accord.partners.models import Agreement
from tests.browser import browser_marks
from tests.factories import TEST_PASSWORD

pytestmark = browser_marks


def test_public_form_to_active_partner_in_the_ui(page, live_server, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page.goto(f"{live_server.url}/partner/apply/")
    page.fill("#id_organisation_name", "Andes Fintech")
    page.select_option("#id_kind", "private")
    page.select_option("#id_sector", "banking_finance")
    page.select_option("#id_country", "CO")
    page.fill("#id_contact_name", "Camila Restrepo")
    page.fill("#id_contact_email", "c.restrepo@andesfintech.example")
    page.check("input[name=contribution_areas][value=information_sharing]")
    page.fill("#id_proposal", "Mule accounts and wallet addresses, weekly.")
    page.check("#id_listed_publicly")
    page.click("text=Send application")
    reference = page.inner_text("[data-testid=application-reference]")
    assert reference.startswith("APP-")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "programme_manager")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav >> text=Applications")
    page.click(f"text={reference}")
    page.click("button:has-text('Start screening')")
    assert page.inner_text("[data-testid=application-status]") == "Screening"
    page.click("button:has-text('Start due diligence')")
    for item in ChecklistItem.values:
        page.click(f"[data-testid=check-{item}]")
        page.wait_for_selector(f"[data-testid=check-{item}]:has-text('☑')")
    page.fill("#id_reason", "Vetting complete; strong fit for the mule-account initiative.")
    page.click("button:has-text('Approve')")
    assert page.inner_text("[data-testid=application-status]") == "Approved"

    organisation = Organisation.objects.get(name="Andes Fintech")
    assert organisation.status == "vetting"
    page.goto(f"{live_server.url}/agreements/new/?organisation={organisation.pk}")
    page.fill("#id_title", "Data sharing with Andes Fintech")
    page.fill("#id_valid_until", "2030-12-31T00:00")
    page.click("text=Save draft")
    assert page.inner_text("[data-testid=agreement-status]") == "Draft"
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    page.set_input_files("#id_document", str(signed))
    page.click("button:has-text('Upload')")
    page.wait_for_selector("text=Signed document stored.")
    page.click("button:has-text('Activate')")
    assert "Andes Fintech receives shared intelligence" in page.inner_text("[data-testid=consequences]")
    page.click("[data-testid=confirm-activate]")
    assert page.inner_text("[data-testid=agreement-status]") == "Active"

    organisation.refresh_from_db()
    assert organisation.status == "active"
    assert Agreement.objects.get(organisation=organisation).current_version.tlp_ceiling == "amber"
    page.goto(f"{live_server.url}/partners/")
    assert "Andes Fintech" in page.inner_text("main")
