"""``/api/v1/audit-events/``: auditors and administrators only; filters; chain verification."""

from __future__ import annotations

import pytest

from accord.core.audit import audit_record

URL = "/api/v1/audit-events/"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_read_the_chain(api_for, people, role):
    audit_record(actor=people["analyst"], action="test.thing", object_type="x", object_id="1")
    client = api_for(role)
    body = client.get(URL, {"action": "test."}).json()
    assert body["count"] == 1
    assert body["results"][0]["actor_username"] == "analyst"
    assert client.get(f"{URL}{body['results'][0]['id']}/").json()["hash"] == body["results"][0]["hash"]
    assert client.get(f"{URL}verify/").json()["ok"] is True


@pytest.mark.parametrize("role", ["programme_manager", "analyst", "partner_contributor", "partner_reader"])
def test_other_roles_are_refused(api_for, role):
    client = api_for(role)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}verify/").status_code == 403


def test_anonymous_is_401(anon):
    assert anon.get(URL).status_code == 401


def test_audit_is_read_only(api_for, people):
    event = audit_record(actor=None, action="test.thing")
    client = api_for("admin")
    assert client.post(URL, {"action": "x"}, format="json").status_code == 405
    assert client.delete(f"{URL}{event.pk}/").status_code == 405
