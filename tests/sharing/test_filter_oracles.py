"""Filters are no oracles: a value or a source the agreements withhold from a reader behaves, in
every filter of every interface (objects API, /shared/, exports by API, page and CLI), exactly as
a value or a source that is not there. The originator and the host still find it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.formats.markings import TLP2_IDS
from tests.factories import OrganisationFactory, UserFactory, make_agreement
from tests.stix_samples import bundle, indicator

OBJECTS = "/api/v1/objects/"
GREEN = [TLP2_IDS["green"]]
STRICT = [TLP2_IDS["amber+strict"]]

# Withheld from Kestrel (partner) by the bank's onward redactions, in objects Kestrel sees.
HIDDEN_EMAIL = "mule.ops@lure-mail.info"
HIDDEN_IBAN = "GB82WEST12345698765432"
# In an AMBER+STRICT object, which Kestrel may not see at all.
STRICT_DOMAIN = "strict-only-lure.info"
# Values nobody shared, of the same types and shapes.
ABSENT = {
    HIDDEN_EMAIL: "pay.desk@lure-mail.info",
    HIDDEN_IBAN: "DE89370400440532013000",
    STRICT_DOMAIN: "never-shared-lure.info",
}
EMAIL_INDICATOR = indicator(
    1,
    f"[email-addr:value = '{HIDDEN_EMAIL}']",
    object_marking_refs=GREEN,
    x_accord_data_category="personal_data",
    x_accord_data_subject="suspect",
)
ACCOUNT = {
    "type": "x-accord-bank-account",
    "spec_version": "2.1",
    "id": "x-accord-bank-account--00000000-0000-4000-8000-0000000000bb",
    "iban": HIDDEN_IBAN,
    "object_marking_refs": GREEN,
}


@pytest.fixture
def bank(partner: Any, other_partner: Any, people: Any, settings: Any, tmp_path: Any, api_for: Any) -> Any:
    """The bank (other_partner) shares under an agreement that redacts personal data and
    financial identifiers on onward sharing and forbids attribution; Kestrel (partner) reads."""
    settings.MEDIA_ROOT = tmp_path
    make_agreement(partner)
    make_agreement(
        other_partner,
        onward_redactions=["personal_data", "financial_identifier"],
        provider_attribution="must-not",
    )
    banker = UserFactory(username="banker", organisation=other_partner, role="partner_contributor")
    data = bundle(
        EMAIL_INDICATOR,
        ACCOUNT,
        indicator(3, "[ipv4-addr:value = '203.0.113.7']", object_marking_refs=GREEN),
        indicator(4, f"[domain-name:value = '{STRICT_DOMAIN}']", object_marking_refs=STRICT),
    )
    upload = io.BytesIO(data)
    upload.name = "bank.json"
    response = api_for(banker).post("/api/v1/submissions/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()["error"]["details"]["errors"]
    return banker


def _queries(value: str) -> list[dict[str, str]]:
    """Every way of asking about ``value``: exact, as a whole prefix and a partial one, alone
    and narrowed to the value's data category."""
    return [
        {"observable": value},
        {"value_prefix": value},
        {"value_prefix": value[:-3]},
        {"observable": value, "data_category": "personal_data"},
        {"value_prefix": value[:-3], "data_category": "personal_data"},
        {"value_prefix": value[:-3], "data_category": "financial_identifier"},
    ]


def _masked(text: str, value: str) -> str:
    """A response with the asked value (and its url-encoded form) replaced, and what differs
    between any two renderings (CSRF tokens, timestamps) taken out."""
    for form in (value, value.replace("@", "%40")) if value else ():
        for part in (form, form[:-3]):
            text = text.replace(part, "VALUE")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    text = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)?", "STAMP", text)
    return re.sub(r"\d{8}T\d{6}Z", "STAMP", text)


@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, HIDDEN_IBAN, STRICT_DOMAIN])
def test_the_objects_api_answers_for_a_withheld_value_as_for_an_absent_one(api_for, bank, hidden):
    reader = api_for("partner_reader")
    for hidden_query, absent_query in zip(_queries(hidden), _queries(ABSENT[hidden]), strict=True):
        seen = reader.get(OBJECTS, hidden_query)
        assert seen.status_code == 200
        assert seen.json() == reader.get(OBJECTS, absent_query).json(), hidden_query
    with CaptureQueriesContext(connection) as asked_hidden:
        reader.get(OBJECTS, {"value_prefix": hidden[:-3]})
    with CaptureQueriesContext(connection) as asked_absent:
        reader.get(OBJECTS, {"value_prefix": ABSENT[hidden][:-3]})
    # The same statements either way (hence the same work, give or take the index's depth).
    assert [_masked(q["sql"], hidden) for q in asked_hidden.captured_queries] == [
        _masked(q["sql"], ABSENT[hidden]) for q in asked_absent.captured_queries
    ]
    for finder in (api_for(bank), api_for("analyst")):  # the originator and the host still find it
        assert finder.get(OBJECTS, {"observable": hidden}).json()["count"] == 1
        assert finder.get(OBJECTS, {"value_prefix": hidden[:-3]}).json()["count"] == 1
        assert finder.get(OBJECTS, {"observable": ABSENT[hidden]}).json()["count"] == 0


def test_a_reader_that_may_not_see_the_object_learns_nothing_of_its_values(api_for, bank, db):
    """A partner whose own agreement does not cover personal data sees no trace of the e-mail
    object: the same answers as for a value nobody shared."""
    narrow = OrganisationFactory(name="Narrow Labs", country="GB")
    make_agreement(narrow, data_categories=["technical_indicator"])
    reader = api_for(UserFactory(organisation=narrow, role="partner_reader"))
    for hidden in (HIDDEN_EMAIL, HIDDEN_IBAN):
        for hidden_query, absent_query in zip(_queries(hidden), _queries(ABSENT[hidden]), strict=True):
            assert reader.get(OBJECTS, hidden_query).json() == reader.get(OBJECTS, absent_query).json()


def _walk(ask: Callable[[str], int], alphabet: str) -> str:
    """Recover a value one character at a time from how many objects a prefix matches."""
    found = ""
    while True:
        step = next((c for c in alphabet if ask(found + c)), None)
        if step is None:
            return found
        found += step


def test_a_prefix_walk_recovers_nothing(api_for, bank):
    reader = api_for("partner_reader")

    def count(prefix: str) -> int:
        query = {"value_prefix": prefix, "data_category": "personal_data"}
        return int(reader.get(OBJECTS, query).json()["count"])

    alphabet = "".join(sorted(set(HIDDEN_EMAIL)))
    assert _walk(count, alphabet) == ""
    host = api_for("analyst")
    found = _walk(
        lambda p: host.get(OBJECTS, {"value_prefix": p, "data_category": "personal_data"}).json()["count"], alphabet
    )
    assert found == HIDDEN_EMAIL


@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, HIDDEN_IBAN, STRICT_DOMAIN])
def test_the_shared_page_answers_for_a_withheld_value_as_for_an_absent_one(client, people, bank, hidden):
    client.force_login(people["partner_reader"])
    for hidden_query, absent_query in zip(_queries(hidden), _queries(ABSENT[hidden]), strict=True):
        seen = client.get("/shared/", hidden_query)
        assert seen.status_code == 200
        absent = client.get("/shared/", absent_query).content.decode()
        assert _masked(seen.content.decode(), hidden) == _masked(absent, ABSENT[hidden]), hidden_query
    client.force_login(people["analyst"])
    found = client.get("/shared/", {"observable": HIDDEN_EMAIL}).content.decode()
    assert "indicator--00000000-0000-4000-8000-000000000001" in found


def _export_api(api_for: Any, who: Any, fmt: str, query: dict[str, str]) -> tuple[str, str]:
    response = api_for(who).get(f"/api/v1/exports/{fmt}/", query)
    assert response.status_code == 200, response
    return response["X-Accord-Objects"], b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("fmt", ["stix", "csv"])
@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, HIDDEN_IBAN, STRICT_DOMAIN])
def test_the_export_api_answers_for_a_withheld_value_as_for_an_absent_one(api_for, bank, hidden, fmt):
    for hidden_query, absent_query in zip(_queries(hidden), _queries(ABSENT[hidden]), strict=True):
        count, body = _export_api(api_for, "partner_reader", fmt, hidden_query)
        absent_count, absent_body = _export_api(api_for, "partner_reader", fmt, absent_query)
        assert count == absent_count, hidden_query
        assert _masked(_ids_only(body), hidden) == _masked(_ids_only(absent_body), ABSENT[hidden])
    assert _export_api(api_for, bank, fmt, {"observable": hidden})[0] == "1"
    assert _export_api(api_for, "analyst", fmt, {"observable": hidden})[0] == "1"


def _ids_only(body: str) -> str:
    """An export with its random bundle and marking ids out: what is left is what matched."""
    return re.sub(r"bundle--[0-9a-f-]{36}", "BUNDLE", body)


@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, HIDDEN_IBAN])
def test_the_export_download_answers_for_a_withheld_value_as_for_an_absent_one(client, people, bank, hidden):
    client.force_login(people["partner_reader"])
    for hidden_query, absent_query in zip(_queries(hidden), _queries(ABSENT[hidden]), strict=True):
        seen = client.get("/shared/export/stix/", hidden_query)
        absent = client.get("/shared/export/stix/", absent_query)
        assert seen.status_code == absent.status_code == 200
        assert seen["X-Accord-Objects"] == absent["X-Accord-Objects"], hidden_query
        hidden_body = _ids_only(b"".join(seen.streaming_content).decode())
        absent_body = _ids_only(b"".join(absent.streaming_content).decode())
        assert _masked(hidden_body, hidden) == _masked(absent_body, ABSENT[hidden])


def _cli_export(username: str, *options: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "--format", "csv", "--as", username, *options, stdout=out, stderr=err)
    return out.getvalue(), re.sub(r" \([\d.]+ MB in [\d.]+ s\)", "", err.getvalue())


@pytest.mark.parametrize("hidden", [HIDDEN_EMAIL, HIDDEN_IBAN, STRICT_DOMAIN])
def test_the_cli_export_answers_for_a_withheld_value_as_for_an_absent_one(bank, hidden):
    for option in ("--observable", "--value-prefix"):
        out, err = _cli_export("partner_reader", option, hidden)
        absent_out, absent_err = _cli_export("partner_reader", option, ABSENT[hidden])
        assert (_masked(out, hidden), err) == (_masked(absent_out, ABSENT[hidden]), absent_err)
    out, err = _cli_export("partner_reader", "--value-prefix", hidden[:-3], "--data-category", "personal_data")
    absent_out, absent_err = _cli_export(
        "partner_reader", "--value-prefix", ABSENT[hidden][:-3], "--data-category", "personal_data"
    )
    assert (_masked(out, hidden), err) == (_masked(absent_out, ABSENT[hidden]), absent_err)
    assert "Exported 1 object(s) as csv" in _cli_export("banker", "--observable", hidden)[1]
    assert "Exported 1 object(s) as csv" in _cli_export("analyst", "--observable", hidden)[1]


def _without_organisation(page: str, pk: int) -> str:
    """A page with the asked organisation id taken out of the filter form and the links."""
    page = page.replace(f'name="organisation" value="{pk}"', 'name="organisation"')
    return _masked(page.replace(f"organisation={pk}", "organisation=ID"), "")


def test_the_organisation_filter_does_not_name_a_source_withheld_from_the_reader(api_for, client, people, bank, db):
    """The bank's agreement forbids attribution: to Kestrel, filtering by the bank's id answers as
    filtering by an organisation that shared nothing; the bank and the host find its objects."""
    bank_id = bank.organisation_id
    silent = OrganisationFactory(name="Silent Ltd", country="GB").pk
    reader = api_for("partner_reader")
    named = reader.get(OBJECTS).json()["results"]
    assert named and all(o["organisation"] is None for o in named)
    assert reader.get(OBJECTS, {"organisation": bank_id}).json() == reader.get(OBJECTS, {"organisation": silent}).json()
    assert _export_api(api_for, "partner_reader", "stix", {"organisation": str(bank_id)})[0] == "0"
    client.force_login(people["partner_reader"])
    page = client.get("/shared/", {"organisation": bank_id}).content.decode()
    other = client.get("/shared/", {"organisation": silent}).content.decode()
    assert _without_organisation(page, bank_id) == _without_organisation(other, silent)
    assert api_for(bank).get(OBJECTS, {"organisation": bank_id}).json()["count"] == 4
    assert api_for("analyst").get(OBJECTS, {"organisation": bank_id}).json()["count"] == 4


def test_filters_still_find_what_the_reader_may_know(api_for, bank):
    reader = api_for("partner_reader")
    assert reader.get(OBJECTS, {"observable": "203.0.113.7"}).json()["count"] == 1
    assert reader.get(OBJECTS, {"value_prefix": "203.0.113"}).json()["count"] == 1
