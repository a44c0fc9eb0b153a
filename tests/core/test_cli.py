"""CLI commands in process, on the test database: createadmin, token, demo, roles, init."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accord.core.audit import audit_verify
from accord.core.models import ApiToken, Organisation, User

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_createadmin_takes_the_password_from_the_environment(host, monkeypatch, client):
    monkeypatch.setenv("ACCORD_ADMIN_PASSWORD", "a-long-enough-passphrase")
    assert "created" in run("createadmin", "--username", "root.admin", "--email", "root@icd.example")
    person = User.objects.get(username="root.admin")
    assert (person.role, person.organisation, person.is_staff) == ("admin", host, True)
    assert client.login(username="root.admin", password="a-long-enough-passphrase")


def test_createadmin_refuses_a_weak_password(host, monkeypatch):
    monkeypatch.setenv("ACCORD_ADMIN_PASSWORD", "password")
    with pytest.raises(CommandError, match="password"):
        run("createadmin", "--username", "weak", "--email", "weak@icd.example")
    assert not User.objects.filter(username="weak").exists()


def test_createadmin_needs_init_first(db, monkeypatch):
    monkeypatch.setenv("ACCORD_ADMIN_PASSWORD", "a-long-enough-passphrase")
    with pytest.raises(CommandError, match="accord init"):
        run("createadmin", "--username", "early", "--email", "early@icd.example")


def test_token_issue_prints_a_working_token_alone_on_the_last_line(people):
    out = run("token", "issue", "--user", "partner_contributor", "--scopes", "read,write", "--days", "90")
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("acc_") and " " not in secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me/").json()["person"]["username"] == "partner_contributor"
    token = ApiToken.objects.get(user__username="partner_contributor")
    assert token.scopes == ["read", "write"]
    assert "active" in run("token", "list", "--user", "partner_contributor")
    run("token", "revoke", token.prefix)
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "No user called 'nobody'"),
        (["--user", "partner_reader", "--scopes", "write"], "cannot hold write"),
        (["--user", "partner_reader", "--scopes", "sudo"], "'sudo' is not one of"),
        (["--user", "partner_reader", "--days", "0"], "1 to 366 days"),
    ],
)
def test_token_issue_errors_name_the_problem(people, args, message):
    with pytest.raises(CommandError, match=message):
        run("token", "issue", *args)
    assert not ApiToken.objects.exists()


def test_demo_is_realistic_and_idempotent(db, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.MEDIA_ROOT = tmp_path / "media"
    from accord.notifications.models import Notification, WebhookDelivery
    from accord.sharing.models import Arrival, VisibilityChange, Withdrawal

    first = run("demo")
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        VisibilityChange.objects.count(),
        Notification.objects.count(),
    )
    run("demo")
    assert (
        Organisation.objects.count(),
        User.objects.count(),
        VisibilityChange.objects.count(),
        Notification.objects.count(),
    ) == counts
    # what partners were told, through the policy, and Kestrel's webhook with its delivery log
    assert Notification.objects.filter(recipient__username="contributor").exists()
    assert Notification.objects.filter(event_type="object.correlated").exists()
    assert WebhookDelivery.objects.filter(webhook__name="kestrel-siem", status="delivered").count() == 4
    assert WebhookDelivery.objects.filter(webhook__name="kestrel-siem", event_type="object.withdrawn").exists()
    # Atlas Bank's agreement was suspended for an audit and reactivated: its pollers have both;
    # and Kestrel addressed its AMBER phishing back end to Atlas: one more arrival, never withdrawn.
    atlas = Organisation.objects.get(short_name="Atlas Bank")
    withdrawn = Withdrawal.objects.filter(organisation=atlas).count()
    assert Arrival.objects.filter(organisation=atlas).count() == withdrawn + 1
    assert withdrawn > 0
    for username in ("admin", "manager", "analyst", "auditor", "contributor", "reader"):
        assert username in first
    assert set(User.objects.values_list("role", flat=True)) == {
        "admin",
        "programme_manager",
        "analyst",
        "auditor",
        "partner_contributor",
        "partner_reader",
    }
    assert set(Organisation.objects.values_list("region", flat=True)) == {
        "africa",
        "americas",
        "asia_south_pacific",
        "europe",
        "mena",
    }
    assert Organisation.objects.filter(is_host=True).count() == 1
    assert Organisation.objects.filter(kind="law_enforcement").count() >= 3
    sectors = set(Organisation.objects.filter(kind="private").values_list("sector", flat=True))
    assert {"cybersecurity", "information_technology", "banking_finance"} <= sectors
    assert Organisation.objects.filter(kind="academia").exists()
    from accord.sharing.models import Observable, Submission

    assert set(Submission.objects.values_list("format", "status")) == {
        ("stix", "done"),
        ("misp", "done"),
        ("csv", "done"),
        ("text", "done"),
    }
    assert Observable.objects.filter(value="GB33BUKB20201555555555").get().links.count() >= 2  # across partners
    assert audit_verify().ok


def test_roles_prints_the_matrix():
    out = run("roles")
    assert "organisation.manage" in out
    assert "partner_reader" in out


def test_init_has_each_app_create_what_it_needs_in_installed_apps_order(db, settings, tmp_path, monkeypatch):
    from django.apps import apps

    from accord.analysis.warninglists import index_if_built
    from accord.governance.models import Group
    from accord.partners.models import Agreement
    from accord.taxii.models import Collection

    settings.ACCORD_HOME = tmp_path
    out = run("init", "--no-static")
    host = Organisation.objects.get(is_host=True)
    assert f"host: {host.name}" in out
    assert Agreement.objects.filter(organisation=host, kind="data_sharing").count() == 1  # partners
    assert Collection.objects.exists()  # taxii
    assert Group.objects.filter(kind="global").count() == 1  # governance
    assert index_if_built() is not None  # analysis

    called: list[str] = []
    for config in apps.get_app_configs():
        if hasattr(config, "initialise"):
            monkeypatch.setattr(config, "initialise", lambda label=config.label: called.append(label))
    run("init", "--no-static")
    assert called == ["partners", "taxii", "analysis", "governance"]
