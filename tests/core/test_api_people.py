"""``/api/v1/people/``: visibility by role, filters, creation rules, role changes, bad input."""

from __future__ import annotations

import pytest

from accord.core.models import AuditEvent, User
from tests.factories import UserFactory

URL = "/api/v1/people/"


def test_staff_see_everyone_partners_see_colleagues(api_for, people, other_partner):
    outsider = UserFactory(organisation=other_partner)
    assert api_for("auditor").get(URL).json()["count"] == User.objects.count()
    seen = {p["username"] for p in api_for("partner_reader").get(URL).json()["results"]}
    assert seen == {"partner_contributor", "partner_reader"}
    assert api_for("partner_reader").get(f"{URL}{outsider.pk}/").status_code == 404


def test_filter_by_role_and_organisation(api_for, people, partner):
    body = api_for("analyst").get(URL, {"organisation": partner.pk, "role": "partner_reader"}).json()
    assert [p["username"] for p in body["results"]] == ["partner_reader"]


def test_list_query_count_is_constant(api_for, people, other_partner, django_assert_max_num_queries):
    UserFactory.create_batch(25, organisation=other_partner)
    client = api_for("analyst")
    with django_assert_max_num_queries(6):
        assert client.get(URL, {"page_size": 100}).status_code == 200


def test_manager_adds_a_partner_person(api_for, partner):
    response = api_for("programme_manager").post(
        URL,
        {"organisation": partner.pk, "username": "n.new", "email": "n.new@kestrel.example", "role": "partner_reader"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    person = User.objects.get(username="n.new")
    assert not person.has_usable_password()
    assert AuditEvent.objects.filter(action="person.create", object_id=str(person.pk)).exists()


@pytest.mark.parametrize(
    ("organisation", "role"),
    [("partner", "analyst"), ("partner", "admin"), ("host", "partner_reader")],
)
def test_role_must_suit_the_organisation(api_for, people, request, organisation, role):
    org = request.getfixturevalue(organisation)
    response = api_for("admin").post(
        URL, {"organisation": org.pk, "username": "x.y", "email": "x@y.org", "role": role}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["error"]["details"]
    assert not User.objects.filter(username="x.y").exists()


def test_weak_password_is_refused(api_for, partner):
    response = api_for("admin").post(
        URL,
        {
            "organisation": partner.pk,
            "username": "x.y",
            "email": "x@y.org",
            "role": "partner_reader",
            "password": "12345",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]


def test_duplicate_username_or_email_is_409(api_for, people, partner):
    client = api_for("admin")
    payload = {"organisation": partner.pk, "username": "PARTNER_READER", "email": "a@b.org", "role": "partner_reader"}
    assert client.post(URL, payload, format="json").status_code == 409
    payload |= {"username": "fresh", "email": people["analyst"].email.upper()}
    assert client.post(URL, payload, format="json").status_code == 409


@pytest.mark.parametrize("role", ["analyst", "auditor", "partner_contributor", "partner_reader"])
def test_other_roles_cannot_add_people(api_for, partner, role):
    response = api_for(role).post(
        URL,
        {"organisation": partner.pk, "username": "x.y", "email": "x@y.org", "role": "partner_reader"},
        format="json",
    )
    assert response.status_code == 403


def test_deactivate_and_role_change_are_audited(api_for, people):
    reader = people["partner_reader"]
    response = api_for("programme_manager").patch(
        f"{URL}{reader.pk}/",
        {"role": "partner_contributor", "is_active": False, "justification": "left"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action="person.update", object_id=str(reader.pk))
    assert event.details["changes"] == {"role": ["partner_reader", "partner_contributor"], "is_active": [True, False]}


def test_nobody_demotes_themselves(api_for, people):
    admin = people["admin"]
    response = api_for("admin").patch(f"{URL}{admin.pk}/", {"role": "analyst"}, format="json")
    assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.role == "admin"
