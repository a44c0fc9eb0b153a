"""Each way the API once answered outside its OpenAPI schema, asked again through the API and the
answer checked against ``/api/schema/`` (schemathesis's response checks, the ones ``test_fuzz``
runs): errors undocumented, ``""`` in enum and URL fields, ``null`` where the schema said text,
a 404 for a row the input names, words a filter dropped in silence, an export's media type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from rest_framework.test import APIClient

from accord.core.choices import Role
from accord.governance.services import groups_ensure
from tests.factories import UserFactory, make_agreement

OPERATIONS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def document(client: Any, db: Any) -> dict[str, Any]:
    return dict(yaml.safe_load(client.get("/api/schema/").content))


@pytest.fixture
def conforms(document: dict[str, Any]) -> Callable[..., None]:
    """Check one answer of the API against its operation in the schema: status and content type
    documented, body as declared (schemathesis's check raises naming what differs)."""
    schema = schemathesis.openapi.from_dict(document)

    def check(template: str, method: str, answer: Any, content: bytes | None = None) -> None:
        documented = document["paths"][template][method]["responses"]
        assert str(answer.status_code) in documented, (answer.status_code, sorted(documented))
        media_types = [m.split(";")[0] for m in documented[str(answer.status_code)].get("content", {})]
        assert answer["Content-Type"].split(";")[0] in media_types, (answer["Content-Type"], media_types)
        prepared = requests.Request(method, f"http://testserver{answer.request['PATH_INFO']}").prepare()
        response = schemathesis.Response(
            status_code=answer.status_code,
            headers={name: [value] for name, value in answer.headers.items()},
            content=answer.content if content is None else content,
            request=prepared,
            elapsed=0.0,
            verify=True,
        )
        schema[template][method.upper()].validate_response(response)

    return check


def test_every_operation_documents_the_errors_it_answers(document):
    """401 and 403 wherever a token is needed, 404 wherever the path names a row, 400 wherever
    input is read, each in the one error shape (176 status codes were undocumented)."""
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in OPERATIONS:
                continue
            codes = set(operation["responses"])
            needed = {"401", "403"} if operation.get("security") else set()  # the public form takes no token
            if "{" in path:
                needed |= {"400", "404"}
            if "requestBody" in operation:
                needed |= {"400", "413"}
            if not needed <= codes:
                missing.append((method, path, sorted(needed - codes)))
            for code in needed & codes:
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    assert missing == []
    error = document["components"]["schemas"]["ErrorDetail"]
    assert sorted(error["required"]) == ["code", "details", "message"]


def test_taxii_keeps_its_own_specification_out_of_the_api_schema(document):
    assert [path for path in document["paths"] if not path.startswith("/api/v1/")] == []


@pytest.mark.parametrize(
    ("method", "template", "url"),
    [
        ("get", "/api/v1/agreements/{id}/", "/api/v1/agreements/99999/"),
        ("get", "/api/v1/me/", "/api/v1/me/"),
        ("post", "/api/v1/agreements/{id}/suspend/", "/api/v1/agreements/99999/suspend/"),
        ("get", "/api/v1/objects/", "/api/v1/objects/"),
    ],
)
def test_an_error_answer_is_documented_with_its_body(conforms, anon, api_for, method, template, url):
    unauthenticated = getattr(anon, method)(url)
    assert unauthenticated.status_code == 401
    conforms(template, method, unauthenticated)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION="Bearer acc_not-a-token")
    conforms(template, method, getattr(token, method)(url))
    if "{id}" in template:
        missing = getattr(api_for("admin"), method)(url, {}, format="json")
        assert missing.status_code == 404
        conforms(template, method, missing)


def test_enum_and_url_fields_left_blank_are_in_the_schema(conforms, api_for, host, people):
    """The host has no sector and no website: its organisation answers ``""`` for both, which
    the schema once refused (SectorEnum without "", ``format: uri``)."""
    assert host.sector == "" and host.website == ""
    me = api_for("admin").get("/api/v1/me/")
    assert b'"sector":""' in me.content and b'"website":""' in me.content
    conforms("/api/v1/me/", "get", me)
    organisations = api_for("admin").get("/api/v1/organisations/")
    conforms("/api/v1/organisations/", "get", organisations)


def test_a_field_that_answers_null_is_nullable(conforms, api_for, partner, people):
    """An agreement made without a person (its version's ``created_by`` is null) and an enricher
    without an agreement answer ``null`` where the schema once promised text."""
    make_agreement(partner)
    agreements = api_for("admin").get("/api/v1/agreements/")
    assert agreements.json()["results"][0]["current_version"]["created_by"] is None
    conforms("/api/v1/agreements/", "get", agreements)
    admin = api_for("admin", ("read", "write", "admin"))
    created = admin.post(
        "/api/v1/enrichers/",
        {"name": "iban-offline", "kind": "iban", "organisation": people["admin"].organisation_id, "tlp_ceiling": "red"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["agreement"] is None
    conforms("/api/v1/enrichers/", "post", created)


def test_a_row_the_input_names_but_the_asker_cannot_see_is_a_400_naming_the_field(conforms, api_for, people):
    groups_ensure()
    manager = api_for("programme_manager")
    cases = [
        (
            "/api/v1/training-sessions/",
            {"course": 99999, "start": "2030-01-01", "end": "2030-01-02", "capacity": 5, "language": "en"},
            "course",
        ),
        ("/api/v1/governance/practices/", {"group": 99999, "title": "Triage", "topic": "other"}, "group"),
    ]
    person = {"username": "n.person", "email": "n@example.org", "role": "analyst", "organisation": 99999}
    cases.append(("/api/v1/people/", person, "organisation"))
    for url, body, field in cases:
        asker = api_for("admin", ("read", "write", "admin")) if url == "/api/v1/people/" else manager
        answer = asker.post(url, body, format="json")
        assert answer.status_code == 400, (url, answer.content)
        assert answer.json()["error"]["details"] == {field: [f"No {field} with id 99999 (or you may not see it)."]}
        conforms(url, "post", answer)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/training-sessions/?cancelled=null", "cancelled"),
        ("/api/v1/people/?is_active=flase", "is_active"),
        ("/api/v1/enrichers/?enabled=yes-please", "enabled"),
        ("/api/v1/secondments/?page_size=true", "page_size"),
        ("/api/v1/organisations/?page_size=0", "page_size"),
        ("/api/v1/governance/memberships/?current=50%25", "current"),  # once a 500: "%" in the word
        ("/api/v1/governance/meetings/?group=4.4e-274", "group"),  # an id is a whole number
        ("/api/v1/audit-events/?organisation=0.8", "organisation"),
    ],
)
def test_a_word_a_filter_or_the_page_size_does_not_know_is_refused(api_for, people, url, parameter):
    answer = api_for("admin").get(url)
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["error"]["details"]) == [parameter]


def test_yes_no_filters_still_take_yes_no_and_nothing(api_for, people, partner):
    UserFactory(username="gone", role=Role.PARTNER_READER, organisation=partner, is_active=False)
    admin = api_for("admin")
    names = {
        query: {p["username"] for p in admin.get(f"/api/v1/people/?{query}").json()["results"]}
        for query in ("is_active=false", "is_active=0", "is_active=true", "is_active=", "is_active=unknown")
    }
    assert names["is_active=false"] == names["is_active=0"] == {"gone"}
    assert "gone" not in names["is_active=true"]
    assert names["is_active="] == names["is_active=unknown"] == names["is_active=true"] | {"gone"}
    assert admin.get("/api/v1/people/?page_size=2").json()["results"].__len__() == 2
    assert len(admin.get("/api/v1/people/?page_size=100000").json()["results"]) == len(names["is_active="])


def test_a_stix_export_answers_a_documented_media_type_and_body(conforms, api_for, partner, people):
    make_agreement(partner)
    answer = api_for("partner_reader").get("/api/v1/exports/stix/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/stix+json;version=2.1"
    conforms("/api/v1/exports/{export_format}/", "get", answer, b"".join(answer.streaming_content))


def test_a_conference_without_hosts_and_an_object_nobody_knows_are_documented_404s(conforms, api_for, people):
    hosting = api_for("admin").get("/api/v1/governance/conference/hosting/")
    assert hosting.status_code == 404
    conforms("/api/v1/governance/conference/hosting/", "get", hosting)
    explained = api_for("admin").get("/api/v1/policy/explain/", {"object": "indicator--nobody-knows"})
    assert explained.status_code == 404
    conforms("/api/v1/policy/explain/", "get", explained)
