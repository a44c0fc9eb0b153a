"""``/api/v1/organisations/``: visibility by role, filters, paging, writes, bad input, audit."""

from __future__ import annotations

import pytest

from accord.core.models import AuditEvent, Organisation
from tests.factories import OrganisationFactory

URL = "/api/v1/organisations/"
STAFF = ["admin", "programme_manager", "analyst", "auditor"]
PARTNERS = ["partner_contributor", "partner_reader"]


@pytest.mark.parametrize("role", STAFF)
def test_programme_staff_see_every_organisation(api_for, role, other_partner):
    names = {o["name"] for o in api_for(role).get(URL).json()["results"]}
    assert names == set(Organisation.objects.values_list("name", flat=True))
    assert "Atlas Bank Group" in names


@pytest.mark.parametrize("role", PARTNERS)
def test_partners_see_only_their_own_organisation(api_for, role, partner, other_partner):
    body = api_for(role).get(URL).json()
    assert [o["name"] for o in body["results"]] == [partner.name]


@pytest.mark.parametrize("role", PARTNERS)
def test_another_organisation_is_404_like_a_missing_one(api_for, role, other_partner):
    client = api_for(role)
    hidden = client.get(f"{URL}{other_partner.pk}/")
    missing = client.get(f"{URL}999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert hidden.json()["error"]["message"].replace(str(other_partner.pk), "N") == missing.json()["error"][
        "message"
    ].replace("999999", "N")


def test_anonymous_is_401(anon, partner):
    assert anon.get(URL).status_code == 401
    assert anon.get(f"{URL}{partner.pk}/").status_code == 401


def test_detail_shows_derived_region_and_country_name(api_for, other_partner):
    body = api_for("analyst").get(f"{URL}{other_partner.pk}/").json()
    assert body["region"] == "mena"
    assert body["country_name"] == "United Arab Emirates"


def test_filters_ordering_and_paging(api_for, people):
    for i, country in enumerate(["KE", "NG", "BR", "FR", "JP"]):
        OrganisationFactory(name=f"Org {i}", country=country, kind="academia", sector="")
    client = api_for("analyst")
    africa = client.get(URL, {"region": "africa"}).json()
    assert {o["country"] for o in africa["results"]} == {"KE", "NG"}
    several = client.get(URL, {"region": ["africa", "americas"], "kind": "academia"}).json()
    assert several["count"] == 3
    assert [o["name"] for o in client.get(URL, {"q": "org 3"}).json()["results"]] == ["Org 3"]
    ordered = client.get(URL, {"ordering": "-country", "kind": "academia"}).json()["results"]
    assert [o["country"] for o in ordered] == ["NG", "KE", "JP", "FR", "BR"]
    page = client.get(URL, {"page_size": 2, "page": 2, "kind": "academia", "ordering": "name"}).json()
    assert page["count"] == 5
    assert [o["name"] for o in page["results"]] == ["Org 2", "Org 3"]
    assert page["next"] and page["previous"]


def test_unknown_filter_value_is_400_naming_the_field(api_for, people):
    response = api_for("analyst").get(URL, {"region": "atlantis"})
    assert response.status_code == 400
    assert "region" in response.json()["error"]["details"]


def test_list_query_count_is_constant(api_for, people, django_assert_max_num_queries):
    OrganisationFactory.create_batch(30)
    client = api_for("analyst")
    with django_assert_max_num_queries(6):
        assert client.get(URL, {"page_size": 100}).status_code == 200


def test_programme_manager_creates_an_organisation_and_it_is_audited(api_for, people):
    response = api_for("programme_manager").post(
        URL,
        {"name": "Sahel Pay", "kind": "private", "sector": "banking_finance", "country": "sn", "status": "vetting"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["country"], body["region"], body["status"]) == ("SN", "africa", "vetting")
    event = AuditEvent.objects.get(action="organisation.create", object_id=str(body["id"]))
    assert event.actor_username == "programme_manager"
    assert event.details["name"] == "Sahel Pay"


@pytest.mark.parametrize("role", ["analyst", "auditor", *PARTNERS])
def test_other_roles_cannot_create(api_for, role):
    response = api_for(role).post(URL, {"name": "X", "kind": "academia", "country": "FR"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Organisation.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "kind": "pirate", "country": "FR"}, "kind"),
        ({"name": "X", "kind": "academia", "country": "XX"}, "country"),
        ({"name": "X", "kind": "private", "country": "FR"}, "sector"),
        ({"name": "X", "kind": "academia", "country": "FR", "reliability": "E"}, "reliability"),
        ({"name": "X", "kind": "academia", "country": "FR", "status": "dormant"}, "status"),
        ({"kind": "academia", "country": "FR"}, "name"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(api_for, people, payload, field):
    client = api_for("programme_manager")
    before = Organisation.objects.count()
    events = AuditEvent.objects.count()
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]
    assert field in error["message"]
    assert Organisation.objects.count() == before
    assert AuditEvent.objects.count() == events


def test_duplicate_name_is_409(api_for, partner):
    response = api_for("admin").post(
        URL, {"name": partner.name.upper(), "kind": "academia", "country": "FR"}, format="json"
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["error"]["message"]


def test_update_records_old_and_new_values_with_justification(api_for, other_partner):
    response = api_for("programme_manager").patch(
        f"{URL}{other_partner.pk}/",
        {"reliability": "C", "country": "JO", "justification": "Moved its headquarters"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["region"] == "mena"
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.details["changes"]["reliability"] == ["B", "C"]
    assert event.details["changes"]["country"] == ["AE", "JO"]
    assert event.justification == "Moved its headquarters"


def test_status_follows_agreements_and_is_not_edited_directly(api_for, other_partner):
    response = api_for("programme_manager").patch(f"{URL}{other_partner.pk}/", {"status": "active"}, format="json")
    assert response.status_code == 400
    assert "partnerships" in response.json()["error"]["message"]
    created = api_for("programme_manager").post(
        URL, {"name": "Eager", "kind": "academia", "country": "FR", "status": "active"}, format="json"
    )
    assert created.status_code == 400
    assert "status" in created.json()["error"]["details"]


def test_partner_cannot_update_its_own_organisation(api_for, partner):
    response = api_for("partner_contributor").patch(
        f"{URL}{partner.pk}/", {"website": "https://x.example"}, format="json"
    )
    assert response.status_code == 403


def test_delete_is_not_offered(api_for, partner):
    assert api_for("admin").delete(f"{URL}{partner.pk}/").status_code == 405
