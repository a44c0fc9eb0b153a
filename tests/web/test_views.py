"""The UI: login, dashboard with live counts, lists with filters and paging, tokens, audit."""

from __future__ import annotations

import re

import pytest

from accord.core.models import ApiToken, AuditEvent
from tests.factories import TEST_PASSWORD, OrganisationFactory

PAGES = ["/", "/dashboard/counts/", "/organisations/", "/people/", "/tokens/", "/audit/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_and_failed_login(client, people):
    assert "Log in to Accord" in client.get("/login/").content.decode()
    response = client.post("/login/", {"username": "analyst", "password": "wrong"})
    assert "did not match" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", details__username="analyst").exists()


def test_login_leads_to_the_dashboard_with_counts(client, people, other_partner):
    response = client.post("/login/", {"username": "analyst", "password": TEST_PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Dashboard" in page
    assert re.search(r'data-testid="count-organisations">3<', page)
    assert 'hx-get="/dashboard/counts/"' in page
    assert AuditEvent.objects.filter(action="auth.login", actor_username="analyst").exists()


def test_counts_fragment_follows_the_data(client, people):
    client.force_login(people["analyst"])
    before = client.get("/dashboard/counts/").content.decode()
    OrganisationFactory(country="KE")
    after = client.get("/dashboard/counts/").content.decode()
    assert 'data-testid="count-organisations">2<' in before
    assert 'data-testid="count-organisations">3<' in after
    assert "<html" not in after


def test_partner_dashboard_counts_only_what_it_may_see(client, people, other_partner):
    client.force_login(people["partner_reader"])
    assert 'data-testid="count-organisations">1<' in client.get("/").content.decode()


def test_organisation_list_filters_and_pages(client, people):
    for i in range(30):
        OrganisationFactory(name=f"Bank {i:02}", sector="banking_finance", country="BR")
    client.force_login(people["programme_manager"])
    page = client.get("/organisations/", {"sector": "banking_finance"}).content.decode()
    assert "30 results" in page and "page 1 of 2" in page
    assert "Bank 00" in page and "Bank 29" not in page
    second = client.get("/organisations/", {"sector": "banking_finance", "page": 2}).content.decode()
    assert "Bank 29" in second
    none = client.get("/organisations/", {"q": "no such name"}).content.decode()
    assert "No organisation matches" in none


def test_partner_cannot_open_another_organisation(client, people, other_partner):
    client.force_login(people["partner_reader"])
    assert client.get(f"/organisations/{other_partner.pk}/").status_code == 404
    assert client.get(f"/organisations/{people['partner_reader'].organisation_id}/").status_code == 200


def test_people_list(client, people):
    client.force_login(people["auditor"])
    page = client.get("/people/", {"role": "partner_reader"}).content.decode()
    assert "<td>partner_reader</td>" in page and "<td>programme_manager</td>" not in page


def test_issue_and_revoke_a_token_in_the_ui(client, people):
    client.force_login(people["partner_contributor"])
    page = client.post("/tokens/", {"name": "SIEM feed", "scopes": ["read", "taxii"], "days": 30}).content.decode()
    token = ApiToken.objects.get(user=people["partner_contributor"])
    shown = re.search(r'data-testid="new-token">([^<]+)<', page).group(1)
    assert shown.startswith(token.prefix)
    assert shown not in client.get("/tokens/").content.decode()  # shown once
    client.post(f"/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_form_errors_are_shown(client, people):
    client.force_login(people["partner_reader"])
    response = client.post("/tokens/", {"name": "x", "scopes": ["write"], "days": 30})
    assert response.status_code == 400
    assert "Select a valid choice. write is not one of the available choices." in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("partner_reader", {"read", "taxii"}),
        ("analyst", {"read", "write", "taxii"}),
        ("admin", {"read", "write", "taxii", "admin"}),
    ],
)
def test_token_form_offers_only_the_scopes_of_the_role(client, people, role, offered):
    client.force_login(people[role])
    page = client.get("/tokens/").content.decode()
    assert set(re.findall(r'name="scopes" value="(\w+)"', page)) == offered


def test_audit_page_for_auditors_only(client, people):
    client.force_login(people["analyst"])
    assert client.get("/audit/").status_code == 403
    client.force_login(people["auditor"])
    page = client.get("/audit/", {"verify": 1}).content.decode()
    assert "The chain is intact" in page


def test_security_headers(client, db):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_api_404_is_json_and_ui_404_is_html(client, db):
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
    assert "html" in client.get("/no-such-page/")["Content-Type"]


def test_admin_is_for_staff(client, people):
    client.force_login(people["admin"])
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/organisation/").status_code == 200
    client.force_login(people["analyst"])
    assert client.get("/admin/").status_code == 302


def test_ten_failed_sign_ins_lock_the_account_even_against_the_right_password(client, people, settings):
    """The eleventh attempt, with the right password, is refused and says why; the lock is
    audited once; the same address signs another person in; a right password before the lock
    forgets the failures."""
    settings.ACCORD_LOGIN_FAILURES_PER_ACCOUNT = "10/hour"
    for _ in range(9):
        client.post("/login/", {"username": "analyst", "password": "wrong"})
    assert client.post("/login/", {"username": "analyst", "password": TEST_PASSWORD}).status_code == 302
    client.logout()  # nine failures then the right password: in, and the count starts again
    for _ in range(10):
        client.post("/login/", {"username": "Analyst ", "password": "wrong"})  # the name as typed
    refused = client.post("/login/", {"username": "analyst", "password": TEST_PASSWORD})
    assert refused.status_code == 200 and "sign-in is locked" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    locked = AuditEvent.objects.filter(action="auth.locked")
    assert [e.details["username"] for e in locked] == ["Analyst"]  # the form trims the name
    assert client.post("/login/", {"username": "auditor", "password": TEST_PASSWORD}).status_code == 302


def test_an_address_failing_for_many_names_is_locked_for_every_name(client, people, settings):
    """Guessing across names from one address: after the address's limit, even a real person's
    right password from there is refused; from another address it goes through."""
    settings.ACCORD_LOGIN_FAILURES_PER_ADDRESS = "5/hour"
    for n in range(5):
        client.post("/login/", {"username": f"nobody{n}", "password": "wrong"})
    refused = client.post("/login/", {"username": "analyst", "password": TEST_PASSWORD})
    assert "sign-in is locked" in refused.content.decode()
    elsewhere = client.post("/login/", {"username": "analyst", "password": TEST_PASSWORD}, REMOTE_ADDR="10.9.8.7")
    assert elsewhere.status_code == 302
