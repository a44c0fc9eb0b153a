"""``/api/v1/tokens/``: issue (secret once), list, revoke; only one's own."""

from __future__ import annotations

from rest_framework.test import APIClient

from accord.core.models import ApiToken, AuditEvent
from accord.core.services import token_issue

URL = "/api/v1/tokens/"


def test_issue_shows_the_secret_once_and_it_works(api_for, people):
    client = api_for("partner_contributor")
    response = client.post(URL, {"name": "SIEM", "scopes": ["read"], "days": 30}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["token"]
    assert secret.startswith(body["prefix"] + "_")
    listed = client.get(URL).json()["results"]
    assert all("token" not in t for t in listed)
    assert {t["name"] for t in listed} >= {"SIEM"}
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert fresh.get("/api/v1/me/").json()["token"]["scopes"] == ["read"]
    assert AuditEvent.objects.filter(action="token.issue", details__prefix=body["prefix"]).exists()


def test_bad_scope_or_days_is_400(people):
    client = APIClient()
    client.force_login(people["partner_reader"])  # a reader's tokens cannot write, so use the session
    bad_scope = client.post(URL, {"name": "x", "scopes": ["everything"]}, format="json")
    assert bad_scope.status_code == 400
    assert "scopes" in bad_scope.json()["error"]["details"]
    too_long = client.post(URL, {"name": "x", "scopes": ["read"], "days": 4000}, format="json")
    assert too_long.status_code == 400
    assert "days" in too_long.json()["error"]["details"]
    beyond_role = client.post(URL, {"name": "x", "scopes": ["write"]}, format="json")
    assert beyond_role.status_code == 400
    assert "cannot hold" in beyond_role.json()["error"]["message"]
    assert not ApiToken.objects.filter(user=people["partner_reader"]).exists()


def test_a_read_only_token_cannot_issue_tokens(api_for):
    response = api_for("partner_reader").post(URL, {"name": "x", "scopes": ["read"]}, format="json")
    assert response.status_code == 403


def test_revoke_ends_access_at_once(people):
    issued = token_issue(actor=None, user=people["analyst"], name="cli", scopes=["read", "write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.delete(f"{URL}{issued.token.pk}/").status_code == 204
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert client.get("/api/v1/me/").status_code == 401


def test_someone_elses_token_is_404(api_for, people):
    theirs = token_issue(actor=None, user=people["analyst"], name="theirs", scopes=["read"])
    client = api_for("programme_manager")
    assert client.get(f"{URL}{theirs.token.pk}/").status_code == 404
    assert client.delete(f"{URL}{theirs.token.pk}/").status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None


def test_anonymous_is_401(anon):
    assert anon.get(URL).status_code == 401
    assert anon.post(URL, {"name": "x", "scopes": ["read"]}, format="json").status_code == 401
