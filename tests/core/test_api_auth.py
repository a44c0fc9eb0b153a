"""Bearer tokens on the API: accepted, expired, revoked, malformed, scoped; the ``me`` endpoint."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accord.core.errors import ValidationFailed
from accord.core.models import ApiToken
from accord.core.services import token_issue
from tests.factories import UserFactory

ME = "/api/v1/me/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_me_with_a_token_names_the_person_role_and_token(people):
    issued = token_issue(actor=None, user=people["analyst"], name="siem", scopes=["read"])
    body = bearer(issued.secret).get(ME).json()
    assert body["person"]["username"] == "analyst"
    assert body["person"]["role"] == "analyst"
    assert body["person"]["organisation_detail"]["is_host"] is True
    assert "analysis.work" in body["person"]["permissions"]
    assert body["token"]["prefix"] == issued.token.prefix
    assert "token" not in body["token"]  # the secret is never shown again


def test_token_is_stored_only_as_a_hash_with_a_recognisable_prefix(people):
    issued = token_issue(actor=None, user=people["partner_reader"], name="feed", scopes=["read"])
    assert issued.secret.startswith(f"acc_{issued.token.key_id}_")
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.secret_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in str(ApiToken.objects.filter(pk=row.pk).values().get())


def test_last_used_time_is_recorded(people):
    issued = token_issue(actor=None, user=people["partner_reader"], name="feed", scopes=["read"])
    assert issued.token.last_used_at is None
    assert bearer(issued.secret).get(ME).status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


@pytest.mark.parametrize(
    "state",
    ["expired", "revoked", "unknown", "tampered", "inactive-user"],
)
def test_unusable_tokens_get_401_in_the_error_shape(people, state):
    issued = token_issue(actor=None, user=people["partner_reader"], name="feed", scopes=["read"])
    secret = issued.secret
    if state == "expired":
        ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        ApiToken.objects.filter(pk=issued.token.pk).update(revoked_at=timezone.now())
    elif state == "unknown":
        secret = "acc_000000000000_" + "x" * 43
    elif state == "tampered":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    elif state == "inactive-user":
        people["partner_reader"].is_active = False
        people["partner_reader"].save()
    response = bearer(secret).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer    "])
def test_malformed_authorization_header_is_401(people, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(ME).status_code == 401


def test_anonymous_gets_401_with_error_shape(anon):
    response = anon.get(ME)
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_read_scope_cannot_write(people, partner):
    issued = token_issue(actor=None, user=people["programme_manager"], name="ro", scopes=["read"])
    response = bearer(issued.secret).post(
        "/api/v1/organisations/", {"name": "X", "kind": "academia", "country": "FR"}, format="json"
    )
    assert response.status_code == 403
    assert "write" in response.json()["error"]["message"]


def test_taxii_only_token_cannot_read_the_rest_api(people):
    issued = token_issue(actor=None, user=people["partner_reader"], name="taxii", scopes=["taxii"])
    assert bearer(issued.secret).get(ME).status_code == 403


@pytest.mark.parametrize(
    ("role", "scope"),
    [("partner_reader", "write"), ("auditor", "write"), ("programme_manager", "admin"), ("analyst", "admin")],
)
def test_scopes_are_capped_by_role(people, role, scope):
    with pytest.raises(ValidationFailed, match="cannot hold"):
        token_issue(actor=None, user=people[role], name="x", scopes=["read", scope])
    assert not ApiToken.objects.filter(user=people[role]).exists()


def test_admin_may_hold_admin_scope(people):
    issued = token_issue(actor=None, user=people["admin"], name="ops", scopes=["admin", "read"])
    assert issued.token.scopes == ["admin", "read"]


def test_session_login_also_reaches_the_api(client, people):
    from tests.factories import TEST_PASSWORD

    assert client.login(username="auditor", password=TEST_PASSWORD)
    assert client.get(ME).json()["person"]["role"] == "auditor"
    assert client.get(ME).json()["token"] is None


@pytest.mark.django_db(transaction=True)
def test_a_read_succeeds_while_another_process_holds_the_write_lock(host, partner):
    """Recording a token's use is bookkeeping: on SQLite, while a long ingest holds the one write
    lock, a read with a token answers at once and the use is recorded by a later request. (The
    update used to wait out the busy timeout and answer 500 ``database is locked``.)"""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    reader = UserFactory(username="reader", role="partner_reader", organisation=partner)
    issued = token_issue(actor=None, user=reader, name="siem", scopes=["read"])
    writer = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # what an ingest's transaction holds while it runs
    try:
        response = bearer(issued.secret).get("/api/v1/organisations/")
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 200, response.content[:300]
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is None  # not recorded this time
    bearer(issued.secret).get("/api/v1/organisations/")
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None  # recorded once it can be
