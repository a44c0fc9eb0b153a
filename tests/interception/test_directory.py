"""The bank directory: the partner banks and exchanges whose agreement in force covers payment
interception, filtered and paged, and the lookup that runs the routing and says why; for the
programme's staff and law-enforcement units, linked for them alone (others get a 403 if typed)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accord.interception import services
from tests.factories import TEST_PASSWORD, OrganisationFactory, make_agreement
from tests.interception.conftest import ABN_IBAN, BARCLAYS_IBAN, COMMERZBANK_IBAN

pytestmark = pytest.mark.django_db

PAGE = "/interceptions/directory/"
API = "/api/v1/interceptions/directory/"


def _login(user):
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="directory"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"<[^>]+>", "|", row) for row in table.split("<tr>")[2:]]


def _names(html: str) -> list[str]:
    return [row.strip("|").split("|")[0] for row in _rows(html) if "No bank or exchange" not in row]


def test_the_programme_sees_the_banks_and_exchanges_with_cover_in_words(world, people):
    page = _login(people["analyst"]).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert _names(html) == ["CoinHarbour", "Commerzbank"]  # ABN AMRO's agreement does not cover interception
    commerz = next(row for row in _rows(html) if "Commerzbank" in row)
    assert "COBADEFF" in commerz and "Germany" in commerz and "Bank" in commerz
    exchange = next(row for row in _rows(html) if "CoinHarbour" in row)
    assert "Crypto exchange" in exchange and "Malta" in exchange
    client = _login(people["analyst"])
    assert _names(client.get(PAGE, {"kind": "exchange"}).content.decode()) == ["CoinHarbour"]
    assert _names(client.get(PAGE, {"country": "DE"}).content.decode()) == ["Commerzbank"]
    assert _names(client.get(PAGE, {"q": "coba"}).content.decode()) == ["Commerzbank"]
    assert _names(client.get(PAGE, {"q": "nobody"}).content.decode()) == []


@pytest.mark.parametrize(
    ("account", "addressee", "reason", "why"),
    [
        (COMMERZBANK_IBAN, "Commerzbank", "a partner holding the account", "Commerzbank holds the account"),
        ("COBADEFFXXX", "Commerzbank", "a partner holding the account", "Commerzbank holds the account"),
        ("coinharbour", "CoinHarbour", "a partner holding the account", "CoinHarbour holds the account"),
        (
            ABN_IBAN,
            "Dutch High Tech Crime Unit",
            "the law-enforcement unit of the account&#x27;s country",
            "ABN AMRO holds the account but no agreement in force covers payment interception",
        ),
        (BARCLAYS_IBAN, "INTERPOL", "nobody else can act", "no law-enforcement unit of GB takes part"),
        ("Unknown Exchange Ltd", "INTERPOL", "nobody else can act", "the account&#x27;s country is unknown"),
    ],
)
def test_the_lookup_runs_the_routing_and_says_why(world, people, host, account, addressee, reason, why):
    addressee = host.name if addressee == "INTERPOL" else addressee
    page = _login(world["who"]["unit"]).get(PAGE, {"account": account})
    assert page.status_code == 200
    answer = page.content.decode().split('data-testid="lookup-answer"', 1)[1].split("</div>", 1)[0]
    assert f"<strong>{addressee}</strong> would receive it" in answer
    assert reason in answer and why in answer
    assert "Nothing is recorded" in answer


def test_a_lookup_of_nothing_says_so_next_to_the_field(world, people):
    page = _login(people["analyst"]).get(PAGE, {"account": "  "})
    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    assert 'data-testid="lookup-answer"' not in page.content.decode()


def test_a_suspended_agreement_leaves_the_directory_and_the_routing_with_it(world, people, host):
    agreement = world["commerz"].agreements.get()
    agreement.status = "suspended"
    agreement.save()
    client = _login(people["analyst"])
    assert _names(client.get(PAGE).content.decode()) == ["CoinHarbour"]
    page = client.get(PAGE, {"account": COMMERZBANK_IBAN}).content.decode()
    assert f"<strong>{host.name}</strong> would receive it" in page


def test_the_list_pages(world, people):
    for n in range(26):
        bank = OrganisationFactory(name=f"Bank {n:02d}", country="FR", sector="banking_finance")
        make_agreement(bank, payment_interception=True)
        services.institution_register(actor=None, organisation=bank, kind="exchange", name=f"Exchange {n:02d}")
    client = _login(people["analyst"])
    first = client.get(PAGE).content.decode()
    assert len(_names(first)) == 25 and "page=2" in first
    second = client.get(PAGE, {"page": 2}).content.decode()
    assert len(_names(second)) == 3  # 28 in all


WHO = {
    "analyst": True,  # the programme's staff
    "programme_manager": True,
    "auditor": True,
    "unit": True,  # a law-enforcement unit
    "nl_unit": True,
    "commerz": False,  # a bank, even one that takes requests
    "abn": False,
    "exchange": False,
    "bystander": False,  # a security vendor
}


@pytest.mark.parametrize(("who", "opens"), WHO.items())
def test_who_opens_it_and_sees_the_link(world, people, api_for, who, opens):
    user = world["who"].get(who) or people[who]
    client = _login(user)
    assert client.get(PAGE).status_code == (200 if opens else 403)
    for page in ("/interceptions/", "/interceptions/report/", "/"):
        html = client.get(page).content.decode()
        assert (PAGE in html) is opens, page  # the menu and the interception pages link it, for them alone
    api = api_for(user)
    listed = api.get(API)
    assert listed.status_code == (200 if opens else 403)
    asked = api.get(f"{API}route/", {"account": COMMERZBANK_IBAN})
    assert asked.status_code == (200 if opens else 403)
    if opens:
        assert [row["name"] for row in listed.json()["results"]] == ["CoinHarbour", "Commerzbank"]
        assert listed.json()["results"][1]["kind_label"] == "Bank"
        assert listed.json()["results"][1]["country_name"] == "Germany"
        body = asked.json()
        assert (body["addressee_name"], body["routed_as"]) == ("Commerzbank", "partner")
        assert body["understood_as"] == "an IBAN" and body["bic"] == "COBADEFFXXX"


def test_the_api_filters_and_refuses_an_empty_question(world, api_for):
    api = api_for(world["who"]["unit"])
    assert [r["name"] for r in api.get(API, {"kind": "exchange"}).json()["results"]] == ["CoinHarbour"]
    refused = api.get(f"{API}route/")
    assert refused.status_code == 400 and "account" in refused.json()["error"]["details"]
    assert api.get(f"{API}route/", {"account": "Coin\x00Harbour"}).status_code == 400
    assert api.get(f"{API}route/", {"account": "x" * 121}).status_code == 400
    assert api.get(API, {"q": "Coin\x00"}).status_code in (200, 400)  # never a database error


def test_anonymous_is_sent_to_log_in(anon, world):
    assert Client().get(PAGE).status_code == 302
    assert anon.get(API).status_code == 401
